package arxiv_test

import (
	"context"
	"testing"

	"github.com/paperlens/paperlens/pkg/arxiv"
	"github.com/paperlens/paperlens/pkg/arxiv/arxivtest"
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/harvest/harvesttest"
)

// BenchmarkSync measures the pace of an OAI-PMH harvest from a local server
// (10 pages of 100 records, no interval between requests: arXiv's own 3 s
// would dominate) into a fresh data folder with the built-in embedder.
//
//	go test -run '^$' -bench Sync -benchtime 5x ./pkg/arxiv
func BenchmarkSync(b *testing.B) {
	const pages, perPage = 10, 100
	srv := arxivtest.Generated(b, "cs", "2026-11-22", "2611", pages, perPage)
	for b.Loop() {
		b.StopTimer()
		f := harvesttest.Open(b, b.TempDir(), 0)
		c := &harvest.Client{}
		run, err := harvest.NewRun(f.Dir, arxiv.Key("cs"), f, c)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := arxiv.Sync(context.Background(), c, run, arxiv.Options{URL: srv.URL, Set: "cs", From: "2026-11-20"}); err != nil {
			b.Fatal(err)
		}
		if rep := run.Report(); rep.Added != pages*perPage {
			b.Fatalf("added %d, want %d", rep.Added, pages*perPage)
		}
	}
	b.ReportMetric(float64(pages*perPage*b.N)/b.Elapsed().Seconds(), "papers/s")
}
