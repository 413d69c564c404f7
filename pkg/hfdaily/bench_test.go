package hfdaily_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/harvest/harvesttest"
	"github.com/paperlens/paperlens/pkg/hfdaily"
	"github.com/paperlens/paperlens/pkg/hfdaily/hfdailytest"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

// BenchmarkSync measures the pace of a Daily Papers sync from a local
// server (20 days of 50 entries, one request a day) into a fresh data folder
// with the built-in embedder, against upserting the same 1,000 papers
// straight into a fresh folder in the same run: the difference is what the
// fetching, parsing and cursor saves cost.
//
//	go test -run '^$' -bench Sync -benchtime 5x ./pkg/hfdaily
func BenchmarkSync(b *testing.B) {
	const days, perDay = 20, 50
	srv := hfdailytest.New(b, "")
	var all []paper.Paper
	for d := 1; d <= days; d++ {
		var entries []json.RawMessage
		for i := 1; i <= perDay; i++ {
			id := fmt.Sprintf("2611.%02d%03d", d, i)
			e := hfdailytest.Entry(id, "Benchmark paper "+id, fmt.Sprintf("What paper %s found about retrieval topic %d, in a sentence or two of abstract text.", id, i), i)
			entries = append(entries, e)
			if _, err := loader.Load(bytes.NewReader(append(append([]byte("["), e...), ']')), loader.Options{Format: loader.HF}, func(p paper.Paper) error { all = append(all, p); return nil }); err != nil {
				b.Fatal(err)
			}
		}
		srv.SetDay(fmt.Sprintf("2026-10-%02d", d), entries)
	}
	b.Run("upsert only", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			f := harvesttest.Open(b, b.TempDir(), 0)
			b.StartTimer()
			if _, err := f.Upsert(context.Background(), all); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(all)*b.N)/b.Elapsed().Seconds(), "papers/s")
	})
	b.Run("sync", func(b *testing.B) {
		var requests int64
		for b.Loop() {
			b.StopTimer()
			f := harvesttest.Open(b, b.TempDir(), 0)
			c := &harvest.Client{}
			run, err := harvest.NewRun(f.Dir, hfdaily.Key, f, c)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := hfdaily.Sync(context.Background(), c, run, hfdaily.Options{URL: srv.URL, From: "2026-10-01", To: fmt.Sprintf("2026-10-%02d", days)}); err != nil {
				b.Fatal(err)
			}
			if rep := run.Report(); rep.Added != days*perDay {
				b.Fatalf("added %d, want %d", rep.Added, days*perDay)
			}
			requests += c.Requests()
		}
		b.ReportMetric(float64(days*perDay*b.N)/b.Elapsed().Seconds(), "papers/s")
		b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	})
}
