package search_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
	"github.com/paperlens/paperlens/pkg/search"
)

// benchQueries are searches a reader of the arXiv sample might type.
var benchQueries = []string{
	"diffusion models for video generation",
	"reinforcement learning from human feedback for language models",
	"robot manipulation with vision language action models",
	"efficient attention for long context transformers",
	"medical image segmentation",
	"retrieval augmented generation hallucination",
	"graph neural networks",
	"3D gaussian splatting reconstruction",
}

// BenchmarkQuery ranks the arXiv sample, built once into a temporary data
// folder with the built-in embedder (about a minute, not timed), with and
// without filters and highlights. It reports the median latency as
// median-ms; the vector-only ranking is the baseline of the same run.
//
//	go test ./pkg/search -run '^$' -bench Query -benchtime 200x
func BenchmarkQuery(b *testing.B) {
	ctx := context.Background()
	papers := papertest.Open(b, papertest.Builtin(b))
	start := time.Now()
	ing := papers.Ingester()
	ing.BatchSize = 512
	st, _, err := ing.File(ctx, papertest.SharedData(b, "arxiv-2026q2/papers.jsonl"), loader.Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("ingested %d papers in %s", st.Total(), time.Since(start).Round(time.Second))
	eng := papers.Engine()
	filtered := paper.Filter{YearFrom: 2026, Categories: []string{"cs.CV", "cs.LG"}}
	var someID string
	if p, err := eng.Search(ctx, benchQueries[0], search.Options{Limit: 1}); err == nil && len(p.Results) > 0 {
		someID = p.Results[0].ID
	}

	// A reader's library: ten papers on video diffusion, not five on
	// medical segmentation, as POST /v1/recommend asks.
	examples := func(q string, n int) []search.Example {
		p, err := eng.Search(ctx, q, search.Options{Limit: n})
		if err != nil {
			b.Fatal(err)
		}
		out := make([]search.Example, len(p.Results))
		for i, h := range p.Results {
			out[i] = search.Example{ID: h.ID}
		}
		return out
	}
	liked, disliked := examples(benchQueries[0], 10), examples(benchQueries[4], 5)

	for _, c := range []struct {
		name      string
		o         search.Options
		similar   bool
		recommend bool
	}{
		{"vector", search.Options{Mode: search.Vector}, false, false},
		{"lexical", search.Options{Mode: search.Lexical}, false, false},
		{"hybrid", search.Options{}, false, false},
		{"hybrid+filters+highlight", search.Options{Filter: filtered, Highlight: true}, false, false},
		{"hybrid+author+highlight", search.Options{Filter: paper.Filter{Author: "smith"}, Highlight: true}, false, false},
		// "wang" is in the names of about one author in ten: the worst case.
		{"hybrid+commonest-author+highlight+explain", search.Options{Filter: paper.Filter{Author: "wang"}, Highlight: true, Explain: true}, false, false},
		// "Papers like this one" as GET /v1/papers/{id}/similar asks for it.
		{"similar", search.Options{}, true, false},
		{"similar+filters+highlight", search.Options{Filter: filtered, Highlight: true}, true, false},
		// Issue #15's target: 10 positives and 5 negatives, median <= 30 ms.
		{"recommend-10+5", search.Options{}, false, true},
		// What a feed asks: the newest 50 of the last two weeks' matches.
		{"feed-search", search.Options{Limit: 50, Sort: search.ByDate, Filter: paper.Filter{Since: "2026-06-16"}}, false, false},
		{"feed-recommend-10+5", search.Options{Limit: 50, Sort: search.ByDate, Filter: paper.Filter{Since: "2026-06-16"}}, false, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			i := 0
			for b.Loop() {
				t0 := time.Now()
				var err error
				switch {
				case c.recommend:
					_, err = eng.Recommend(ctx, liked, disliked, c.o)
				case c.similar:
					_, err = eng.Similar(ctx, someID, c.o)
				default:
					_, err = eng.Search(ctx, benchQueries[i%len(benchQueries)], c.o)
				}
				if err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
				i++
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
		})
	}
}
