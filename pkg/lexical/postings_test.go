package lexical

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/paperlens/paperlens/pkg/eval"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/words"
)

// indexOf is a new index holding papers, written as ingest writes them.
func indexOf(t testing.TB, papers []paper.Paper) *Index {
	t.Helper()
	x := blankIndex(t)
	for i := 0; i < len(papers); i += 500 {
		if err := x.Upsert(context.Background(), papers[i:min(i+500, len(papers))]); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

// memIndex is an index whose postings hold papers as Open builds them;
// no paper is filed, so it serves rankings without filters only.
func memIndex(t testing.TB, papers []paper.Paper) *Index {
	t.Helper()
	x := blankIndex(t)
	docs, err := analyseAll(context.Background(), x.an, papers)
	if err != nil {
		t.Fatal(err)
	}
	x.mem.Load().add(docs)
	return x
}

func ids(hits []paper.Scored) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestBM25FRanking(t *testing.T) {
	tests := []struct {
		name   string
		papers []paper.Paper
		query  string
		want   []string
	}{
		{"a word in the title outranks the same word in the abstract", []paper.Paper{
			{ID: "abstract", Title: "Small island notes", Abstract: "Field notes on quokka habitats."},
			{ID: "title", Title: "Quokka habitats", Abstract: "Field notes from small islands."},
		}, "quokka", []string{"title", "abstract"}},
		{"a short abstract outranks a long one with the same match", []paper.Paper{
			{ID: "long", Title: "Marsupials", Abstract: "Quokka counts across many small coastal islands over several long years."},
			{ID: "short", Title: "Marsupials", Abstract: "Quokka counts."},
		}, "quokka", []string{"short", "long"}},
		{"a rare word of the query counts more than a common one", []paper.Paper{
			{ID: "a", Title: "Notes", Abstract: "Island survey."},
			{ID: "b", Title: "Notes", Abstract: "Island census."},
			{ID: "c", Title: "Notes", Abstract: "Quokka survey."},
			{ID: "d", Title: "Notes", Abstract: "Island count."},
		}, "island quokka", []string{"c", "a", "b", "d"}},
		{"a paper holding more of the query's words ranks first", []paper.Paper{
			{ID: "one", Title: "Graph kernels", Abstract: "A kernel method for graphs."},
			{ID: "all", Title: "Graph networks", Abstract: "A neural method for graphs."},
		}, "graph neural network", []string{"all", "one"}},
		{"a word repeated more often than a count holds still ranks first", []paper.Paper{
			{ID: "once", Title: "Notes", Abstract: "Quokka wallaby."},
			{ID: "many", Title: "Notes", Abstract: strings.Repeat("quokka ", 70000)},
		}, "quokka", []string{"many", "once"}},
		{"papers without titles rank by their abstracts", []paper.Paper{
			{ID: "twice", Abstract: "Quokka and quokka again."},
			{ID: "once", Abstract: "Quokka and wallaby again."},
		}, "quokka", []string{"twice", "once"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := indexOf(t, tt.papers)
			hits, n, err := x.Search(context.Background(), tt.query, 10, paper.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(hits); !slices.Equal(got, tt.want) || n != len(tt.want) {
				t.Errorf("Search(%q) = %v (%d matching), want %v", tt.query, hits, n, tt.want)
			}
		})
	}
}

func TestRepeatedWordsSaturate(t *testing.T) {
	x := indexOf(t, []paper.Paper{
		{ID: "1", Title: "Notes", Abstract: "Quokka wallaby wallaby wallaby wallaby."},
		{ID: "2", Title: "Notes", Abstract: "Quokka quokka wallaby wallaby wallaby."},
		{ID: "4", Title: "Notes", Abstract: "Quokka quokka quokka quokka wallaby."},
		{ID: "none", Title: "Notes", Abstract: "Kangaroo."},
	})
	hits, _, err := x.Search(context.Background(), "quokka", 10, paper.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(hits); !slices.Equal(got, []string{"4", "2", "1"}) {
		t.Fatalf("ranking %v, want 4, 2, 1", hits)
	}
	s4, s2, s1 := hits[0].Score, hits[1].Score, hits[2].Score
	if s2/s1 >= 2 || s4/s2 >= 2 || s4/s2 >= s2/s1 {
		t.Errorf("scores for 1, 2, 4 occurrences: %g, %g, %g; want each doubling to gain less", s1, s2, s4)
	}
}

// TestWritesKeepTheStatisticsOfTheLivePapers checks the bookkeeping of
// document frequencies and average lengths: an index that saw papers
// replaced and deleted ranks exactly as one built from the papers left.
func TestWritesKeepTheStatisticsOfTheLivePapers(t *testing.T) {
	ctx := context.Background()
	papers := LoadPapers(t, arxivSample, 3000, loader.Options{})
	written := indexOf(t, papers)
	changed := papers[7]
	changed.Abstract = "A protein folding model for graph neural networks."
	if err := written.Upsert(ctx, []paper.Paper{changed}); err != nil {
		t.Fatal(err)
	}
	// Enough deletions for the postings to renumber their papers.
	gone := []string{papers[8].ID}
	for i := 1000; i < 2100; i++ {
		gone = append(gone, papers[i].ID)
	}
	if err := written.Delete(ctx, gone...); err != nil {
		t.Fatal(err)
	}

	left := []paper.Paper{changed}
	for i, p := range papers {
		if i != 7 && i != 8 && (i < 1000 || i >= 2100) {
			left = append(left, p)
		}
	}
	fresh := memIndex(t, left) // built as Open builds it

	tests := []struct {
		name, text string
		exclude    []string
	}{
		{"a short query", "graph neural networks for molecules", nil},
		{"a short query repeating a word", "neural neural network pruning", nil},
		{"a query with an unknown word", "transformer zzqxv attention", nil},
		{"a whole abstract, cut to its key words", papers[42].Text(), []string{papers[42].ID}},
		{"the replaced paper's new words", changed.Abstract, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotN, err := written.Search(ctx, tt.text, 50, paper.Filter{Exclude: tt.exclude})
			if err != nil {
				t.Fatal(err)
			}
			want, wantN, err := fresh.Search(ctx, tt.text, 50, paper.Filter{Exclude: tt.exclude})
			if err != nil {
				t.Fatal(err)
			}
			if gotN != wantN || len(got) != len(want) || len(got) == 0 {
				t.Fatalf("%d hits of %d matching, fresh index %d of %d", len(got), gotN, len(want), wantN)
			}
			for i := range got {
				if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-9*want[i].Score {
					t.Errorf("hit %d: %s %.12g, fresh index %s %.12g", i, got[i].ID, got[i].Score, want[i].ID, want[i].Score)
				}
			}
		})
	}
	t.Run("a paper's stored words rank as its analysed text does", func(t *testing.T) {
		p := papers[99]
		got, _, err := written.SearchLike(ctx, p.ID, p.Text(), 50, paper.Filter{Exclude: []string{p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := written.Search(ctx, p.Text(), 50, paper.Filter{Exclude: []string{p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || !slices.Equal(got, want) {
			t.Errorf("SearchLike = %v, Search = %v", got, want)
		}
	})
}

// TestSciFactLexicalQuality measures the word ranking alone on the SciFact
// train split (809 queries): docs/quality.md gives 0.6941 nDCG@10 for it, and
// bleve's own BM25 scored 0.6796.
func TestSciFactLexicalQuality(t *testing.T) {
	const dir = "../../../shared/data/scifact/"
	papers := LoadPapers(t, dir+"corpus.jsonl", -1, loader.Options{Format: loader.BEIR})
	x := memIndex(t, papers)
	qrels, err := eval.ReadQrels(dir + "qrels/train.tsv")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := eval.ReadQueries(dir + "queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	runs := make([][]string, len(qs))
	for i, q := range qs {
		hits, _, err := x.Search(context.Background(), q.Text, 10, paper.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			runs[i] = append(runs[i], h.ID)
		}
	}
	s := eval.Score(qs, runs, qrels)
	if s.Judged != 809 {
		t.Fatalf("%d judged queries, want the 809 of the train split", s.Judged)
	}
	if s.NDCG10 < 0.69 {
		t.Errorf("nDCG@10 = %.4f over %d queries, want at least 0.69", s.NDCG10, s.Judged)
	} else {
		t.Logf("nDCG@10 = %.4f over %d queries", s.NDCG10, s.Judged)
	}
}

func TestRankingWithoutCountingFindsTheSameTopPapers(t *testing.T) {
	ctx := context.Background()
	papers := LoadPapers(t, arxivSample, 4000, loader.Options{})
	x := indexOf(t, papers)
	if err := x.Delete(ctx, papers[3].ID, papers[4].ID); err != nil { // dead papers in the lists
		t.Fatal(err)
	}
	type query struct {
		name, like, text string
		n                int
		f                paper.Filter
	}
	var queries []query
	for _, q := range []string{"graph neural networks for molecules", "diffusion models for video generation",
		"efficient attention for long context transformers", "a survey of large language models", "model", "learning learning models"} {
		for _, n := range []int{1, 10, 100} {
			queries = append(queries, query{name: q, text: q, n: n})
		}
	}
	for i := 0; i < len(papers); i += 97 {
		p := papers[i]
		queries = append(queries,
			query{name: "papers like " + p.ID, like: p.ID, text: p.Text(), n: 100, f: paper.Filter{Exclude: []string{p.ID}}},
			query{name: "papers like " + p.ID + ", top 10, in cs.CV", like: p.ID, text: p.Text(), n: 10, f: paper.Filter{Categories: []string{"cs.CV"}, Exclude: []string{p.ID}}})
	}
	wants := make([][]paper.Scored, len(queries))
	for i, q := range queries {
		want, _, err := x.SearchLike(ctx, q.like, q.text, q.n, q.f)
		if err != nil {
			t.Fatal(err)
		}
		wants[i] = want
	}
	defer func(size, words int, block int32) {
		partedSize, maxPrunedWords, rankedBlock = size, words, block
	}(partedSize, maxPrunedWords, rankedBlock)
	maxPrunedWords = words.MaxQueryTerms // long queries pruned too
	for _, parted := range []bool{false, true} {
		name := "on one core"
		if parted {
			name = "in parts, one per core, by blocks of papers"
			partedSize, rankedBlock = 1, 97
		}
		t.Run(name, func(t *testing.T) {
			for i, q := range queries {
				got, err := x.RankLike(ctx, q.like, q.text, q.n, q.f)
				if err != nil {
					t.Fatal(err)
				}
				counted, _, err := x.SearchLike(ctx, q.like, q.text, q.n, q.f)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range []struct {
					how  string
					hits []paper.Scored
				}{{"without counting", got}, {"counting", counted}} {
					want := wants[i]
					if len(c.hits) != len(want) {
						t.Fatalf("%s: %d hits %s, %d counting on one core", q.name, len(c.hits), c.how, len(want))
					}
					for j := range want {
						if c.hits[j].ID != want[j].ID || math.Abs(c.hits[j].Score-want[j].Score) > 1e-9*want[j].Score {
							t.Fatalf("%s, hit %d: %v %s, %v counting on one core", q.name, j, c.hits[j], c.how, want[j])
						}
					}
				}
			}
		})
	}
}

// BenchmarkRankLike ranks over the 20,426 arXiv papers (analysed once, not
// timed) the top 100 for fusion, as the hybrid ranking asks for them:
// "papers like this one" for a method paper, whose key words are rare,
// and for a survey, whose key words include common ones, and a short
// query. "counting" is the same ranking counting every paper that
// matches, as the lexical mode does: the baseline of the same run.
//
//	go test ./pkg/lexical -run '^$' -bench RankLike
func BenchmarkRankLike(b *testing.B) {
	papers := LoadPapers(b, arxivSample, -1, loader.Options{})
	x := indexOf(b, papers)
	text := map[string]string{"query": "diffusion models for video generation"}
	for _, p := range papers {
		text[p.ID] = p.Text()
	}
	ctx := context.Background()
	for _, c := range []struct{ name, id string }{{"method", "2604.21330"}, {"survey", "2604.15911"}, {"query", ""}} {
		t, like := text[c.id], c.id
		if c.id == "" {
			t = text["query"]
		}
		if t == "" {
			b.Fatalf("no paper %s in the sample", c.id)
		}
		b.Run(c.name+"/pruned", func(b *testing.B) {
			defer threadCPU(b)()
			for b.Loop() {
				if _, err := x.RankLike(ctx, like, t, 100, paper.Filter{Exclude: []string{like}}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/counting", func(b *testing.B) {
			defer threadCPU(b)()
			for b.Loop() {
				if _, _, err := x.SearchLike(ctx, like, t, 100, paper.Filter{Exclude: []string{like}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// threadCPU reports, when the returned function is called, the processor
// time the benchmark's thread spent per operation as cpu-ns/op: on a
// machine shared with other work it leaves out the time spent waiting for
// a core, which ns/op counts. It measures single-threaded work only.
func threadCPU(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadTime()
	return func() {
		b.ReportMetric(float64((threadTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		runtime.UnlockOSThread()
	}
}

func threadTime() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestNthBestIsTheNthLargestScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, size := range []int{1, 2, 3, 10, 100, 1000} {
		for _, n := range []int{1, 2, 7, 100} {
			t.Run(fmt.Sprintf("the %dth of %d scores", n, size), func(t *testing.T) {
				score := make([]float64, size)
				touched := make([]int32, size)
				for i := range score {
					score[i] = float64(rng.IntN(20)) // with ties
					touched[i] = int32(i)
				}
				got, _ := nthBest(score, [][]int32{touched[:size/2], touched[size/2:]}, n, nil)
				want := 0.0
				if n <= size {
					sorted := slices.Clone(score)
					slices.Sort(sorted)
					want = sorted[size-n]
				}
				if got != want {
					t.Errorf("nthBest = %v, want %v", got, want)
				}
			})
		}
	}
}
