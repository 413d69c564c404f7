package lexical_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

const (
	seeds = "../../testdata/papers.jsonl"
	arxiv = "../../../shared/data/arxiv-2026q2/papers.jsonl"
)

// folder ingests the seed papers and the first n arXiv papers into a fresh
// data folder and returns its store (the index is closed).
func folder(t *testing.T, n int) (*store.Store, []paper.Paper) {
	t.Helper()
	var papers []paper.Paper
	if _, err := loader.LoadFile(seeds, loader.Options{}, func(p paper.Paper) error {
		papers = append(papers, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	enough := errors.New("enough")
	count := 0
	if _, err := loader.LoadFile(arxiv, loader.Options{}, func(p paper.Paper) error {
		if count == n {
			return enough
		}
		count++
		papers = append(papers, p)
		return nil
	}); err != nil && !errors.Is(err, enough) {
		t.Fatal(err)
	}
	emb, st := emptyStore(t)
	lx := open(t, st)
	if _, err := ingest.New(emb, st, lx).Upsert(context.Background(), papers); err != nil {
		t.Fatal(err)
	}
	lx.Close()
	return st, papers
}

// emptyStore opens a new data folder for the built-in embedder; the caller
// closes it.
func emptyStore(t *testing.T) (*builtin.Embedder, *store.Store) {
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

func open(t *testing.T, st *store.Store) *lexical.Index {
	t.Helper()
	lx, err := lexical.Open(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lx.Close() })
	return lx
}

func TestOpenRebuildsFromTheStore(t *testing.T) {
	ctx := context.Background()
	st, papers := folder(t, 20)
	title := papers[5].Title
	tests := []struct {
		name  string
		spoil func(t *testing.T)
	}{
		{"a deleted index folder is rebuilt", func(t *testing.T) {
			if err := os.RemoveAll(filepath.Join(st.Dir(), lexical.Dir)); err != nil {
				t.Fatal(err)
			}
		}},
		{"an index holding a paper the store lacks is rebuilt", func(t *testing.T) {
			lx := open(t, st)
			if err := lx.Upsert(ctx, []paper.Paper{{ID: "ghost", Title: "Ghost", Abstract: "Not in the store."}}); err != nil {
				t.Fatal(err)
			}
			lx.Close()
		}},
		{"an index holding a changed paper, as many as the store, is rebuilt", func(t *testing.T) {
			lx := open(t, st)
			changed := papers[6]
			changed.Categories = []string{"zz.ghost"}
			if err := lx.Upsert(ctx, []paper.Paper{changed}); err != nil {
				t.Fatal(err)
			}
			lx.Close()
		}},
		{"an unreadable index folder is rebuilt", func(t *testing.T) {
			dir := filepath.Join(st.Dir(), lexical.Dir)
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{broken"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spoil(t)
			lx := open(t, st)
			if lx.Count() != st.Count() {
				t.Errorf("index holds %d papers, store %d", lx.Count(), st.Count())
			}
			hits, _, err := lx.Search(ctx, title, 1, lexical.Filter{})
			if err != nil || len(hits) != 1 || hits[0].ID != papers[5].ID {
				t.Errorf("search for %q = %v, %v; want %s first", title, hits, err, papers[5].ID)
			}
			if n, err := lx.CountMatching(ctx, lexical.Filter{Categories: []string{"zz.ghost"}}); err != nil || n != 0 {
				t.Errorf("%d papers in a category only the index had (%v); want 0", n, err)
			}
			lx.Close()
		})
	}
}

func TestSearchUsesAnEnglishAnalyser(t *testing.T) {
	ctx := context.Background()
	st, _ := folder(t, 0)
	lx := open(t, st)
	tests := []struct {
		name, query string
		want        string // an id among the hits, or "" for none
	}{
		{"inflected words match their stem", "priors bayesian prisms", "hf-in-context-learning-through-the-bayesian-prism"},
		{"case does not matter", "BAYESIAN PRISM", "hf-in-context-learning-through-the-bayesian-prism"},
		{"stop words alone match nothing", "the of and with", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, total, err := lx.Search(ctx, tt.query, 5, lexical.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if total != 0 {
					t.Errorf("%d hits, want none: %v", total, hits)
				}
				return
			}
			if len(hits) == 0 || hits[0].ID != tt.want {
				t.Errorf("hits %v, want %s first", hits, tt.want)
			}
		})
	}
}

func TestIndexFiltersAgreeWithFilterMatch(t *testing.T) {
	ctx := context.Background()
	st, papers := folder(t, 300)
	lx := open(t, st)
	filters := []lexical.Filter{
		{YearFrom: 2022},
		{YearTo: 2021},
		{YearFrom: 2021, YearTo: 2023},
		{Categories: []string{"cs.CV"}},
		{Categories: []string{"cs.ro", "CS.CL"}},
		{Author: "wang"},
		{Author: "a.*b"}, // regexp characters are plain text
		{YearFrom: 2026, Categories: []string{"cs.LG"}, Author: "li"},
	}
	for _, f := range filters {
		want := 0
		for i := range papers {
			p := papers[i]
			p.Normalize()
			if f.Match(&p) {
				want++
			}
		}
		got, err := lx.CountMatching(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("filter %+v: the index keeps %d papers, Filter.Match %d", f, got, want)
		}
		if f.Author == "a.*b" && want != 0 {
			t.Errorf("filter %+v matched %d papers: regexp characters must be literal", f, want)
		}
	}
}

// ranking is what a lexical query answers: the hits and the count.
type ranking struct {
	Hits  []lexical.Hit
	Total int
}

// rankings asks lx the same queries each time: short and long texts, a
// paper's own words, a filter, and scores of chosen papers.
func rankings(t *testing.T, lx *lexical.Index, papers []paper.Paper) []ranking {
	t.Helper()
	ctx := context.Background()
	var out []ranking
	add := func(hits []lexical.Hit, total int, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ranking{hits, total})
	}
	for _, q := range []string{"graph neural networks", "protein structure prediction", papers[40].Text()} {
		add(lx.Search(ctx, q, 10, lexical.Filter{}))
		add(lx.Search(ctx, q, 5, lexical.Filter{Categories: []string{"cs.LG"}}, papers[41].ID))
	}
	add(lx.SearchLike(ctx, papers[42].ID, papers[42].Text(), 10, lexical.Filter{}, papers[42].ID))
	ids := []string{papers[40].ID, papers[43].ID, papers[44].ID}
	scores, err := lx.Scores(ctx, papers[40].Text(), ids)
	var hits []lexical.Hit
	for _, id := range ids {
		hits = append(hits, lexical.Hit{ID: id, Score: scores[id]})
	}
	add(hits, len(scores), err)
	return out
}

func TestQueriesWhileThePostingsAreBuilt(t *testing.T) {
	ctx := context.Background()
	st, papers := folder(t, 300)

	t.Run("a query before the postings are built waits for them", func(t *testing.T) {
		release := lexical.HoldBuilds(t)
		lx := open(t, st)
		select {
		case <-lx.Ready():
			t.Fatal("the postings are ready while their build is held")
		default:
		}
		// bleve's BM25 ranks otherwise than the postings' BM25F (even on
		// one segment), so it must not answer meanwhile.
		during := make(chan []ranking, 1)
		go func() { during <- rankings(t, lx, papers) }()
		select {
		case <-during:
			t.Fatal("queries were answered before the postings were built")
		case <-time.After(200 * time.Millisecond):
		}
		release()
		<-lx.Ready()
		before := <-during
		after := rankings(t, lx, papers)
		if len(before[0].Hits) == 0 || len(before[len(before)-2].Hits) == 0 {
			t.Fatalf("queries found nothing: %v", before)
		}
		for i := range before {
			b, a := before[i], after[i]
			if b.Total != a.Total || len(b.Hits) != len(a.Hits) {
				t.Fatalf("query %d: before the build %v, after %v", i, b, a)
			}
			for j := range b.Hits {
				if b.Hits[j].ID != a.Hits[j].ID || math.Abs(b.Hits[j].Score-a.Hits[j].Score) > 1e-9*math.Abs(a.Hits[j].Score) {
					t.Errorf("query %d, hit %d: before the build %v, after %v", i, j, b.Hits[j], a.Hits[j])
				}
			}
		}
		lx.Close()
	})

	t.Run("writes during the build are in the postings afterwards", func(t *testing.T) {
		release := lexical.HoldBuilds(t)
		lx := open(t, st)
		added := paper.Paper{ID: "during-build", Title: "Quokkas frobnicate marsupial lattices", Abstract: "Quokka frobnication on lattices."}
		if err := lx.Upsert(ctx, []paper.Paper{added}); err != nil {
			t.Fatal(err)
		}
		gone := papers[45]
		if err := lx.Delete(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		if want := st.Count(); lx.Count() != want { // one paper added, one deleted
			t.Errorf("during the build: index holds %d papers, want %d", lx.Count(), want)
		}
		// bleve now has a second segment or a deleted paper (until its
		// merger runs), so it may rank otherwise than the postings: these
		// searches then wait for them.
		type answer struct {
			hits []lexical.Hit
			err  error
		}
		search := func(q string) <-chan answer {
			c := make(chan answer, 1)
			go func() {
				hits, _, err := lx.Search(ctx, q, 3, lexical.Filter{})
				c <- answer{hits, err}
			}()
			return c
		}
		newOne, oldOne := search("quokka frobnication"), search(gone.Title)
		long := search(papers[40].Text())
		release()
		<-lx.Ready()
		after, _, err := lx.Search(ctx, papers[40].Text(), 3, lexical.Filter{})
		if a := <-long; a.err != nil || err != nil || !slices.Equal(a.hits, after) {
			t.Errorf("a search issued during the build = %v, %v; after it = %v, %v", a.hits, a.err, after, err)
		}
		if a := <-newOne; a.err != nil || len(a.hits) != 1 || a.hits[0].ID != added.ID {
			t.Errorf("search for the paper upserted during the build = %v, %v", a.hits, a.err)
		}
		if a := <-oldOne; a.err != nil || (len(a.hits) > 0 && a.hits[0].ID == gone.ID) {
			t.Errorf("the paper deleted during the build still ranks first: %v, %v", a.hits, a.err)
		}
		if want := st.Count(); lx.Count() != want {
			t.Errorf("after the build: index holds %d papers, want %d", lx.Count(), want)
		}
		lx.Close()
	})

	t.Run("closing during the build stops it", func(t *testing.T) {
		lexical.HoldBuilds(t)
		lx := open(t, st)
		if err := lx.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-lx.Ready():
			t.Error("the postings were built although the index was closed first")
		default:
		}
	})
}

func TestCompactRunsOneAtATime(t *testing.T) {
	st, _ := folder(t, 300)
	// Opening may start a compaction of its own in the background; an
	// ingest that ends meanwhile compacts too.
	lx := open(t, st)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = lx.Compact(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Compact %d: %v", i, err)
		}
	}
}

// tricky are papers whose title and abstract meet where word breaking is
// delicate: numbers, abbreviations, apostrophes, marks and scripts.
var tricky = []paper.Paper{
	{ID: "t1", Title: "GPT-4", Abstract: "3.5 times faster than GPT-3.5."},
	{ID: "t2", Title: "Policy in the U.S.", Abstract: "S. Smith's results on U.K. data."},
	{ID: "t3", Title: "Rock 'n' roll's", Abstract: "'quoted' start and the authors' end'"},
	{ID: "t4", Title: "Emoji 👩‍🔬", Abstract: "👩‍🔬 science and ́combining marks"},
	{ID: "t5", Title: "Λόγος και αριθμός", Abstract: "机器学习 ja 日本語のテキスト"},
	{ID: "t6", Title: "Title only"},
	{ID: "t7", Abstract: "Abstract only, with a trailing dot."},
	{ID: "t8", Title: "Ends with a dot.", Abstract: ".starts with one"},
	{ID: "t9", Title: "x_1", Abstract: "_2 and a:b"},
}

// Each paper is analysed once and its words shared by the in-memory
// postings and bleve's three text fields, so these must be the words bleve
// would find itself, on real and awkward papers alike.
func TestWordsAnalysedOnceAreTheWordsBleveFinds(t *testing.T) {
	var papers []paper.Paper
	for _, file := range []string{seeds, arxiv} {
		if _, err := loader.LoadFile(file, loader.Options{}, func(p paper.Paper) error {
			if len(papers) < 2038 {
				papers = append(papers, p)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	papers = append(papers, tricky...)
	t.Run("the words of the text are the title's then the abstract's", func(t *testing.T) {
		for _, p := range papers {
			whole, parts := lexical.TextTerms(t, p)
			if !slices.Equal(whole, parts) {
				t.Errorf("paper %s: Text() gives %q, title then abstract %q", p.ID, whole, parts)
			}
		}
	})
	t.Run("every field bleve indexes is what its mapping makes", func(t *testing.T) {
		_, st := emptyStore(t)
		defer st.Close()
		lx := open(t, st)
		for _, p := range papers {
			p.Normalize()
			ahead, mapped := lexical.FieldWords(t, lx, p)
			if len(ahead) != len(mapped) {
				t.Fatalf("paper %s: %d fields, the mapping makes %d", p.ID, len(ahead), len(mapped))
			}
			for name, want := range mapped {
				if got := ahead[name]; got != want {
					t.Errorf("paper %s, field %s:\n got %s\nwant %s", p.ID, name, got, want)
				}
			}
		}
	})
}

// An ingest hands its papers to bleve in the background, in batches of a
// few hundred: every read must still see every paper written before it,
// and Compact must still leave the one segment that lets bleve rank.
func TestWritesReachBleveInTheBackground(t *testing.T) {
	var papers []paper.Paper
	if _, err := loader.LoadFile(arxiv, loader.Options{}, func(p paper.Paper) error {
		if len(papers) < 1500 {
			papers = append(papers, p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, st := emptyStore(t)
	defer st.Close()
	lx := open(t, st)
	ctx := context.Background()
	f := lexical.Filter{Categories: []string{"cs.LG"}}
	for start := 0; start < len(papers); start += 50 {
		batch := papers[start : start+50]
		if err := lx.Upsert(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if (start+50)%350 != 0 && start+50 != len(papers) {
			continue // read now and then, so that writes pile up
		}
		want := 0
		for _, p := range papers[:start+50] {
			if f.Match(&p) {
				want++
			}
		}
		if got, err := lx.CountMatching(ctx, f); err != nil || got != want {
			t.Fatalf("after %d papers: %d match %v, want %d (err %v)", start+50, got, f, want, err)
		}
	}
	if err := lx.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := lx.Compacted(); err != nil || !ok {
		t.Errorf("after Compact, compacted = %v (err %v), want one segment", ok, err)
	}
	if got := lx.Count(); got != len(papers) {
		t.Errorf("Count = %d, want %d", got, len(papers))
	}
}
