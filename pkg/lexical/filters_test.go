package lexical

import (
	"context"
	"slices"
	"testing"

	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

func TestPassingIDsAreThePapersThatPass(t *testing.T) {
	ctx := context.Background()
	papers := LoadPapers(t, arxivSample, 2000, loader.Options{})
	papers[0].Published, papers[1].Categories = "", nil // no date, no category
	x := indexOf(t, papers)
	if err := x.Delete(ctx, papers[2].ID); err != nil {
		t.Fatal(err)
	}
	live := papers[:2:2]
	live = append(live, papers[3:]...)
	for _, c := range []struct {
		name string
		f    paper.Filter
	}{
		{"one category", paper.Filter{Categories: []string{"cs.CV"}}},
		{"two categories in another case", paper.Filter{Categories: []string{"CS.cl", "cs.AI"}}},
		{"one year", paper.Filter{YearFrom: 2026, YearTo: 2026}},
		{"no year passes", paper.Filter{YearTo: 2025}},
		{"a common name", paper.Filter{Author: "wang"}},
		{"a year, a category and a name", paper.Filter{YearFrom: 2026, Categories: []string{"cs.LG"}, Author: "li"}},
		{"a day and after", paper.Filter{Since: "2026-05-15"}},
		{"a day, a category and excluded papers", paper.Filter{Since: "2026-04-20", Categories: []string{"cs.CL"}, Exclude: []string{"2604.15911"}}},
	} {
		f := c.f
		var want []string
		for _, p := range live {
			if f.Match(&p) {
				want = append(want, p.ID)
			}
		}
		t.Run(c.name+": when few papers pass, they are all given", func(t *testing.T) {
			got, few, err := x.PassingIDs(ctx, f, len(want))
			slices.Sort(got)
			slices.Sort(want)
			if err != nil || !few || !slices.Equal(got, want) {
				t.Errorf("PassingIDs(%+v) = %d ids, %v, %v; want the %d papers Match lets through", f, len(got), few, err, len(want))
			}
			if n, err := x.CountMatching(ctx, f); err != nil || n != len(want) {
				t.Errorf("CountMatching(%+v) = %d, %v; want %d", f, n, err, len(want))
			}
		})
		t.Run(c.name+": when more papers pass, it says so", func(t *testing.T) {
			if len(want) == 0 {
				return
			}
			if ids, few, err := x.PassingIDs(ctx, f, len(want)-1); err != nil || few || ids != nil {
				t.Errorf("PassingIDs(%+v, %d) = %d ids, %v, %v; want none and false", f, len(want)-1, len(ids), few, err)
			}
		})
	}
}

// passOf is the set of the papers of x that pass f (nil: none, for a
// ranking of every paper).
func passOf(t testing.TB, x *postings, f *paper.Filter) *filterSet {
	t.Helper()
	if f == nil {
		return nil
	}
	s, err := x.pass(context.Background(), f.Fields(), f.Fields().Key())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
