package search_test

import (
	"context"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
	"github.com/paperlens/paperlens/pkg/search"
)

// seedEngine is an engine over the 38 seed papers, ingested with the
// built-in embedder into a fresh data folder, and the papers by title.
func seedEngine(t *testing.T) (*search.Engine, map[string]paper.Paper) {
	t.Helper()
	papers, _ := papertest.SeedPapers(t)
	byTitle := map[string]paper.Paper{}
	for _, p := range papers {
		byTitle[p.Title] = p
	}
	return papertest.Seeded(t, papers...).Engine(), byTitle
}

func ids(hits []paper.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestSimilarFindsTheOtherInContextLearningPapers(t *testing.T) {
	eng, byTitle := seedEngine(t)
	prism, ok := byTitle["In-Context Learning through the Bayesian Prism"]
	if !ok {
		t.Fatal("seed papers lack In-Context Learning through the Bayesian Prism")
	}
	others := []string{
		"General-Purpose In-Context Learning by Meta-Learning Transformers",
		"Towards Better Understanding of In-Context Learning Ability from In-Context Uncertainty Quantification",
	}
	page, err := eng.Similar(context.Background(), prism.ID, search.Options{Limit: 37})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Results) != 37 || page.Total != 37 {
		t.Fatalf("got %d results of %d, want all 37 other papers", len(page.Results), page.Total)
	}
	best := -1
	for rank, h := range page.Results {
		if h.ID == prism.ID {
			t.Fatalf("the paper itself is in its own similar list at rank %d", rank+1)
		}
		for _, o := range others {
			if h.Title == o && best < 0 {
				best = rank + 1
			}
		}
	}
	t.Logf("first other in-context-learning paper at rank %d; top 3: %q", best, ids(page.Results[:3]))
	if best < 1 || best > 3 {
		t.Errorf("best rank of the other in-context-learning papers = %d, want 1..3", best)
	}
}

func TestSearchRanksAndPages(t *testing.T) {
	ctx := context.Background()
	eng, byTitle := seedEngine(t)
	const q = "meta-learning for reinforcement learning"
	all, err := eng.Search(ctx, q, search.Options{Limit: 38})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Results) != 38 || all.Total != 38 {
		t.Fatalf("got %d of %d results, want 38 of 38", len(all.Results), all.Total)
	}
	for i := 1; i < len(all.Results); i++ {
		if all.Results[i].Score > all.Results[i-1].Score {
			t.Fatalf("results not sorted by score at %d", i)
		}
	}
	top := strings.ToLower(all.Results[0].Title + " " + all.Results[0].Abstract)
	if !strings.Contains(top, "reinforcement") {
		t.Errorf("top hit %q says nothing of reinforcement learning", all.Results[0].Title)
	}
	t.Run("pages continue one another without overlap", func(t *testing.T) {
		var got []string
		for off := 0; off < 38; off += 10 {
			p, err := eng.Search(ctx, q, search.Options{Limit: 10, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			if p.Offset != off || p.Limit != 10 {
				t.Errorf("page echoes offset %d limit %d", p.Offset, p.Limit)
			}
			got = append(got, ids(p.Results)...)
		}
		if strings.Join(got, " ") != strings.Join(ids(all.Results), " ") {
			t.Errorf("pages %q\n differ from the whole list %q", got, ids(all.Results))
		}
	})
	t.Run("an offset past the end gives an empty page, not an error", func(t *testing.T) {
		p, err := eng.Search(ctx, q, search.Options{Limit: 10, Offset: 100})
		if err != nil || len(p.Results) != 0 || p.Results == nil || p.Total != 38 {
			t.Errorf("page = %+v, %v; want no results, total 38", p, err)
		}
	})
	t.Run("similar text finds the paper it was copied from first", func(t *testing.T) {
		src := byTitle["Model-agnostic Measure of Generalization Difficulty"]
		p, err := eng.SimilarText(ctx, src.Abstract, search.Options{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Results) == 0 || p.Results[0].ID != src.ID {
			t.Errorf("top hits %q, want %s first", ids(p.Results), src.ID)
		}
	})
}

func TestSearchRejectsBadRequests(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t)
	tests := []struct {
		name  string
		query string
		opts  search.Options
	}{
		{"an empty query", "  ", search.Options{}},
		{"a limit over the maximum", "x", search.Options{Limit: search.MaxLimit + 1}},
		{"a negative limit", "x", search.Options{Limit: -1}},
		{"a negative offset", "x", search.Options{Offset: -5}},
		{"a page deeper than the maximum depth", "x", search.Options{Offset: search.MaxDepth}},
		{"an offset so large that offset+limit overflows", "x", search.Options{Offset: math.MaxInt}},
		{"a query longer than the limit", strings.Repeat("a", search.MaxQueryLength+1), search.Options{}},
		{"a query that is not UTF-8", "caf\xe9", search.Options{}},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			_, err := eng.Search(ctx, tt.query, tt.opts)
			var bad *search.Error
			if !errors.As(err, &bad) || !errors.Is(err, paper.ErrInvalid) || bad.Param == "" || bad.Code == "" {
				t.Errorf("Search = %v, want a *search.Error naming the parameter, wrapping paper.ErrInvalid", err)
			}
		})
	}
	t.Run("similar to an unknown id is not found", func(t *testing.T) {
		_, err := eng.Similar(ctx, "no-such-paper", search.Options{})
		if !errors.Is(err, paper.ErrNotFound) {
			t.Errorf("Similar = %v, want ErrNotFound", err)
		}
	})
}

func TestATitleTypedWordForWordComesFirst(t *testing.T) {
	eng, byTitle := seedEngine(t)
	for _, title := range []string{
		"Meta Automatic Curriculum Learning",
		"In-Context Learning through the Bayesian Prism",
	} {
		want := byTitle[title].ID
		for _, mode := range []search.Mode{search.Hybrid, search.Lexical} {
			t.Run(string(mode)+" finds "+title, func(t *testing.T) {
				page, err := eng.Search(context.Background(), title, search.Options{Mode: mode, Limit: 3})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Results) == 0 || page.Results[0].ID != want {
					t.Errorf("top hits %v, want %s first", ids(page.Results), want)
				}
			})
		}
	}
}

func TestRequestsAreCheckedOnceWithTheParameterAndCode(t *testing.T) {
	ctx := context.Background()
	eng := papertest.Seeded(t).Engine()
	five := 5
	tests := []struct {
		name      string
		query     url.Values
		q         string
		limits    search.Limits
		wantParam string // "" for no error
		wantCode  string
	}{
		{"the defaults are a hybrid page of ten", url.Values{}, "learning", search.Limits{}, "", ""},
		{"a mode is read whatever its case", url.Values{"mode": {"LEXICAL"}}, "learning", search.Limits{}, "", ""},
		{"an unknown mode is refused", url.Values{"mode": {"dense"}}, "learning", search.Limits{}, "mode", search.CodeInvalidParameter},
		{"a limit that is not a number is refused", url.Values{"limit": {"ten"}}, "learning", search.Limits{}, "limit", search.CodeInvalidParameter},
		{"an explicit limit of 0 is refused", url.Values{"limit": {"0"}}, "learning", search.Limits{}, "limit", search.CodeInvalidParameter},
		{"a year range backwards is refused", url.Values{"year_from": {"2024"}, "year_to": {"2020"}}, "learning", search.Limits{}, "year_from", search.CodeInvalidParameter},
		{"a negative year is refused", url.Values{"year_to": {"-1"}}, "learning", search.Limits{}, "year_to", search.CodeInvalidParameter},
		{"an empty category is refused", url.Values{"category": {"cs.LG, "}}, "learning", search.Limits{}, "category", search.CodeInvalidParameter},
		{"highlight that is not a boolean is refused", url.Values{"highlight": {"maybe"}}, "learning", search.Limits{}, "highlight", search.CodeInvalidParameter},
		{"as many categories as the limit are answered", url.Values{"category": cats(search.MaxCategories)}, "learning", search.Limits{}, "", ""},
		{"one category over the limit is refused", url.Values{"category": cats(search.MaxCategories + 1)}, "learning", search.Limits{}, "category", search.CodeInvalidParameter},
		{"one category over the limit in one comma-separated value is refused", url.Values{"category": {strings.Join(cats(search.MaxCategories+1), ",")}}, "learning", search.Limits{}, "category", search.CodeInvalidParameter},
		{"120,000 comma-separated categories are refused", url.Values{"category": {strings.Repeat("cs.LG,", 120_000)}}, "learning", search.Limits{}, "category", search.CodeInvalidParameter},
		{"a category longer than a stored one can be is refused", url.Values{"category": {strings.Repeat("c", paper.MaxCategoryLength+1)}}, "learning", search.Limits{}, "category", search.CodeInvalidParameter},
		{"an author longer than a stored name can be is refused", url.Values{"author": {strings.Repeat("a", search.MaxAuthorLength+1)}}, "learning", search.Limits{}, "author", search.CodeInvalidParameter},
		{"an empty query is refused", url.Values{}, "  ", search.Limits{}, "q", search.CodeEmptyQuery},
		{"a query with a control character is refused", url.Values{}, "a\x00b", search.Limits{}, "q", search.CodeInvalidParameter},
		{"a query over the server's limit is refused", url.Values{}, "learning to learn", search.Limits{MaxQueryBytes: 10}, "q", search.CodeQueryTooLong},
		{"a page deeper than the server's limit is refused", url.Values{"offset": {"16"}}, "learning", search.Limits{MaxDepth: 20}, "offset", search.CodeInvalidParameter},
		{"a page within the server's limit is answered", url.Values{"offset": {"10"}, "limit": {strconv.Itoa(five)}}, "learning", search.Limits{MaxDepth: 20}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := search.ParamsFromQuery(tt.query)
			var page paper.Page
			if err == nil {
				var o search.Options
				if o, err = p.Options(); err == nil {
					page, err = eng.WithLimits(tt.limits).Search(ctx, tt.q, o)
				}
			}
			var bad *search.Error
			switch {
			case tt.wantParam == "" && err != nil:
				t.Fatalf("err = %v, want none", err)
			case tt.wantParam == "" && (page.Limit < 1 || page.Results == nil):
				t.Errorf("page = %+v, want the defaults filled", page)
			case tt.wantParam != "" && !errors.As(err, &bad):
				t.Fatalf("err = %v, want a *search.Error", err)
			case tt.wantParam != "" && (bad.Param != tt.wantParam || bad.Code != tt.wantCode || !errors.Is(err, paper.ErrInvalid)):
				t.Errorf("err = %+v, want param %q code %q wrapping paper.ErrInvalid", bad, tt.wantParam, tt.wantCode)
			}
		})
	}
}

// cats is n distinct category names.
func cats(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "cat." + strconv.Itoa(i)
	}
	return out
}

func TestListAndStringCapsNameTheLimit(t *testing.T) {
	tests := []struct {
		name string
		err  error
		says string
	}{
		{"too many values", search.CheckList("positive", cats(101), 100, paper.MaxIDLength), "positive has 101 values, the limit is 100"},
		{"a value too long", search.CheckList("positive", []string{strings.Repeat("x", 201)}, 100, paper.MaxIDLength), "a positive value is 201 bytes, the limit is 200"},
		{"a string too long", search.CheckString("author", strings.Repeat("x", 201), 200), "author is 201 bytes, the limit is 200"},
		{"a mode of 16 MiB is quoted short", firstErr(search.ParseMode(strings.Repeat("m", 16<<20))), `got "mmmmmmmmmmmmmmmm…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused with the limit in the message", func(t *testing.T) {
			var bad *search.Error
			if !errors.As(tt.err, &bad) || bad.Code != search.CodeInvalidParameter || !strings.Contains(bad.Message, tt.says) {
				t.Errorf("err = %v, want an invalid_parameter *search.Error saying %q", tt.err, tt.says)
			}
		})
	}
	if err := search.CheckList("category", cats(search.MaxCategories), search.MaxCategories, paper.MaxCategoryLength); err != nil {
		t.Errorf("a list at the limit: %v", err)
	}
	t.Run("the engine refuses too many categories from a caller that skips Params", func(t *testing.T) {
		eng := papertest.Seeded(t).Engine()
		_, err := eng.Search(context.Background(), "learning", search.Options{Filter: paper.Filter{Categories: cats(search.MaxCategories + 1)}})
		var bad *search.Error
		if !errors.As(err, &bad) || bad.Param != "category" {
			t.Errorf("err = %v, want a *search.Error naming category", err)
		}
	})
}

func firstErr[T any](_ T, err error) error { return err }

// TestSetFusionTakesEffectOnTheEngineAndItsCopies checks that a fusion set
// while the engine serves (what serve does when it fits the fusion again)
// is the one the next hybrid query uses and explains, on the engine and on
// the copy WithLimits made of it before.
func TestSetFusionTakesEffectOnTheEngineAndItsCopies(t *testing.T) {
	ctx := context.Background()
	eng := papertest.Seeded(t).Engine()
	bounded := eng.WithLimits(search.Limits{})
	weights := func(e *search.Engine) (float64, float64, bool) {
		t.Helper()
		p, err := e.Search(ctx, "transformers for protein structure", search.Options{Limit: 1, Explain: true})
		if err != nil || len(p.Results) == 0 || p.Results[0].Explain == nil {
			t.Fatalf("search: %v, %+v", err, p)
		}
		x := p.Results[0].Explain
		return x.LexicalWeight, x.VectorWeight, x.Fitted
	}
	if l, v, _ := weights(bounded); l != eng.Fusion.LexicalWeight || v != eng.Fusion.VectorWeight {
		t.Fatalf("before: weights %v/%v, want the engine's %v/%v", l, v, eng.Fusion.LexicalWeight, eng.Fusion.VectorWeight)
	}
	refit := search.Fusion{Method: search.Scores, LexicalWeight: 0.35, VectorWeight: 0.65, K: 60, Depth: 100, Fitted: true}
	eng.SetFusion(refit)
	for name, e := range map[string]*search.Engine{"the engine": eng, "its copy": bounded} {
		if l, v, fitted := weights(e); l != 0.35 || v != 0.65 || !fitted {
			t.Errorf("%s after SetFusion: weights %v/%v fitted %v, want 0.35/0.65 fitted", name, l, v, fitted)
		}
	}
}
