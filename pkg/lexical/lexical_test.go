package lexical_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/backend"
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
	papers := append(lexical.LoadPapers(t, seeds, -1, loader.Options{}), lexical.LoadPapers(t, arxiv, n, loader.Options{})...)
	emb, st := lexical.EmptyStore(t)
	lx := open(t, st)
	if _, err := ingest.NewTo(emb, backend.Local(st, lx)).Upsert(context.Background(), papers); err != nil {
		t.Fatal(err)
	}
	lx.Close()
	return st, papers
}

func open(t *testing.T, st *store.Store) *lexical.Index {
	t.Helper()
	lx, err := lexical.Open(context.Background(), st.Dir(), st.All(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lx.Close() })
	return lx
}

func TestOpenFollowsTheStore(t *testing.T) {
	ctx := context.Background()
	st, papers := folder(t, 20)
	title := papers[5].Title
	dir := filepath.Join(st.Dir(), lexical.Dir)
	tests := []struct {
		name  string
		spoil func(t *testing.T)
	}{
		{"a deleted index folder is built again", func(t *testing.T) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}},
		{"postings holding a paper the store lacks are built again", func(t *testing.T) {
			lx := open(t, st)
			if err := lx.Upsert(ctx, []paper.Paper{{ID: "ghost", Title: "Ghost", Abstract: "Not in the store.", Categories: []string{"zz.ghost"}}}); err != nil {
				t.Fatal(err)
			}
			lx.Close()
		}},
		{"postings holding a changed paper, as many as the store, are built again", func(t *testing.T) {
			lx := open(t, st)
			changed := papers[6]
			changed.Categories = []string{"zz.ghost"}
			changed.Title = "Ghost"
			if err := lx.Upsert(ctx, []paper.Paper{changed}); err != nil {
				t.Fatal(err)
			}
			lx.Close()
		}},
		{"the bleve index of an older version is removed", func(t *testing.T) {
			if err := os.MkdirAll(filepath.Join(dir, "store"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "store", "000000000001.zap"), []byte("old segment"), 0o644); err != nil {
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
			hits, _, err := lx.Search(ctx, title, 1, paper.Filter{})
			if err != nil || len(hits) != 1 || hits[0].ID != papers[5].ID {
				t.Errorf("search for %q = %v, %v; want %s first", title, hits, err, papers[5].ID)
			}
			if hits, _, err := lx.Search(ctx, "ghost", 1, paper.Filter{}); err != nil || len(hits) != 0 {
				t.Errorf("search for a word only the index had = %v, %v; want nothing", hits, err)
			}
			if n, err := lx.CountMatching(ctx, paper.Filter{Categories: []string{"zz.ghost"}}); err != nil || n != 0 {
				t.Errorf("%d papers in a category only the index had (%v); want 0", n, err)
			}
			lx.Close()
			for _, old := range []string{"index_meta.json", "store"} {
				if _, err := os.Stat(filepath.Join(dir, old)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s of an old bleve index is still there (%v)", old, err)
				}
			}
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
			hits, total, err := lx.Search(ctx, tt.query, 5, paper.Filter{})
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

// passes is the filter written out plainly, as its documentation reads,
// against which the index's (faster) test is checked.
func passes(f paper.Filter, p paper.Paper) bool {
	year := 0
	if len(p.Published) >= 4 {
		year, _ = strconv.Atoi(p.Published[:4])
	}
	if (f.YearFrom != 0 || f.YearTo != 0) && year == 0 {
		return false
	}
	if (f.YearFrom != 0 && year < f.YearFrom) || (f.YearTo != 0 && year > f.YearTo) {
		return false
	}
	if len(f.Categories) > 0 {
		in := false
		for _, c := range p.Categories {
			for _, want := range f.Categories {
				in = in || strings.EqualFold(c, want)
			}
		}
		if !in {
			return false
		}
	}
	if f.Author != "" {
		for _, a := range p.Authors {
			if strings.Contains(strings.ToLower(a), strings.ToLower(f.Author)) {
				return true
			}
		}
		return false
	}
	return true
}

func TestIndexFiltersAgreeWithFilterMatch(t *testing.T) {
	ctx := context.Background()
	st, papers := folder(t, 300)
	lx := open(t, st)
	filters := []paper.Filter{
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
			if passes(f, p) {
				want++
			}
			if f.Match(&p) != passes(f, p) {
				t.Errorf("filter %+v, paper %s: Filter.Match says %v", f, p.ID, f.Match(&p))
			}
		}
		if want == 0 && f.Author != "a.*b" {
			t.Errorf("filter %+v keeps no paper: the check proves nothing", f)
		}
		got, err := lx.CountMatching(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("filter %+v: the index keeps %d papers, want %d", f, got, want)
		}
		if f.Author == "a.*b" && want != 0 {
			t.Errorf("filter %+v matched %d papers: regexp characters must be literal", f, want)
		}
	}
}

// ranking is what a lexical query answers: the hits and the count.
type ranking struct {
	Hits  []paper.Scored
	Total int
}

// rankings asks lx the same queries each time: short and long texts, a
// paper's own words, a filter, and scores of chosen papers.
func rankings(t *testing.T, lx *lexical.Index, papers []paper.Paper) []ranking {
	t.Helper()
	ctx := context.Background()
	var out []ranking
	add := func(hits []paper.Scored, total int, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ranking{hits, total})
	}
	for _, q := range []string{"graph neural networks", "protein structure prediction", papers[40].Text()} {
		add(lx.Search(ctx, q, 10, paper.Filter{}))
		add(lx.Search(ctx, q, 5, paper.Filter{Categories: []string{"cs.LG"}, Exclude: []string{papers[41].ID}}))
	}
	add(lx.SearchLike(ctx, papers[42].ID, papers[42].Text(), 10, paper.Filter{Exclude: []string{papers[42].ID}}))
	ids := []string{papers[40].ID, papers[43].ID, papers[44].ID}
	scores, err := lx.Scores(ctx, papers[40].Text(), ids)
	var hits []paper.Scored
	for _, id := range ids {
		hits = append(hits, paper.Scored{ID: id, Score: scores[id]})
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
		// Nothing else can rank meanwhile.
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
		// These searches wait for the postings.
		type answer struct {
			hits []paper.Scored
			err  error
		}
		search := func(q string) <-chan answer {
			c := make(chan answer, 1)
			go func() {
				hits, _, err := lx.Search(ctx, q, 3, paper.Filter{})
				c <- answer{hits, err}
			}()
			return c
		}
		newOne, oldOne := search("quokka frobnication"), search(gone.Title)
		long := search(papers[40].Text())
		release()
		<-lx.Ready()
		after, _, err := lx.Search(ctx, papers[40].Text(), 3, paper.Filter{})
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

	t.Run("filters, counts and short highlights do not wait for the build", func(t *testing.T) {
		lexical.HoldBuilds(t)
		lx := open(t, st)
		f := paper.Filter{Categories: []string{"cs.LG"}}
		want := 0
		for _, p := range papers {
			if f.Match(&p) {
				want++
			}
		}
		if got, err := lx.CountMatching(ctx, f); err != nil || got != want {
			t.Errorf("during the build: %d papers match %+v (%v), want %d", got, f, err, want)
		}
		pass, err := lx.Passing(ctx, f)
		if i := slices.IndexFunc(papers, func(p paper.Paper) bool { return f.Match(&p) }); err != nil || !pass(papers[i].ID) {
			t.Errorf("during the build: a paper that passes the filter does not pass (%v)", err)
		}
		soon, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		hl, err := lx.Highlights(soon, "learning", papers[:50], 2)
		if err != nil || len(hl) == 0 {
			t.Errorf("during the build: highlights of a short query = %v, %v", hl, err)
		}
		select {
		case <-lx.Ready():
			t.Fatal("the postings are ready while their build is held")
		default:
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

// Filters read what every write before them wrote: papers added in
// batches, changed and deleted.
func TestFiltersSeeEveryWrite(t *testing.T) {
	papers := lexical.LoadPapers(t, arxiv, 1500, loader.Options{})
	_, st := lexical.EmptyStore(t)
	defer st.Close()
	lx := open(t, st)
	ctx := context.Background()
	f := paper.Filter{Categories: []string{"cs.LG"}, YearFrom: 2026}
	check := func(held []paper.Paper, exclude ...string) {
		t.Helper()
		want := 0
		for _, p := range held {
			if f.Match(&p) && !slices.Contains(exclude, p.ID) {
				want++
			}
		}
		if want == 0 {
			t.Fatal("no paper passes the filter: the check proves nothing")
		}
		if got, err := lx.CountMatching(ctx, paper.Filter{Categories: f.Categories, YearFrom: f.YearFrom, Exclude: exclude}); err != nil || got != want {
			t.Fatalf("%d papers held: %d match %+v leaving out %d, want %d (err %v)", len(held), got, f, len(exclude), want, err)
		}
	}
	for start := 0; start < len(papers); start += 50 {
		if err := lx.Upsert(ctx, papers[start:start+50]); err != nil {
			t.Fatal(err)
		}
		if (start+50)%350 == 0 {
			check(papers[:start+50])
		}
	}
	check(papers)
	var passing []string
	for _, p := range papers {
		if f.Match(&p) {
			passing = append(passing, p.ID)
		}
	}
	check(papers, passing[0], passing[1], passing[1], "no-such-paper")
	if got, err := lx.CountMatching(ctx, paper.Filter{Exclude: []string{papers[0].ID, papers[0].ID, passing[0], "no-such-paper"}}); err != nil || got != len(papers)-2 {
		t.Errorf("no filter, leaving out two papers (one twice) and an unknown id: %d papers (%v), want %d", got, err, len(papers)-2)
	}

	// A paper moved out of the category, and one deleted.
	moved := papers[slices.IndexFunc(papers, func(p paper.Paper) bool { return p.ID == passing[2] })]
	moved.Categories = []string{"zz.elsewhere"}
	if err := lx.Upsert(ctx, []paper.Paper{moved}); err != nil {
		t.Fatal(err)
	}
	if err := lx.Delete(ctx, passing[3]); err != nil {
		t.Fatal(err)
	}
	var held []paper.Paper
	for _, p := range papers {
		switch p.ID {
		case moved.ID:
			held = append(held, moved)
		case passing[3]:
		default:
			held = append(held, p)
		}
	}
	check(held)
	hits, total, err := lx.Search(ctx, moved.Title, len(held), f)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.ID == moved.ID || h.ID == passing[3] {
			t.Errorf("a filtered search found %s, which no longer passes the filter", h.ID)
		}
	}
	if n, _ := lx.CountMatching(ctx, f); total > n {
		t.Errorf("a filtered search matched %d papers, but only %d pass the filter", total, n)
	}
	if got := lx.Count(); got != len(held) {
		t.Errorf("Count = %d, want %d", got, len(held))
	}
}

func TestHighlights(t *testing.T) {
	ctx := context.Background()
	st, papers := folder(t, 300)
	lx := open(t, st)
	prism := papers[slices.IndexFunc(papers, func(p paper.Paper) bool { return p.ID == "hf-in-context-learning-through-the-bayesian-prism" })]
	other := paper.Paper{ID: "x", Title: "Unrelated", Abstract: "Quokkas <b>&</b> wombats."}
	long := papers[40]
	tests := []struct {
		name    string
		text    string
		papers  []paper.Paper
		max     int
		marked  map[string][]string // id → words that must be marked
		without []string            // ids that must get no fragment
	}{
		{"a short query marks its words, stemmed", "bayesian priors", []paper.Paper{prism, other}, 3,
			map[string][]string{prism.ID: {"Bayesian"}}, []string{other.ID}},
		{"markup in an abstract is escaped", "wombat", []paper.Paper{prism, other}, 3,
			map[string][]string{other.ID: {"wombats"}}, []string{prism.ID}},
		{"a long text marks its key words", long.Text(), []paper.Paper{long, other}, 2,
			map[string][]string{long.ID: nil}, []string{other.ID}},
		{"no words, no fragments", "the of and", []paper.Paper{prism, other}, 3,
			nil, []string{prism.ID, other.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lx.Highlights(ctx, tt.text, tt.papers, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			for id, words := range tt.marked {
				frags := got[id]
				if len(frags) == 0 || len(frags) > tt.max {
					t.Fatalf("paper %s: %d fragments, want 1 to %d: %q", id, len(frags), tt.max, frags)
				}
				all := strings.Join(frags, " ")
				if !strings.Contains(all, "<mark>") {
					t.Errorf("paper %s: nothing marked in %q", id, frags)
				}
				for _, w := range words {
					if !strings.Contains(all, "<mark>"+w+"</mark>") {
						t.Errorf("paper %s: %q not marked in %q", id, w, frags)
					}
				}
			}
			for _, id := range tt.without {
				if frags, ok := got[id]; ok {
					t.Errorf("paper %s got fragments %q, want none", id, frags)
				}
			}
			if frags := got[other.ID]; len(frags) > 0 && !strings.Contains(frags[0], "&lt;b&gt;&amp;&lt;/b&gt;") {
				t.Errorf("the markup of the abstract is not escaped: %q", frags)
			}
		})
	}
}

// TestFilterPassesDoNotHoldUpOtherRequestsAndStopWhenTheirClientLeaves
// parks the pass over the papers of one filter half-way and checks what
// the issue found wrong: other filters and writes were held up behind it,
// and it went on after its client left.
func TestFilterPassesDoNotHoldUpOtherRequestsAndStopWhenTheirClientLeaves(t *testing.T) {
	ctx := context.Background()
	lx, papers := threeChunks(t)
	n := len(papers)
	slow := paper.Filter{Categories: []string{"cs.LG"}}
	other := paper.Filter{Categories: []string{"cs.CV"}, YearFrom: 2026}
	reached, _ := lexical.HoldPass(t, slow)

	leaving, leave := context.WithCancel(ctx)
	first := make(chan error, 1)
	go func() {
		_, err := lx.CountMatching(leaving, slow)
		first <- err
	}()
	<-reached // the pass for slow is parked after its first chunk
	soon := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		t.Cleanup(cancel)
		return c
	}

	t.Run("another filter is answered meanwhile", func(t *testing.T) {
		if got, err := lx.CountMatching(soon(t), other); err != nil || got != n/3 {
			t.Errorf("CountMatching(cs.CV) = %d, %v; want %d", got, err, n/3)
		}
	})
	t.Run("a write is applied meanwhile", func(t *testing.T) {
		if err := lx.Upsert(soon(t), []paper.Paper{{ID: "late", Abstract: "a late paper", Categories: []string{"cs.LG"}}}); err != nil {
			t.Fatal(err)
		}
	})
	second := make(chan int, 1)
	go func() {
		got, err := lx.CountMatching(ctx, slow)
		if err != nil {
			t.Errorf("the request still waiting: %v", err)
		}
		second <- got
	}()
	t.Run("the pass stops when its client leaves", func(t *testing.T) {
		leave()
		select {
		case err := <-first:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("CountMatching after its client left = %v, want context.Canceled", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("CountMatching went on after its client left")
		}
	})
	t.Run("a request for the same filter still waiting is answered in full", func(t *testing.T) {
		select {
		case got := <-second:
			if want := n/3 + 1; got != want {
				t.Errorf("CountMatching(cs.LG) = %d, want %d (the late paper included)", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the request still waiting was never answered")
		}
	})
}

// TestRankLikeRanksAsSearchLike checks that leaving the count out (which
// skips testing the papers that cannot reach the top n) changes no hit:
// with and without filters, selective or not, exclusions, short and long
// queries, shallow and deep.
func TestRankLikeRanksAsSearchLike(t *testing.T) {
	ctx := context.Background()
	st, papers := folder(t, 300)
	lx := open(t, st)
	filters := []paper.Filter{
		{},
		{Exclude: []string{papers[42].ID, papers[43].ID}},
		{YearFrom: 2026},
		{Categories: []string{"cs.CV"}, Exclude: []string{papers[50].ID}},
		{Author: "wang"},
		{Since: "2026-04-02"},
	}
	queries := []struct{ like, text string }{
		{"", "graph neural networks"},
		{"", "diffusion models for video generation"},
		{papers[42].ID, papers[42].Text()},
		{papers[100].ID, papers[100].Text()},
	}
	for _, f := range filters {
		for _, q := range queries {
			for _, n := range []int{1, 10, 100} {
				want, total, err := lx.SearchLike(ctx, q.like, q.text, n, f)
				if err != nil {
					t.Fatal(err)
				}
				got, err := lx.RankLike(ctx, q.like, q.text, n, f)
				if err != nil {
					t.Fatal(err)
				}
				// The scores may differ in their last bits: RankLike adds
				// the words' scores heaviest first.
				if !slices.EqualFunc(got, want, func(a, b paper.Scored) bool {
					return a.ID == b.ID && math.Abs(a.Score-b.Score) <= 1e-9*math.Abs(b.Score)
				}) {
					t.Errorf("filter %+v, query %.30q, n %d: RankLike = %v, SearchLike = %v", f, q.text, n, got, want)
				}
				if n == 100 && len(want) < 2 {
					t.Errorf("filter %+v, query %.30q: %d hits: the check proves little", f, q.text, len(want))
				}
				if f.HasConditions() && total >= len(papers) {
					t.Errorf("filter %+v: %d of %d papers match: the filter keeps them all, the check proves little", f, total, len(papers))
				}
			}
		}
	}
}

// TestACountIsExactWhenAPaperIsReplacedDuringItsPass parks a filter's pass
// after its first chunk, replaces a paper that chunk counted (the paper
// gets a new number, after the chunks left to test), and checks that the
// count holds it once.
func TestACountIsExactWhenAPaperIsReplacedDuringItsPass(t *testing.T) {
	ctx := context.Background()
	lx, papers := threeChunks(t)
	n := len(papers)
	f := paper.Filter{Categories: []string{"cs.LG"}}
	reached, release := lexical.HoldPass(t, f)
	got := make(chan int, 1)
	go func() {
		n, err := lx.CountMatching(ctx, f)
		if err != nil {
			t.Error(err)
		}
		got <- n
	}()
	<-reached
	replaced := papers[0] // cs.LG, counted by the first chunk
	replaced.Abstract = "a paper, revised"
	if err := lx.Upsert(ctx, []paper.Paper{replaced}); err != nil {
		t.Fatal(err)
	}
	release()
	select {
	case c := <-got:
		if want := n / 3; c != want {
			t.Errorf("CountMatching = %d, want %d (the replaced paper once)", c, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("CountMatching never answered")
	}
}

// threeChunks is a word index of three chunks' worth of papers (see
// lexical.PassChunk), a third each in cs.LG, cs.CV and math.ST, and the
// papers.
func threeChunks(t *testing.T) (*lexical.Index, []paper.Paper) {
	t.Helper()
	_, st := lexical.EmptyStore(t)
	t.Cleanup(func() { st.Close() })
	lx := open(t, st)
	papers := make([]paper.Paper, 3*lexical.PassChunk)
	for i := range papers {
		cat := []string{"cs.LG", "cs.CV", "math.ST"}[i%3]
		papers[i] = paper.Paper{ID: "p" + strconv.Itoa(i), Abstract: "a paper", Categories: []string{cat}, Published: "2026-05-01"}
	}
	if err := lx.Upsert(context.Background(), papers); err != nil {
		t.Fatal(err)
	}
	return lx, papers
}
