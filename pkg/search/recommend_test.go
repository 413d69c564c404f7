package search_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
	"github.com/paperlens/paperlens/pkg/search"
)

func ex(ids ...string) []search.Example {
	out := make([]search.Example, len(ids))
	for i, id := range ids {
		out[i] = search.Example{ID: id}
	}
	return out
}

func TestRecommendRanksLikeThePositivesAndUnlikeTheNegatives(t *testing.T) {
	ctx := context.Background()
	eng, byTitle := seedEngine(t)
	prism := byTitle["In-Context Learning through the Bayesian Prism"].ID
	general := byTitle["General-Purpose In-Context Learning by Meta-Learning Transformers"].ID
	uncertainty := byTitle["Towards Better Understanding of In-Context Learning Ability from In-Context Uncertainty Quantification"].ID

	t.Run("one positive ranks exactly as papers like it", func(t *testing.T) {
		for _, m := range search.Modes {
			rec, err := eng.Recommend(ctx, ex(prism), nil, search.Options{Limit: 20, Mode: m})
			if err != nil {
				t.Fatal(err)
			}
			sim, err := eng.Similar(ctx, prism, search.Options{Limit: 20, Mode: m})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(rec.Results), ids(sim.Results)) || rec.Total != sim.Total {
				t.Errorf("%s: recommend %v (total %d), similar %v (total %d)", m, ids(rec.Results), rec.Total, ids(sim.Results), sim.Total)
			}
		}
	})
	t.Run("no example is in the list, and the total leaves them out", func(t *testing.T) {
		page, err := eng.Recommend(ctx, ex(prism, general), ex(uncertainty), search.Options{Limit: 40})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{prism, general, uncertainty} {
			if slices.Contains(ids(page.Results), id) {
				t.Errorf("example %s is in its own recommendation", id)
			}
		}
		if page.Total != 35 || len(page.Results) != 35 {
			t.Errorf("%d results of %d, want all 35 other papers", len(page.Results), page.Total)
		}
	})
	t.Run("a negative example pushes down the papers like it", func(t *testing.T) {
		without, err := eng.Recommend(ctx, ex(general), nil, search.Options{Limit: 37})
		if err != nil {
			t.Fatal(err)
		}
		with, err := eng.Recommend(ctx, ex(general), ex(uncertainty), search.Options{Limit: 37})
		if err != nil {
			t.Fatal(err)
		}
		// The papers most like the negative one, other than the examples.
		likeNeg, err := eng.Similar(ctx, uncertainty, search.Options{Limit: 3, Filter: paper.Filter{Exclude: []string{general}}})
		if err != nil {
			t.Fatal(err)
		}
		down := 0
		for _, id := range ids(likeNeg.Results) {
			if slices.Index(ids(with.Results), id) > slices.Index(ids(without.Results), id) {
				down++
			}
		}
		if down < 2 {
			t.Errorf("of the 3 papers most like the negative example %v, %d ranked lower with it; want at least 2\nwithout %v\nwith    %v",
				ids(likeNeg.Results), down, ids(without.Results), ids(with.Results))
		}
	})
	t.Run("a text is an example too", func(t *testing.T) {
		page, err := eng.Recommend(ctx, []search.Example{{Text: byTitle["Meta Automatic Curriculum Learning"].Abstract}}, nil, search.Options{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Results) == 0 || page.Results[0].ID != byTitle["Meta Automatic Curriculum Learning"].ID {
			t.Errorf("top hits %v, want the paper whose abstract was given first", ids(page.Results))
		}
	})
}

func TestRecommendRefusesBadExamples(t *testing.T) {
	ctx := context.Background()
	eng, byTitle := seedEngine(t)
	a := byTitle["In-Context Learning through the Bayesian Prism"].ID
	b := byTitle["Meta Automatic Curriculum Learning"].ID
	many := make([]search.Example, search.MaxExamples+1)
	for i := range many {
		many[i] = search.Example{ID: a}
	}
	tests := []struct {
		name      string
		pos, neg  []search.Example
		wantParam string // "" for a 404
	}{
		{"no positive", nil, ex(a), "positive"},
		{"more positives than the limit", many, nil, "positive"},
		{"more negatives than the limit", ex(b), many, "negative"},
		{"a paper given twice", ex(a, a), nil, "positive"},
		{"a paper both positive and negative", ex(a), ex(b, a), "negative"},
		{"an example with both an id and a text", []search.Example{{ID: a, Text: "x"}}, nil, "positive"},
		{"an empty example", []search.Example{{}}, nil, "positive"},
		{"a text longer than a query may be", []search.Example{{Text: strings.Repeat("a ", search.MaxQueryLength)}}, nil, "positive"},
		{"an unknown paper", ex(a, "no-such-paper"), nil, ""},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			_, err := eng.Recommend(ctx, tt.pos, tt.neg, search.Options{})
			var bad *search.Error
			switch {
			case tt.wantParam == "":
				if !errors.Is(err, paper.ErrNotFound) || !strings.Contains(err.Error(), "no-such-paper") {
					t.Errorf("err = %v, want paper.ErrNotFound naming the id", err)
				}
			case !errors.As(err, &bad) || bad.Param != tt.wantParam:
				t.Errorf("err = %v, want a *search.Error about %q", err, tt.wantParam)
			}
		})
	}
}

func TestSortAndSince(t *testing.T) {
	ctx := context.Background()
	papers := papertest.ReadPapers(t, papertest.SharedData(t, "arxiv-2026q2/papers.jsonl"), 300)
	eng := papertest.Seeded(t, papers...).Engine()
	const q = "large language models"
	t.Run("sort=date puts the newest of the matching papers first", func(t *testing.T) {
		rel, err := eng.Search(ctx, q, search.Options{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		byDate, err := eng.Search(ctx, q, search.Options{Limit: 100, Sort: search.ByDate})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.IsSortedFunc(byDate.Results, func(a, b paper.Hit) int { return strings.Compare(b.Published, a.Published) }) {
			t.Errorf("not newest first: %v", dates(byDate.Results))
		}
		if len(byDate.Results) != len(rel.Results) || byDate.Total > search.SortDepth {
			t.Errorf("%d results by date (total %d), %d by relevance", len(byDate.Results), byDate.Total, len(rel.Results))
		}
		if newest := slices.MaxFunc(rel.Results, func(a, b paper.Hit) int { return strings.Compare(a.Published, b.Published) }); byDate.Results[0].Published != newest.Published {
			t.Errorf("first by date published %s, the newest relevant paper %s", byDate.Results[0].Published, newest.Published)
		}
	})
	t.Run("since keeps the papers published on or after the day", func(t *testing.T) {
		since := papers[len(papers)/2].Published
		page, err := eng.Search(ctx, q, search.Options{Limit: 100, Filter: paper.Filter{Since: since}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Results) == 0 {
			t.Fatal("no results")
		}
		for _, h := range page.Results {
			if h.Published < since {
				t.Errorf("%s published %s, before %s", h.ID, h.Published, since)
			}
		}
	})
	t.Run("a sort or a since that cannot be read is refused", func(t *testing.T) {
		for _, o := range []search.Options{{Sort: "newest"}, {Filter: paper.Filter{Since: "2026-13-01"}}, {Filter: paper.Filter{Since: "last week"}}} {
			var bad *search.Error
			if _, err := eng.Search(ctx, q, o); !errors.As(err, &bad) {
				t.Errorf("%+v: err = %v, want a *search.Error", o, err)
			}
		}
	})
}

func dates(hits []paper.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Published
	}
	return out
}
