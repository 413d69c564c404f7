package store_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
	chromem "github.com/philippgille/chromem-go"
)

var papers = flag.Int("papers", 20000, "papers in BenchmarkOpen and BenchmarkChromemFilePerPaper")

// synthetic makes n seeded records with random unit vectors and short
// abstracts, in batches of 64 as ingest stores them.
func synthetic(n, dim int) [][]paper.Record {
	rng := rand.New(rand.NewPCG(1, 1))
	var batches [][]paper.Record
	for i := 0; i < n; i += 64 {
		var b []paper.Record
		for j := i; j < min(i+64, n); j++ {
			v := make([]float32, dim)
			var s float64
			for k := range v {
				v[k] = float32(rng.NormFloat64())
				s += float64(v[k] * v[k])
			}
			for k := range v {
				v[k] /= float32(math.Sqrt(s))
			}
			p := paper.Paper{ID: fmt.Sprintf("%07d", j), Title: "A synthetic paper about things",
				Abstract: "An abstract of about the length of a real one would be longer than this, but not by much.",
				Authors:  []string{"Ada Lovelace"}, Categories: []string{"cs.LG"}, Published: "2026-04-01"}
			b = append(b, paper.Record{Paper: p, Hash: p.ContentHash(), Vector: v})
		}
		batches = append(batches, b)
	}
	return batches
}

func fill(b *testing.B, s *store.Store, batches [][]paper.Record) {
	for _, r := range batches {
		if err := s.Upsert(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNearest is the query hot path: one "similar papers" ranking.
func BenchmarkNearest(b *testing.B) {
	for _, c := range []struct{ n, dim int }{{20000, 100}, {100000, 768}} {
		b.Run(fmt.Sprintf("papers=%d/dim=%d", c.n, c.dim), func(b *testing.B) {
			s := store.NewMemory(embeddings.Info{Embedder: "bench", Model: "x", Dimension: c.dim})
			batches := synthetic(c.n, c.dim)
			fill(b, s, batches)
			q := batches[0][0].Vector
			for b.Loop() {
				if _, err := s.Nearest(context.Background(), q, 10, paper.Filter{Exclude: []string{batches[0][0].Paper.ID}}.Matcher()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUpsert is the write hot path: a batch of 64 papers made durable.
func BenchmarkUpsert(b *testing.B) {
	batches := synthetic(64*200, 100)
	s, err := store.Open(b.TempDir(), embeddings.Info{Embedder: "bench", Model: "x", Dimension: 100})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if err := s.Upsert(context.Background(), batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkOpen is start-up: -papers papers of 100 dimensions, from a
// snapshot alone, or as ingest left the folder (a snapshot now and then,
// the changes since in the log).
func BenchmarkOpen(b *testing.B) {
	info := embeddings.Info{Embedder: "bench", Model: "x", Dimension: 100}
	for _, snap := range []bool{true, false} {
		b.Run(map[bool]string{true: "snapshot", false: "as-written"}[snap], func(b *testing.B) {
			dir := b.TempDir()
			write(b, dir, info, snap) // in its own function, so its memory is freed
			runtime.GC()
			for b.Loop() {
				s, err := store.Open(dir, info)
				if err != nil || s.Count() != *papers {
					b.Fatalf("open: %v, %d papers", err, s.Count())
				}
				s.Close()
			}
		})
	}
}

func write(b *testing.B, dir string, info embeddings.Info, snapshot bool) {
	s, err := store.Open(dir, info)
	if err != nil {
		b.Fatal(err)
	}
	fill(b, s, synthetic(*papers, 100))
	if snapshot {
		if err := s.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
}

// BenchmarkChromemFilePerPaper is the baseline the store replaced:
// chromem-go's own persistence, one gob file per paper written on add and
// read back one by one on open, for -papers papers of 100 dimensions.
// "lost" counts the papers missing after reopening: chromem-go names a
// paper's file by 4 bytes of sha256(id), so some ids share a file.
func BenchmarkChromemFilePerPaper(b *testing.B) {
	dir := b.TempDir()
	batches := synthetic(*papers, 100)
	var written int
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			db, err := chromem.NewPersistentDB(dir, false)
			if err != nil {
				b.Fatal(err)
			}
			c, err := db.GetOrCreateCollection("bench", nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			for _, batch := range batches {
				for _, r := range batch {
					d := chromem.Document{ID: r.Paper.ID, Metadata: map[string]string{"title": r.Paper.Title, "hash": r.Hash},
						Embedding: r.Vector, Content: r.Paper.Abstract}
					if err := c.AddDocument(context.Background(), d); err != nil {
						b.Fatal(err)
					}
				}
			}
			written = c.Count()
		}
	})
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			db, err := chromem.NewPersistentDB(dir, false)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(written-db.GetCollection("bench", nil).Count()), "lost")
		}
	})
}
