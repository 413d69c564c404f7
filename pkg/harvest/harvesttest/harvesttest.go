// Package harvesttest opens real data folders for the tests of the sync
// sources: a store and word index on disk, written through the ingest road
// with the built-in embedder, which it counts.
package harvesttest

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
)

// Folder is an open data folder and the ingester that writes to it.
type Folder struct {
	Dir string
	*ingest.Ingester
	Papers backend.Backend
	emb    *papertest.Counting
}

// Open opens the data folder dir (created if needed) as a command would,
// and closes it when the test ends. With failAfter > 0 the embedder fails
// once that many texts were embedded, as an Ollama server that went away.
func Open(t testing.TB, dir string, failAfter int64) *Folder {
	t.Helper()
	emb := &papertest.Counting{Embedder: papertest.Builtin(t), FailAfter: failAfter}
	b, err := backend.OpenFor(context.Background(), backend.Config{Data: dir}, emb.Info())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &Folder{Dir: dir, Ingester: ingest.NewTo(emb, b), Papers: b, emb: emb}
}

// Embedded counts the texts embedded since the folder was opened.
func (f *Folder) Embedded() int64 { return f.emb.Texts() }

// IDs lists the stored papers' ids, sorted.
func (f *Folder) IDs(t testing.TB) []string {
	t.Helper()
	var ids []string
	for r, err := range f.Papers.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.Paper.ID)
	}
	sort.Strings(ids)
	return ids
}

// Paper returns the stored paper id.
func (f *Folder) Paper(t testing.TB, id string) (paper.Paper, bool) {
	t.Helper()
	r, err := f.Papers.Get(context.Background(), id)
	if errors.Is(err, paper.ErrNotFound) {
		return paper.Paper{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return r.Paper, true
}
