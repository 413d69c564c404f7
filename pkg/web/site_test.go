package web_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
	"github.com/paperlens/paperlens/pkg/store"
)

const (
	// seedFile holds the 38 seed papers (no authors or categories).
	seedFile = "../../testdata/papers.jsonl"
	// arxivFile holds real arXiv papers with authors, categories and dates;
	// the tests take the first arxivCount of them so pages show all fields.
	arxivFile  = "../../../shared/data/arxiv-2026q2/papers.jsonl"
	arxivCount = 40
	// arxivID is the first paper of arxivFile, the README's example.
	arxivID = "2509.03687"
)

var loadBuiltin = sync.OnceValues(builtin.New)

// site is paperlens serve over a fresh on-disk store: the JSON API and the
// pages, on a real HTTP server.
type site struct {
	*httptest.Server
	eng    *search.Engine
	papers []paper.Paper
}

// newSite starts the server with cfg over the seed papers and the first
// arXiv papers, embedded by the built-in embedder.
func newSite(t *testing.T, cfg server.Config) *site {
	t.Helper()
	emb, err := loadBuiltin()
	if err != nil {
		t.Fatalf("builtin embedder: %v", err)
	}
	papers := append(readPapers(t, seedFile, 0), readPapers(t, arxivFile, arxivCount)...)
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), emb.Info())
	if err != nil {
		t.Fatal(err)
	}
	lx, err := lexical.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lx.Close() })
	if _, err := ingest.New(emb, st, lx).Upsert(ctx, papers); err != nil {
		t.Fatalf("ingesting the test papers: %v", err)
	}
	eng := search.New(emb, st, lx)
	srv := httptest.NewServer(server.New(cfg, eng, ingest.New(emb, st, lx)))
	t.Cleanup(srv.Close)
	return &site{Server: srv, eng: eng, papers: papers}
}

// readPapers reads the first n papers of a JSON Lines file (all when n is 0).
func readPapers(t *testing.T, path string, n int) []paper.Paper {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("test papers: %v", err)
	}
	defer f.Close()
	var r io.Reader = f
	if n > 0 {
		var b strings.Builder
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for i := 0; i < n && sc.Scan(); i++ {
			b.WriteString(sc.Text() + "\n")
		}
		r = strings.NewReader(b.String())
	}
	var out []paper.Paper
	if _, err := loader.Load(r, loader.Options{Format: loader.JSONL, Strict: true}, func(p paper.Paper) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// get fetches a path of the site and returns the status, headers and body.
func (s *site) get(t *testing.T, path string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}
