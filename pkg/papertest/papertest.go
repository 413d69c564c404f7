// Package papertest gives tests real papers in a real data folder: the
// project's seed papers (testdata/papers.jsonl) or the shared arXiv set,
// ingested with the built-in embedder into a temporary folder through
// package backend, as 'paperlens ingest' would. It is for tests only.
package papertest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

// SeedFile is where the seed papers are, from the repository root.
const SeedFile = "testdata/papers.jsonl"

// Root is the repository root: the folder holding go.mod, above the
// test's own.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("papertest: no go.mod above the test's folder")
		}
		dir = up
	}
}

// Path is path from the repository root.
func Path(t testing.TB, path string) string { return filepath.Join(Root(t), path) }

// SharedData is path inside the shared data folder beside the clone
// (../shared/data; its README lists what is there).
func SharedData(t testing.TB, path string) string {
	return filepath.Join(Root(t), "..", "shared", "data", path)
}

// SeedPapers returns the 38 seed papers and the raw JSON Lines they come
// from.
func SeedPapers(t testing.TB) ([]paper.Paper, []byte) {
	t.Helper()
	raw, err := os.ReadFile(Path(t, SeedFile))
	if err != nil {
		t.Fatalf("seed papers: %v", err)
	}
	papers := load(t, SeedFile, strings.NewReader(string(raw)))
	if len(papers) < 12 {
		t.Fatalf("seed file %s has %d papers; the tests need at least 12", SeedFile, len(papers))
	}
	return papers, raw
}

// ReadPapers reads the first n papers of a JSON Lines file (all when n is
// 0), normalised and checked as ingest reads them.
func ReadPapers(t testing.TB, path string, n int) []paper.Paper {
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
	return load(t, path, r)
}

func load(t testing.TB, name string, r io.Reader) []paper.Paper {
	t.Helper()
	var papers []paper.Paper
	if _, err := loader.Load(r, loader.Options{Format: loader.JSONL, Strict: true}, func(p paper.Paper) error {
		papers = append(papers, p)
		return nil
	}); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return papers
}

// loadBuiltin decodes the built-in embedder's table once per test binary.
var loadBuiltin = sync.OnceValues(builtin.New)

// Builtin is the built-in embedder, decoded once per test binary.
func Builtin(t testing.TB) embeddings.Embedder {
	t.Helper()
	e, err := loadBuiltin()
	if err != nil {
		t.Fatalf("builtin embedder: %v", err)
	}
	return e
}

// Open opens a new data folder in a temporary folder for emb's vectors,
// closed when the test ends.
func Open(t testing.TB, emb embeddings.Embedder) *backend.Papers {
	t.Helper()
	b, err := backend.OpenFor(context.Background(), backend.Config{Data: t.TempDir()}, emb.Info())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &backend.Papers{Backend: b, Embedder: emb}
}

// Counting wraps an embedder and counts the texts it embeds. With
// FailAfter > 0 it fails once that many texts were embedded, as an Ollama
// server that went away.
type Counting struct {
	embeddings.Embedder
	FailAfter int64
	texts     atomic.Int64
}

// Texts is how many texts were embedded.
func (c *Counting) Texts() int64 { return c.texts.Load() }

// Embed embeds texts with the wrapped embedder and counts them.
func (c *Counting) Embed(ctx context.Context, texts []string, p embeddings.Purpose) ([][]float32, error) {
	if c.FailAfter > 0 && c.texts.Load()+int64(len(texts)) > c.FailAfter {
		return nil, errors.New("embedder went away")
	}
	c.texts.Add(int64(len(texts)))
	return c.Embedder.Embed(ctx, texts, p)
}

// Seeded opens a new data folder with the built-in embedder and ingests
// papers into it: the seed papers when none are given.
func Seeded(t testing.TB, papers ...paper.Paper) *backend.Papers {
	t.Helper()
	if len(papers) == 0 {
		papers, _ = SeedPapers(t)
	}
	p := Open(t, Builtin(t))
	if _, err := p.Ingester().Upsert(context.Background(), papers); err != nil {
		t.Fatalf("ingesting the test papers: %v", err)
	}
	return p
}
