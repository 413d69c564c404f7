package lexical

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

// TestPostingsRankAsBleveDoes compares the in-memory ranking with bleve's
// own BM25 search on the same compacted index (the one eval measures): the
// same papers in the same order with the same scores.
func TestPostingsRankAsBleveDoes(t *testing.T) {
	ctx := context.Background()
	var papers []paper.Paper
	enough := errors.New("enough")
	if _, err := loader.LoadFile("../../../shared/data/arxiv-2026q2/papers.jsonl", loader.Options{}, func(p paper.Paper) error {
		if len(papers) == 3000 {
			return enough
		}
		p.Normalize()
		papers = append(papers, p)
		return nil
	}); err != nil && !errors.Is(err, enough) {
		t.Fatal(err)
	}
	dir := t.TempDir() + "/lexical"
	x, err := openDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for i := 0; i < len(papers); i += 500 {
		if err := x.Upsert(ctx, papers[i:min(i+500, len(papers))]); err != nil {
			t.Fatal(err)
		}
	}
	// A replaced and a deleted paper leave dead entries behind.
	changed := papers[7]
	changed.Abstract = "A protein folding model for graph neural networks."
	if err := x.Upsert(ctx, []paper.Paper{changed}); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(ctx, papers[8].ID); err != nil {
		t.Fatal(err)
	}
	// Compacted to one segment once bleve has written every batch: bleve's
	// average length sums the distinct words of each segment.
	mem := x.mem.Load()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if x, err = openDir(dir); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.mem.Store(mem)
	if err := x.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		exclude    []string
		filter     Filter
	}{
		{"a short query", "graph neural networks for molecules", nil, Filter{}},
		{"a short query repeating a word", "neural neural network pruning", nil, Filter{}},
		{"a query with an unknown word", "transformer zzqxv attention", nil, Filter{}},
		{"a whole abstract, cut to its key words", papers[42].Text(), []string{papers[42].ID}, Filter{}},
		{"another abstract", papers[1234].Text(), []string{papers[1234].ID}, Filter{}},
		{"a query with a filter", "deep learning", nil, Filter{Categories: []string{papers[3].Categories[0]}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotN, err := x.Search(ctx, tt.text, 50, tt.filter, tt.exclude...)
			if err != nil {
				t.Fatal(err)
			}
			want, wantN, err := x.searchBleve(ctx, tt.text, 50, tt.filter, tt.exclude...)
			if err != nil {
				t.Fatal(err)
			}
			if gotN != wantN || len(got) != len(want) {
				t.Fatalf("%d hits of %d matching, bleve %d of %d", len(got), gotN, len(want), wantN)
			}
			if len(got) == 0 {
				t.Fatal("no hits: the comparison shows nothing")
			}
			for i := range got {
				if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-9*want[i].Score {
					t.Errorf("hit %d: %s %.12g, bleve %s %.12g", i, got[i].ID, got[i].Score, want[i].ID, want[i].Score)
				}
			}
		})
	}
	t.Run("a paper's stored words rank as its analysed text does", func(t *testing.T) {
		p := papers[99]
		got, gotN, err := x.SearchLike(ctx, p.ID, p.Text(), 50, Filter{}, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, wantN, err := x.searchBleve(ctx, p.Text(), 50, Filter{}, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gotN != wantN || len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%d hits of %d matching, bleve %d of %d", len(got), gotN, len(want), wantN)
		}
		for i := range got {
			if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-9*want[i].Score {
				t.Errorf("hit %d: %s %.12g, bleve %s %.12g", i, got[i].ID, got[i].Score, want[i].ID, want[i].Score)
			}
		}
	})
}
