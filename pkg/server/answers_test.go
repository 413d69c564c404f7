package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/metrics"
	"github.com/paperlens/paperlens/pkg/server"
)

func TestJSONAnswersSayNosniff(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)
	for _, tt := range []struct{ name, method, path, body string }{
		{"a page of hits", "GET", "/v1/search?q=learning", ""},
		{"a paper", "GET", "/v1/papers/" + seed[0].ID, ""},
		{"a bad request", "GET", "/v1/search?q=x&limit=0", ""},
		{"an unknown route", "GET", "/v1/nope", ""},
		{"a write", "POST", "/v1/papers", `{"id": "sniff", "abstract": "x"}`},
		{"the OpenAPI document", "GET", "/openapi.json", ""},
		{"a method the route lacks", "PATCH", "/v1/search", ""},
	} {
		t.Run(tt.name+" says nosniff", func(t *testing.T) {
			r := ts.with(t, tt.method, tt.path, tt.body, "Content-Type", "application/json")
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s %s (%d): X-Content-Type-Options %q, want nosniff", tt.method, tt.path, r.status, got)
			}
		})
	}
}

// stuckEmbedder embeds documents and never answers a query: it waits for
// the query's context to end, as a slow model server would.
type stuckEmbedder struct {
	embeddings.Embedder
	asked chan struct{}
}

func (s *stuckEmbedder) Embed(ctx context.Context, texts []string, p embeddings.Purpose) ([][]float32, error) {
	if p == embeddings.Document {
		return s.Embedder.Embed(ctx, texts, p)
	}
	s.asked <- struct{}{}
	<-ctx.Done()
	return nil, fmt.Errorf("embedding the query: %w", ctx.Err())
}

// TestAClientThatLeavesIsNotAServerError hangs up on a search that is
// still embedding its query: the server must count it as 499 (nginx's
// "client closed request") and log it below ERROR.
func TestAClientThatLeavesIsNotAServerError(t *testing.T) {
	seed, _ := seedPapers(t)
	var logs syncBuffer
	m := metrics.New()
	emb := &stuckEmbedder{Embedder: builtinEmbedder(t), asked: make(chan struct{}, 1)}
	ts := newServer(t, server.Config{Metrics: m, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, emb, seed)
	for _, tt := range []struct{ name, path, route string }{
		{"a search", "/v1/search?q=learning", "/v1/search"},
		{"the search page", "/?q=learning", "/"},
	} {
		t.Run("hanging up on "+tt.name+" is counted as 499, not 500", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				resp, err := ts.Client().Do(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
			<-emb.asked // the server is working on it
			cancel()
			if err := <-done; err == nil {
				t.Fatal("the request was answered although its client left")
			}
			series := `paperlens_http_requests_total{method="GET",route="` + tt.route + `",status="499"}`
			deadline := time.Now().Add(30 * time.Second)
			for sample(t, ts.scrape(t), series) != 1 {
				if time.Now().After(deadline) {
					t.Fatalf("%s was never counted:\n%s", series, ts.scrape(t))
				}
				time.Sleep(10 * time.Millisecond)
			}
			if got := sample(t, ts.scrape(t), `paperlens_http_requests_total{method="GET",route="`+tt.route+`",status="500"}`); got != -1 {
				t.Errorf("counted %v times as 500", got)
			}
		})
	}
	t.Run("nothing was logged at ERROR", func(t *testing.T) {
		if strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Errorf("the log has an ERROR record:\n%s", logs.String())
		}
	})
}

// TestInternalErrorTextStaysInTheLog makes a write fail inside the
// backend (its store closed under the server): the client hears that the
// server failed, the log hears why.
func TestInternalErrorTextStaysInTheLog(t *testing.T) {
	var logs syncBuffer
	ts := newServer(t, server.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, builtinEmbedder(t), nil)
	if err := ts.papers.Close(); err != nil {
		t.Fatal(err)
	}
	r := ts.postJSON(t, "/v1/papers", `{"id": "2601.00030", "abstract": "Written to a closed store."}`)
	e := r.wantError(t, http.StatusInternalServerError, "internal")
	logged := logs.String()
	if !strings.Contains(logged, "level=ERROR") || !strings.Contains(logged, "closed") {
		t.Fatalf("the log does not say why the write failed:\n%s", logged)
	}
	for _, secret := range []string{"closed", "store", "/"} {
		if strings.Contains(e.Error.Message, secret) {
			t.Errorf("the client was told %q, which holds %q from the error", e.Error.Message, secret)
		}
	}
}

func TestPapersPerRequestAreCapped(t *testing.T) {
	ts := newServer(t, server.Config{MaxPapers: 3}, builtinEmbedder(t), nil)
	papers := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf(`{"id": "cap-%d", "abstract": "Paper %d."}`, i, i)
		}
		return out
	}
	for _, tt := range []struct{ name, ctype, body string }{
		{"an array of one paper too many", "application/json", "[" + strings.Join(papers(4), ",") + "]"},
		{"JSON Lines of one paper too many", "application/x-ndjson", strings.Join(papers(4), "\n")},
		{"an array of 100,000 papers", "application/json", "[" + strings.Repeat(`{"id": "x", "abstract": "y"},`, 100_000) + `{}]`},
	} {
		t.Run(tt.name+" answers 413 with the limit", func(t *testing.T) {
			e := ts.do(t, "POST", "/v1/papers", tt.ctype, strings.NewReader(tt.body)).wantError(t, http.StatusRequestEntityTooLarge, "too_many_papers")
			if !strings.Contains(e.Error.Message, "more than 3 papers") {
				t.Errorf("message %q does not give the limit", e.Error.Message)
			}
		})
	}
	if n := ts.stored(); n != 0 {
		t.Fatalf("refused bodies stored %d papers", n)
	}
	t.Run("as many papers as the limit are stored", func(t *testing.T) {
		var st map[string]int
		ts.do(t, "POST", "/v1/papers", "application/x-ndjson", strings.NewReader(strings.Join(papers(3), "\n"))).decode(t, http.StatusCreated, &st)
		if st["added"] != 3 || ts.stored() != 3 {
			t.Errorf("answered %v and stored %d, want 3 added", st, ts.stored())
		}
	})
}
