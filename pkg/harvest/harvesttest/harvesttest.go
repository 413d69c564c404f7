// Package harvesttest opens real data folders for the tests of the sync
// sources: a store and word index on disk, written through the ingest road
// with the built-in embedder, which it counts.
package harvesttest

import (
	"context"
	"errors"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// Folder is an open data folder and the ingester that writes to it.
type Folder struct {
	Dir string
	*ingest.Ingester
	Store *store.Store
	emb   *counting
}

// Open opens the data folder dir (created if needed) as a command would,
// and closes it when the test ends. With failAfter > 0 the embedder fails
// once that many texts were embedded, as an Ollama server that went away.
func Open(t testing.TB, dir string, failAfter int64) *Folder {
	t.Helper()
	b, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	emb := &counting{Embedder: b, failAfter: failAfter}
	st, err := store.Open(dir, emb.Info())
	if err != nil {
		t.Fatal(err)
	}
	lx, err := lexical.Open(context.Background(), st)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		lx.Close()
		st.Close()
	})
	return &Folder{Dir: dir, Ingester: ingest.New(emb, st, lx), Store: st, emb: emb}
}

// Embedded counts the texts embedded since the folder was opened.
func (f *Folder) Embedded() int64 { return f.emb.texts.Load() }

// IDs lists the stored papers' ids, sorted.
func (f *Folder) IDs(t testing.TB) []string {
	t.Helper()
	var ids []string
	err := f.Store.Each(context.Background(), func(r store.Record) error {
		ids = append(ids, r.Paper.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

// Paper returns the stored paper id.
func (f *Folder) Paper(t testing.TB, id string) (paper.Paper, bool) {
	t.Helper()
	r, err := f.Store.Get(context.Background(), id)
	if errors.Is(err, store.ErrNotFound) {
		return paper.Paper{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return r.Paper, true
}

// counting wraps the built-in embedder and counts the texts it embeds.
type counting struct {
	embeddings.Embedder
	texts     atomic.Int64
	failAfter int64
}

func (c *counting) Embed(ctx context.Context, texts []string, p embeddings.Purpose) ([][]float32, error) {
	if c.failAfter > 0 && c.texts.Load()+int64(len(texts)) > c.failAfter {
		return nil, errors.New("embedder went away")
	}
	c.texts.Add(int64(len(texts)))
	return c.Embedder.Embed(ctx, texts, p)
}
