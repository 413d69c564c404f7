package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
	"github.com/paperlens/paperlens/pkg/store"
)

const seeds = "../../testdata/papers.jsonl"

func setup(t *testing.T) (*papertest.Counting, *ingest.Ingester, *store.Store, string) {
	t.Helper()
	b, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	emb := &papertest.Counting{Embedder: b}
	dir := t.TempDir()
	ing, st := open(t, emb, dir)
	return emb, ing, st, dir
}

// open opens the data folder dir and its word index, as a command would,
// and returns an ingester over them. It closes the index the previous open
// of dir left open, as a command's exit would, and the last one when the
// test ends.
func open(t *testing.T, emb embeddings.Embedder, dir string) (*ingest.Ingester, *store.Store) {
	t.Helper()
	if lx := openIndexes[dir]; lx != nil {
		lx.Close()
		openStores[dir].Close() // releases the folder's lock
	}
	st, err := store.Open(dir, emb.Info())
	if err != nil {
		t.Fatal(err)
	}
	lx, err := lexical.Open(context.Background(), dir, st.All(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	openIndexes[dir], openStores[dir] = lx, st
	t.Cleanup(func() {
		if openIndexes[dir] == lx {
			lx.Close()
			st.Close()
			delete(openIndexes, dir)
			delete(openStores, dir)
		}
	})
	return ingest.NewTo(emb, backend.Local(st, lx)), st
}

// openIndexes are the word indexes open, by data folder; tests that use it
// do not run in parallel.
var (
	openIndexes = map[string]*lexical.Index{}
	openStores  = map[string]*store.Store{}
)

func TestIngestFileTwiceEmbedsNothingTheSecondTime(t *testing.T) {
	ctx := context.Background()
	emb, ing, st, dir := setup(t)
	stats, rep, err := ing.File(ctx, seeds, loader.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Added != 38 || stats.Embedded != 38 || rep.Read != 38 || len(rep.Skipped) != 0 {
		t.Fatalf("first ingest: %+v, report %+v; want 38 added and embedded", stats, rep)
	}
	// Reopen, as a second run of the command would.
	_ = st
	ing2, _ := open(t, emb, dir)
	before := emb.Texts()
	stats, _, err = ing2.File(ctx, seeds, loader.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Unchanged != 38 || stats.Embedded != 0 || emb.Texts() != before {
		t.Errorf("second ingest: %+v and %d texts embedded; want 38 unchanged and none embedded", stats, emb.Texts()-before)
	}
}

func TestIngestUpsertEmbedsOnlyChangedText(t *testing.T) {
	ctx := context.Background()
	emb, ing, st, _ := setup(t)
	a := paper.Paper{ID: "2509.03687v2", Title: "Fast Evaluation of Derivatives", Abstract: "Green's functions and recurrences."}
	b := paper.Paper{ID: "x1", Title: "Meta-learning", Abstract: "Learning to learn across tasks."}
	if _, err := ing.Upsert(ctx, []paper.Paper{a, b}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Get(ctx, "2509.03687"); err != nil || got.Paper.URL == "" {
		t.Fatalf("the arXiv id was not normalised or no URL filled: %+v, %v", got.Paper, err)
	}
	tests := []struct {
		name   string
		change func(p paper.Paper) paper.Paper
		want   ingest.Stats
	}{
		{"same paper again is unchanged", func(p paper.Paper) paper.Paper { return p },
			ingest.Stats{Unchanged: 1}},
		{"new authors update without embedding", func(p paper.Paper) paper.Paper { p.Authors = []string{"H. Chandrasekaran"}; return p },
			ingest.Stats{Updated: 1}},
		{"a new abstract is embedded again", func(p paper.Paper) paper.Paper { p.Abstract += " More."; return p },
			ingest.Stats{Updated: 1, Embedded: 1}},
		{"a later copy in the same batch wins", func(p paper.Paper) paper.Paper { p.Title = "Second"; return p },
			ingest.Stats{Updated: 1, Embedded: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := emb.Texts()
			batch := []paper.Paper{tt.change(a)}
			if strings.Contains(tt.name, "later copy") {
				batch = []paper.Paper{a, tt.change(a)}
			}
			got, err := ing.Upsert(ctx, batch)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || emb.Texts()-before != int64(tt.want.Embedded) {
				t.Errorf("stats = %+v (%d embedded), want %+v", got, emb.Texts()-before, tt.want)
			}
			a = batch[len(batch)-1]
		})
	}
	if got, _ := st.Get(ctx, "2509.03687"); got.Paper.Title != "Second" {
		t.Errorf("stored title = %q, want the later copy's", got.Paper.Title)
	}
}

func TestIngestRejectsAnInvalidBatchWhole(t *testing.T) {
	_, ing, st, _ := setup(t)
	_, err := ing.Upsert(context.Background(), []paper.Paper{
		{ID: "ok", Title: "Fine", Abstract: "A fine abstract."},
		{ID: "bad", Title: "No abstract"},
	})
	if !errors.Is(err, paper.ErrInvalid) || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("Upsert = %v, want an error naming paper bad", err)
	}
	if st.Count() != 0 {
		t.Errorf("count = %d, want 0: nothing is stored from an invalid batch", st.Count())
	}
}

func TestIngestKeepsStoredBatchesWhenTheEmbedderFails(t *testing.T) {
	ctx := context.Background()
	emb, ing, st, dir := setup(t)
	emb.FailAfter = 20
	ing.BatchSize = 8
	stats, _, err := ing.File(ctx, seeds, loader.Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), "embedder went away") {
		t.Fatalf("File = %v, want the embedder's error", err)
	}
	if stats.Added != 16 || st.Count() != 16 {
		t.Fatalf("stats %+v, count %d; want the two whole batches (16 papers) stored", stats, st.Count())
	}
	// Resume: only the missing papers are embedded.
	emb.FailAfter = 0
	before := emb.Texts()
	ing2, st2 := open(t, emb, dir)
	stats, _, err = ing2.File(ctx, seeds, loader.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Unchanged != 16 || stats.Added != 22 || emb.Texts()-before != 22 || st2.Count() != 38 {
		t.Errorf("resume: %+v, %d embedded, count %d; want 16 unchanged, 22 added and embedded, 38 stored",
			stats, emb.Texts()-before, st2.Count())
	}
}

func TestIngestFileReportsMalformedLinesAndKeepsTheRest(t *testing.T) {
	ctx := context.Background()
	_, ing, st, _ := setup(t)
	path := filepath.Join(t.TempDir(), "mixed.jsonl")
	data := `{"id":"a","title":"A","abstract":"Transformers learn in context."}
{"id":"b","title":"B","abstract":
{"id":"c","title":"C","abstract":"Meta-learning of optimizers."}
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	stats, rep, err := ing.File(ctx, path, loader.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Added != 2 || len(rep.Skipped) != 1 || rep.Skipped[0].Line != 2 {
		t.Errorf("stats %+v, skipped %v; want 2 added and line 2 skipped", stats, rep.Skipped)
	}
	t.Run("strict mode fails at the bad line and keeps what was stored", func(t *testing.T) {
		_, _, err := ing.File(ctx, path, loader.Options{Strict: true}, nil)
		var le *loader.LineError
		if !errors.As(err, &le) || le.Line != 2 {
			t.Fatalf("File = %v, want a LineError on line 2", err)
		}
		if st.Count() != 2 {
			t.Errorf("count = %d, want 2", st.Count())
		}
	})
}

func TestIngestKeepsTheWordIndexInStep(t *testing.T) {
	ctx := context.Background()
	_, ing, st, dir := setup(t)
	p := paper.Paper{ID: "w1", Title: "Zebrafish fin regeneration", Abstract: "Zebrafish regrow fins after amputation."}
	if _, err := ing.Upsert(ctx, []paper.Paper{p}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		do    func() error
		query string
		want  int
	}{
		{"an added paper is found by its words", func() error { return nil }, "zebrafish", 1},
		{"a changed abstract is found by its new words only", func() error {
			p.Title, p.Abstract = "Limb regeneration", "Axolotl limbs regrow after amputation."
			_, err := ing.Upsert(ctx, []paper.Paper{p})
			return err
		}, "axolotl", 1},
		{"the old words no longer find it", func() error { return nil }, "zebrafish", 0},
		{"a deleted paper is found no more", func() error { return ing.Delete(ctx, "w1") }, "axolotl", 0},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			lx := openIndexes[dir]
			_, total, err := lx.Search(ctx, s.query, 5, paper.Filter{})
			if err != nil || total != s.want {
				t.Errorf("search %q: %d hits, %v; want %d", s.query, total, err, s.want)
			}
		})
	}
	if err := ing.Delete(ctx, "w1"); !errors.Is(err, paper.ErrNotFound) {
		t.Errorf("deleting it again = %v, want paper.ErrNotFound", err)
	}
	if st.Count() != 0 {
		t.Errorf("store holds %d papers, want 0", st.Count())
	}
}

func TestIngestFileStopsWhenWritingFails(t *testing.T) {
	ctx := context.Background()
	emb, ing, st, _ := setup(t)
	ing.BatchSize = 8
	batches := 0
	// Closing the store after the first written batch makes the next write
	// fail while the reading stage is already embedding further batches.
	_, _, err := ing.File(ctx, seeds, loader.Options{}, func(ingest.Progress) {
		if batches++; batches == 1 {
			st.Close()
		}
	})
	if !errors.Is(err, store.ErrClosed) {
		t.Fatalf("File = %v, want the store's ErrClosed", err)
	}
	if batches != 1 {
		t.Errorf("progress reported %d batches, want only the one written", batches)
	}
	// At most: the batch written, the one that failed, one queued and one
	// being handed over.
	if n := emb.Texts(); n > 8*4 {
		t.Errorf("%d texts embedded: the reading stage did not stop when writing failed", n)
	}
}
