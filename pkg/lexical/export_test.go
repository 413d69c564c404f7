package lexical

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/words"
)

// HoldBuilds makes the background builds of the postings that Open starts
// from now on wait until release is called (or the index is closed), so a
// test can query an index whose postings are not built yet. The hold ends
// with the test.
func HoldBuilds(t testing.TB) (release func()) {
	hold := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(hold) }) }
	buildHook = func(ctx context.Context) {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	t.Cleanup(func() {
		release()
		buildHook = nil
	})
	return release
}

// HoldPass makes the first pass over the papers for filter f (see
// Passing) stop after its first chunk of papers, holding no lock, until
// release is called or the pass's context is done; reached is closed when
// it stops. Later passes run through. The hold ends with the test.
func HoldPass(t testing.TB, f paper.Filter) (reached <-chan struct{}, release func()) {
	hold, at := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var held atomic.Bool
	release = func() { once.Do(func() { close(hold) }) }
	key := f.Fields().Key()
	passHook = func(ctx context.Context, k string) {
		if k != key || !held.CompareAndSwap(false, true) {
			return
		}
		close(at)
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	t.Cleanup(func() {
		release()
		passHook = nil
	})
	return at, release
}

// PassChunk is how many papers a pass tests between two looks at its
// context.
const PassChunk = passChunk

// blankIndex is an empty index in a temporary folder, without a store, its
// postings ready; it is closed when the test ends.
func blankIndex(t testing.TB) *Index {
	t.Helper()
	dir := filepath.Join(t.TempDir(), Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	an, err := words.Analyzer()
	if err != nil {
		t.Fatal(err)
	}
	x := &Index{dir: dir, an: an, papers: words.Cached(an), closed: make(chan struct{}), ready: make(chan struct{}),
		stopBuild: func() {}, filed: make(chan struct{})}
	x.mem.Store(newPostings())
	close(x.ready)
	close(x.filed)
	t.Cleanup(func() { x.Close() })
	return x
}

// EmptyStore opens a new data folder for the built-in embedder; the caller
// closes it.
func EmptyStore(t testing.TB) (*builtin.Embedder, *store.Store) {
	t.Helper()
	emb, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir(), emb.Info())
	if err != nil {
		t.Fatal(err)
	}
	return emb, st
}

// LoadPapers is the first n papers of the file at path (all of them for n
// < 0), in its format as the loader detects it.
func LoadPapers(t testing.TB, path string, n int, o loader.Options) []paper.Paper {
	t.Helper()
	var papers []paper.Paper
	enough := errors.New("enough")
	if _, err := loader.LoadFile(path, o, func(p paper.Paper) error {
		if len(papers) == n {
			return enough
		}
		papers = append(papers, p)
		return nil
	}); err != nil && !errors.Is(err, enough) {
		t.Fatal(err)
	}
	return papers
}

// arxivSample is the path of the arXiv sample from this package.
const arxivSample = "../../../shared/data/arxiv-2026q2/papers.jsonl"
