//go:build ollama

// These tests talk to a real Ollama server (built by scripts/ollama.sh,
// started by ollamatest.Main) serving paperlens-glove, the builtin GloVe
// vectors as a BERT model. Run them with
//
//	go test -tags ollama -run Ollama ./embeddings/ollama

package ollama_test

import (
	"context"
	"errors"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/embeddings/ollama"
	"github.com/paperlens/paperlens/embeddings/ollama/glovemodel"
	"github.com/paperlens/paperlens/embeddings/ollama/ollamatest"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

func TestMain(m *testing.M) { os.Exit(ollamatest.Main(m)) }

// seedTexts returns the texts ingest embeds for the 38 seed papers.
func seedTexts(t *testing.T) []string {
	t.Helper()
	var texts []string
	_, err := loader.LoadFile("../../testdata/papers.jsonl", loader.Options{}, func(p paper.Paper) error {
		texts = append(texts, p.Text())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != 38 {
		t.Fatalf("read %d seed papers, want 38", len(texts))
	}
	return texts
}

func newEmbedder(t *testing.T, cfg ollama.Config) *ollama.Embedder {
	t.Helper()
	if cfg.Host == "" {
		cfg.Host = ollamatest.Shared().Host
	}
	if cfg.Model == "" {
		cfg.Model = ollamatest.Model
	}
	e, err := ollama.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func TestOllamaBatchSizesGiveTheSameVectors(t *testing.T) {
	ctx := context.Background()
	texts := seedTexts(t)
	byBatch := map[int][][]float32{}
	for _, n := range []int{1, 7, 64} {
		vecs, err := newEmbedder(t, ollama.Config{BatchSize: n}).Embed(ctx, texts, embeddings.Document)
		if err != nil {
			t.Fatalf("batch size %d: %v", n, err)
		}
		if len(vecs) != len(texts) {
			t.Fatalf("batch size %d: %d vectors for %d texts", n, len(vecs), len(texts))
		}
		byBatch[n] = vecs
	}
	for _, n := range []int{7, 64} {
		t.Run("batch size "+strconv.Itoa(n)+" gives the vectors of batch size 1", func(t *testing.T) {
			for i := range texts {
				if c := cosine(byBatch[1][i], byBatch[n][i]); c < 0.999 {
					t.Errorf("paper %d: cosine %.6f between batch sizes 1 and %d", i, c, n)
				}
			}
		})
	}
	t.Run("the vectors have the model's dimension and are not all alike", func(t *testing.T) {
		if d := len(byBatch[1][0]); d != glovemodel.Dimension {
			t.Fatalf("dimension %d, want %d", d, glovemodel.Dimension)
		}
		if c := cosine(byBatch[1][0], byBatch[1][1]); c > 0.99 {
			t.Errorf("two different papers have cosine %.4f", c)
		}
	})
}

func TestOllamaServesTheBuiltinVectors(t *testing.T) {
	ctx := context.Background()
	texts := seedTexts(t)
	served, err := newEmbedder(t, ollama.Config{}).Embed(ctx, texts, embeddings.Document)
	if err != nil {
		t.Fatal(err)
	}
	b, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	local, err := b.Embed(ctx, texts, embeddings.Document)
	if err != nil {
		t.Fatal(err)
	}
	worst := 1.0
	for i := range texts {
		c := cosine(glovemodel.ToBuiltin(served[i]), local[i])
		worst = min(worst, c)
		// Tokenisation differs only for words glued to symbols ("$x$",
		// "a+b"), which Ollama's WordPiece drops, and float16 rounding;
		// the seed papers lose almost nothing to either.
		if c < 0.999 {
			t.Errorf("paper %d: served vector has cosine %.5f with the builtin one", i, c)
		}
	}
	t.Logf("lowest cosine between served and builtin vectors over %d seed papers: %.5f", len(texts), worst)
}

func TestOllamaErrorsSayWhatToDo(t *testing.T) {
	ctx := context.Background()
	texts := []string{"graph neural networks for molecules"}

	t.Run("an unknown model says to pull it", func(t *testing.T) {
		_, err := newEmbedder(t, ollama.Config{Model: "no-such-model"}).Embed(ctx, texts, embeddings.Query)
		if err == nil || !errors.Is(err, ollama.ErrModelNotFound) || !strings.Contains(err.Error(), "run `ollama pull no-such-model`") {
			t.Fatalf("err = %v, want the `ollama pull` advice", err)
		}
	})

	t.Run("an unreachable host asks whether ollama serve runs", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		e := newEmbedder(t, ollama.Config{Host: "http://" + addr, Retries: -1})
		_, err = e.Embed(ctx, texts, embeddings.Query)
		if err == nil || !errors.Is(err, embeddings.ErrUnavailable) || !strings.Contains(err.Error(), "is `ollama serve` running?") {
			t.Fatalf("err = %v, want the `ollama serve` advice", err)
		}
	})

	// A server slower than the timeout. The real server answers this model
	// in milliseconds once it is loaded, and how long a first load takes
	// depends on the machine, so a reverse proxy in front of the real server
	// holds every request for a known time: the same call then fails with a
	// short timeout and succeeds with a long one, which shows that the
	// timeout, not the proxy, makes the difference.
	t.Run("a server slower than the timeout gives a timeout error", func(t *testing.T) {
		const delay = 1500 * time.Millisecond
		slow := slowProxy(t, ollamatest.Shared().Host, delay)
		_, err := newEmbedder(t, ollama.Config{Host: slow, Timeout: delay / 3}).Embed(ctx, texts, embeddings.Query)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, embeddings.ErrUnavailable) ||
			!strings.Contains(err.Error(), "no answer from") || !strings.Contains(err.Error(), "raise the timeout") {
			t.Fatalf("err = %v, want a timeout error", err)
		}
		vecs, err := newEmbedder(t, ollama.Config{Host: slow, Timeout: 4 * delay}).Embed(ctx, texts, embeddings.Query)
		if err != nil || len(vecs) != 1 {
			t.Fatalf("with a timeout above the delay: %v", err)
		}
	})
}

// slowProxy serves a reverse proxy to target that waits delay before
// forwarding each request, and returns its URL.
func slowProxy(t *testing.T, target string, delay time.Duration) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorLog = log.New(io.Discard, "", 0) // a client that gave up is expected here
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
			proxy.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}
