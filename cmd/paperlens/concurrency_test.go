package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
)

func TestSearchesKeepAnsweringWhileAnIngestRuns(t *testing.T) {
	ctx := context.Background()
	// 1,500 arXiv papers: enough for many write batches under the race
	// detector, few enough to take seconds.
	src, err := os.Open(arxivPapers)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	part := filepath.Join(t.TempDir(), "part.jsonl")
	var lines []string
	sc := bufio.NewScanner(src)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(lines) < 1500 {
		lines = append(lines, sc.Text())
	}
	if err := os.WriteFile(part, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	emb := papertest.Builtin(t)
	dir := filepath.Join(t.TempDir(), "data")
	st, err := store.Open(dir, emb.Info())
	if err != nil {
		t.Fatal(err)
	}
	lx, err := lexical.Open(ctx, dir, st.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	papers := &backend.Papers{Backend: backend.Local(st, lx), Embedder: emb}
	defer papers.Close()
	ing := papers.Ingester()
	ing.BatchSize = 64
	if _, _, err := ing.File(ctx, papertest.Path(t, papertest.SeedFile), loader.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	seed := st.Count()
	const title = "General-Purpose In-Context Learning by Meta-Learning Transformers"
	const id = "hf-general-purpose-in-context-learning-by-meta-learning-transformers"
	eng := papers.Engine()

	var wg sync.WaitGroup
	done := make(chan struct{})
	var searches atomic.Int64
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				var page paper.Page
				var err error
				if g == 2 {
					page, err = eng.Similar(ctx, id, search.Options{Limit: 10})
				} else {
					page, err = eng.Search(ctx, title, search.Options{Limit: 10})
				}
				if err != nil {
					t.Errorf("a query failed during the ingest: %v", err)
					return
				}
				if len(page.Results) == 0 || page.Total < seed-1 {
					t.Errorf("a query during the ingest answered %d results of %d, want some of at least %d", len(page.Results), page.Total, seed-1)
					return
				}
				if g != 2 && page.Results[0].ID != id {
					t.Errorf("searching for its exact title ranked %s first, not %s", page.Results[0].ID, id)
					return
				}
				searches.Add(1)
				time.Sleep(5 * time.Millisecond) // leave the ingest some of the 2 cores
			}
		}()
	}
	stats, _, err := ing.File(ctx, part, loader.Options{}, nil)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("the ingest failed while searches ran: %v", err)
	}
	if stats.Added != len(lines) || st.Count() != seed+len(lines) || lx.Count() != st.Count() {
		t.Errorf("added %d, store holds %d, word index %d; want %d added and both %d", stats.Added, st.Count(), lx.Count(), len(lines), seed+len(lines))
	}
	if searches.Load() < 3 {
		t.Errorf("only %d queries answered while 1,500 papers were ingested", searches.Load())
	}
	t.Logf("%d queries answered while %d papers were ingested", searches.Load(), len(lines))
}
