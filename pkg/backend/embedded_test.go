package backend_test

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
)

// TestNearestWithAFilterRanksAsAScanOfThePapersThatPass checks the
// embedded backend's vector ranking under filters against the exact
// answer worked out here from every stored paper: a filter that few papers
// pass ranks just those (the word index names them), one that many pass
// is tested as the scan meets each paper, and excluded papers are left
// out either way.
func TestNearestWithAFilterRanksAsAScanOfThePapersThatPass(t *testing.T) {
	ctx := context.Background()
	papers := papertest.Seeded(t, papertest.ReadPapers(t, papertest.SharedData(t, "arxiv-2026q2/papers.jsonl"), 2000)...)
	var all []paper.Record
	for r, err := range papers.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	exclude := []string{all[3].Paper.ID, all[7].Paper.ID}
	filters := []struct {
		name string
		f    paper.Filter
	}{
		{"few pass (one category)", paper.Filter{Categories: []string{"cs.RO"}}},
		{"few pass, some excluded", paper.Filter{Categories: []string{"cs.RO", "cs.CL"}, Exclude: exclude}},
		{"few pass (an author)", paper.Filter{Author: "wang"}},
		{"many pass (a date)", paper.Filter{Since: "2026-04-01"}},
		{"many pass, some excluded", paper.Filter{YearFrom: 2026, Exclude: exclude}},
	}
	for _, c := range filters {
		t.Run(c.name, func(t *testing.T) {
			match := c.f.Matcher()
			var pass []paper.Record
			for _, r := range all {
				if match(&r.Paper) {
					pass = append(pass, r)
				}
			}
			if len(pass) < 20 {
				t.Fatalf("%d papers pass: too few for the check", len(pass))
			}
			for q := range 5 {
				v := all[q*97].Vector
				exact := slices.Clone(pass)
				slices.SortFunc(exact, func(a, b paper.Record) int {
					return cmp.Or(cmp.Compare(dot(b.Vector, v), dot(a.Vector, v)), cmp.Compare(a.Paper.ID, b.Paper.ID))
				})
				hits, err := papers.Nearest(ctx, v, 10, c.f)
				if err != nil {
					t.Fatal(err)
				}
				var got, want []string
				for i, h := range hits {
					got, want = append(got, h.ID), append(want, exact[i].Paper.ID)
				}
				if !slices.Equal(got, want) {
					t.Errorf("query %d: Nearest = %v, want %v", q, got, want)
				}
			}
		})
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
