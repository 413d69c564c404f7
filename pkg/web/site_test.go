package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
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
	papers := append(readPapers(t, seedFile, 0), readPapers(t, arxivFile, arxivCount)...)
	p := papertest.Seeded(t, papers...)
	eng := p.Engine()
	srv := httptest.NewServer(server.New(cfg, eng, p.Ingester()))
	t.Cleanup(srv.Close)
	return &site{Server: srv, eng: eng, papers: papers}
}

// readPapers reads the first n papers of a JSON Lines file (all when n is 0).
func readPapers(t *testing.T, path string, n int) []paper.Paper {
	return papertest.ReadPapers(t, path, n)
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
