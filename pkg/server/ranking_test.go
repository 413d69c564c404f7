package server_test

import (
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/server"
)

// arxivFile is real arXiv metadata with authors and categories.
const arxivFile = "../../../shared/data/arxiv-2026q2/papers.jsonl"

// rankingPapers returns the seed papers (dated 2019–2024) and the first n
// papers of the arXiv sample (2026, with categories).
func rankingPapers(t *testing.T, n int) []paper.Paper {
	t.Helper()
	papers, _ := seedPapers(t)
	count := 0
	stop := fmt.Errorf("enough")
	_, err := loader.LoadFile(arxivFile, loader.Options{}, func(p paper.Paper) error {
		if count == n {
			return stop
		}
		count++
		papers = append(papers, p)
		return nil
	})
	if err != nil && err != stop {
		t.Fatalf("arXiv sample: %v", err)
	}
	return papers
}

type hitPage struct {
	Results []paper.Hit `json:"results"`
	Total   int         `json:"total"`
	Limit   int         `json:"limit"`
	Offset  int         `json:"offset"`
}

func (ts *testServer) page(t *testing.T, path string) hitPage {
	t.Helper()
	var p hitPage
	ts.get(t, path).decode(t, http.StatusOK, &p)
	return p
}

func TestRankingModes(t *testing.T) {
	papers := rankingPapers(t, 200)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), papers)
	q := "/v1/search?q=" + urlQuery("meta-learning for reinforcement learning") + "&limit=10&explain=true"

	byMode := map[string][]string{}
	for _, mode := range []string{"hybrid", "vector", "lexical"} {
		t.Run(mode+" mode explains every hit", func(t *testing.T) {
			p := ts.page(t, q+"&mode="+mode)
			if len(p.Results) != 10 {
				t.Fatalf("%d results, want 10", len(p.Results))
			}
			for i, h := range p.Results {
				x := h.Explain
				switch {
				case x == nil:
					t.Fatalf("hit %d has no explanation", i)
				case x.Mode != mode || x.FusedRank != i+1:
					t.Errorf("hit %d: mode %q, fused rank %d; want %q and %d", i, x.Mode, x.FusedRank, mode, i+1)
				case mode == "lexical" && (x.LexicalScore <= 0 || x.LexicalScore != h.Score):
					t.Errorf("lexical hit %d: score %v, lexical score %v; want both equal and above 0", i, h.Score, x.LexicalScore)
				case mode == "vector" && x.VectorScore != h.Score:
					t.Errorf("vector hit %d: score %v, vector score %v; want equal", i, h.Score, x.VectorScore)
				case x.VectorScore == 0:
					t.Errorf("hit %d has no vector score: %+v", i, x)
				}
				if i > 0 && h.Score > p.Results[i-1].Score {
					t.Errorf("hit %d scores %v, above hit %d (%v)", i, h.Score, i-1, p.Results[i-1].Score)
				}
			}
			byMode[mode] = ids(p.Results)
		})
	}
	t.Run("the default mode is hybrid", func(t *testing.T) {
		p := ts.page(t, "/v1/search?q="+urlQuery("meta-learning for reinforcement learning")+"&limit=10")
		if got := ids(p.Results); !slices.Equal(got, byMode["hybrid"]) {
			t.Errorf("default ranking %v, want the hybrid one %v", got, byMode["hybrid"])
		}
		if p.Results[0].Explain != nil || p.Results[0].Highlights != nil {
			t.Errorf("explain and highlights were not asked for but came: %+v", p.Results[0])
		}
	})
	t.Run("hybrid fuses: it differs from the vector ranking", func(t *testing.T) {
		if slices.Equal(byMode["hybrid"], byMode["vector"]) {
			t.Errorf("hybrid and vector rankings are the same: %v", byMode["vector"])
		}
	})
	t.Run("POST search and similar text take a mode", func(t *testing.T) {
		var p hitPage
		ts.postJSON(t, "/v1/search", `{"q": "meta-learning for reinforcement learning", "mode": "lexical", "limit": 10}`).decode(t, http.StatusOK, &p)
		if got := ids(p.Results); !slices.Equal(got, byMode["lexical"]) {
			t.Errorf("POST lexical ranking %v, want the GET one %v", got, byMode["lexical"])
		}
		ts.postJSON(t, "/v1/similar", `{"text": "Agents that learn to learn new tasks from few trials.", "mode": "vector", "explain": true}`).decode(t, http.StatusOK, &p)
		if len(p.Results) == 0 || p.Results[0].Explain == nil || p.Results[0].Explain.Mode != "vector" {
			t.Errorf("similar text in vector mode: %+v", p.Results)
		}
	})
	t.Run("similar by id in lexical mode leaves the paper out", func(t *testing.T) {
		id := papers[0].ID
		p := ts.page(t, "/v1/papers/"+id+"/similar?mode=lexical&limit=20")
		if len(p.Results) == 0 || slices.Contains(ids(p.Results), id) {
			t.Errorf("similar to %s: %v", id, ids(p.Results))
		}
	})
}

func TestRankingFilters(t *testing.T) {
	papers := rankingPapers(t, 200)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), papers)
	countWhere := func(keep func(p paper.Paper) bool) int {
		n := 0
		for _, p := range papers {
			if keep(p) {
				n++
			}
		}
		return n
	}
	year := func(p paper.Paper) string { return p.Published[:min(4, len(p.Published))] }
	hasCat := func(p paper.Paper, cats ...string) bool {
		for _, c := range p.Categories {
			if slices.Contains(cats, c) {
				return true
			}
		}
		return false
	}
	// An author of the sample, searched by a lower-case part of the name.
	author := papers[len(papers)-1].Authors[0]
	part := strings.ToLower(author[1 : len(author)-1])
	hasAuthor := func(p paper.Paper) bool {
		for _, a := range p.Authors {
			if strings.Contains(strings.ToLower(a), part) {
				return true
			}
		}
		return false
	}

	tests := []struct {
		name   string
		params string
		keep   func(p paper.Paper) bool
	}{
		{"a year range keeps only papers of those years", "year_from=2021&year_to=2023",
			func(p paper.Paper) bool { y := year(p); return y >= "2021" && y <= "2023" }},
		{"year_from alone is open-ended", "year_from=2024",
			func(p paper.Paper) bool { return year(p) >= "2024" }},
		{"a repeated category keeps papers in any of them", "category=cs.CL&category=cs.RO",
			func(p paper.Paper) bool { return hasCat(p, "cs.CL", "cs.RO") }},
		{"a category matches whatever its case", "category=CS.cv",
			func(p paper.Paper) bool { return hasCat(p, "cs.CV") }},
		{"an author matches a part of a name, ignoring case", "author=" + urlQuery(part), hasAuthor},
		{"filters combine", "year_from=2026&category=cs.CV",
			func(p paper.Paper) bool { return year(p) == "2026" && hasCat(p, "cs.CV") }},
	}
	for _, tt := range tests {
		for _, mode := range []string{"hybrid", "vector", "lexical"} {
			t.Run(tt.name+" in "+mode+" mode", func(t *testing.T) {
				want := countWhere(tt.keep)
				if want == 0 {
					t.Fatalf("no paper passes %s: the test data changed", tt.params)
				}
				base := "/v1/search?q=" + urlQuery("learning models for images and language") + "&mode=" + mode + "&" + tt.params
				all := ts.page(t, base+"&limit=100")
				for _, h := range all.Results {
					if !tt.keep(h.Paper) {
						t.Errorf("%s (%s, %v, %v) does not pass %s", h.ID, h.Published, h.Categories, h.Authors, tt.params)
					}
				}
				if mode != "lexical" && (all.Total != want || len(all.Results) != min(want, 100)) {
					t.Errorf("total %d, %d results; want %d papers", all.Total, len(all.Results), want)
				}
				if len(all.Results) > all.Total {
					t.Errorf("%d results but total %d", len(all.Results), all.Total)
				}
				// Two pages of 3 are the first 6 of the whole list.
				var paged []string
				for _, off := range []int{0, 3} {
					p := ts.page(t, fmt.Sprintf("%s&limit=3&offset=%d", base, off))
					if p.Total != all.Total {
						t.Errorf("page at %d: total %d, want %d", off, p.Total, all.Total)
					}
					paged = append(paged, ids(p.Results)...)
				}
				if first := ids(all.Results)[:min(6, len(all.Results))]; !slices.Equal(paged, first) {
					t.Errorf("pages %v, want %v", paged, first)
				}
			})
		}
	}
	t.Run("similar by id takes filters too", func(t *testing.T) {
		id := papers[len(papers)-1].ID
		p := ts.page(t, "/v1/papers/"+id+"/similar?category=cs.CV&limit=50")
		want := countWhere(func(p paper.Paper) bool { return hasCat(p, "cs.CV") && p.ID != id })
		if p.Total != want {
			t.Errorf("total %d, want %d papers in cs.CV other than %s", p.Total, want, id)
		}
		for _, h := range p.Results {
			if h.ID == id || !hasCat(h.Paper, "cs.CV") {
				t.Errorf("hit %s %v should not be there", h.ID, h.Categories)
			}
		}
	})
	t.Run("POST bodies take filters, category as a string or a list", func(t *testing.T) {
		for _, body := range []string{
			`{"q": "language models", "category": "cs.CL", "year_from": 2026, "limit": 50}`,
			`{"q": "language models", "category": ["cs.CL"], "year_to": 2026, "year_from": 2026, "limit": 50}`,
		} {
			var p hitPage
			ts.postJSON(t, "/v1/search", body).decode(t, http.StatusOK, &p)
			if len(p.Results) == 0 {
				t.Errorf("%s: no results", body)
			}
			for _, h := range p.Results {
				if !hasCat(h.Paper, "cs.CL") || year(h.Paper) != "2026" {
					t.Errorf("%s: hit %s %s %v should not be there", body, h.ID, h.Published, h.Categories)
				}
			}
		}
	})
}

func TestRankingRejectsBadFilterValues(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)
	q := "/v1/search?q=learning&"
	tests := []struct {
		name, path, body, code string
	}{
		{"a year that is not a number", q + "year_from=last", "", "invalid_parameter"},
		{"a year of 0", q + "year_to=0", "", "invalid_parameter"},
		{"a year past 9999", q + "year_from=10000", "", "invalid_parameter"},
		{"a range that ends before it starts", q + "year_from=2024&year_to=2020", "", "invalid_parameter"},
		{"an empty category", q + "category=", "", "invalid_parameter"},
		{"an unknown mode", q + "mode=semantic", "", "invalid_parameter"},
		{"highlight that is not true or false", q + "highlight=please", "", "invalid_parameter"},
		{"explain that is not true or false", "/v1/papers/" + seed[0].ID + "/similar?explain=2x", "", "invalid_parameter"},
		{"a filter on similar by id", "/v1/papers/" + seed[0].ID + "/similar?year_from=x", "", "invalid_parameter"},
		{"a year as a string in a body", "/v1/search", `{"q": "learning", "year_from": "2020"}`, "malformed_json"},
		{"a category as a number in a body", "/v1/similar", `{"text": "learning", "category": 5}`, "malformed_json"},
		{"a range that ends before it starts in a body", "/v1/similar", `{"text": "learning", "year_from": 2024, "year_to": 2020}`, "invalid_parameter"},
		{"an unknown mode in a body", "/v1/search", `{"q": "learning", "mode": "dense"}`, "invalid_parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is answered 400", func(t *testing.T) {
			var r response
			if tt.body == "" {
				r = ts.get(t, tt.path)
			} else {
				r = ts.postJSON(t, tt.path, tt.body)
			}
			r.wantError(t, http.StatusBadRequest, tt.code)
		})
	}
	ts.wantHealthy(t)
}

func TestRankingHighlights(t *testing.T) {
	papers := rankingPapers(t, 50)
	// A paper whose abstract holds characters that must be escaped.
	papers = append(papers, paper.Paper{ID: "esc-1", Title: "Escaping",
		Abstract: "Attention <b>heads</b> & transformers: we compare attention with x < y for heads of transformers."})
	ts := newServer(t, server.Config{}, builtinEmbedder(t), papers)

	t.Run("every hit with the query's words carries marked, escaped fragments", func(t *testing.T) {
		for _, mode := range []string{"hybrid", "lexical"} {
			p := ts.page(t, "/v1/search?q="+urlQuery("attention heads in transformers")+"&highlight=true&limit=10&mode="+mode)
			marked := 0
			for _, h := range p.Results {
				for _, f := range h.Highlights {
					if !strings.Contains(f, "<mark>") {
						t.Errorf("%s: fragment without a mark: %q", h.ID, f)
					}
					plain := strings.NewReplacer("<mark>", "", "</mark>", "", "…", "").Replace(f)
					if strings.ContainsAny(plain, "<>") {
						t.Errorf("%s: fragment not escaped: %q", h.ID, f)
					}
					if !strings.Contains(h.Abstract, html.UnescapeString(plain)) {
						t.Errorf("%s: fragment %q is not from the abstract", h.ID, plain)
					}
					marked++
				}
			}
			if marked == 0 {
				t.Errorf("%s: no hit carries a highlight", mode)
			}
		}
	})
	t.Run("the escaped abstract is marked and escaped", func(t *testing.T) {
		p := ts.page(t, "/v1/search?q="+urlQuery("attention heads transformers")+"&highlight=true&mode=lexical")
		i := slices.Index(ids(p.Results), "esc-1")
		if i < 0 {
			t.Fatalf("esc-1 not found: %v", ids(p.Results))
		}
		got := strings.Join(p.Results[i].Highlights, " … ")
		for _, want := range []string{"<mark>Attention</mark>", "&lt;b&gt;<mark>heads</mark>&lt;/b&gt;", "&amp;", "x &lt; y"} {
			if !strings.Contains(got, want) {
				t.Errorf("highlights %q lack %q", got, want)
			}
		}
	})
	t.Run("similar by id highlights the words shared with the paper", func(t *testing.T) {
		p := ts.page(t, "/v1/papers/esc-1/similar?highlight=true&limit=5&mode=lexical")
		if len(p.Results) == 0 || len(p.Results[0].Highlights) == 0 {
			t.Errorf("no highlights: %+v", p.Results)
		}
	})
}

func TestDeleteKeepsTheWordIndexInStep(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)
	target := seed[3]
	path := "/v1/search?mode=lexical&limit=5&q=" + urlQuery(target.Title)
	if p := ts.page(t, path); len(p.Results) == 0 || p.Results[0].ID != target.ID {
		t.Fatalf("before the delete, its title does not find %s first: %v", target.ID, ids(p.Results))
	}
	var del map[string]string
	ts.do(t, http.MethodDelete, "/v1/papers/"+target.ID, "", nil).decode(t, http.StatusOK, &del)
	for _, mode := range []string{"lexical", "hybrid"} {
		p := ts.page(t, strings.Replace(path, "mode=lexical", "mode="+mode, 1))
		if slices.Contains(ids(p.Results), target.ID) {
			t.Errorf("%s: the deleted paper is still found: %v", mode, ids(p.Results))
		}
	}
	ts.do(t, http.MethodDelete, "/v1/papers/"+target.ID, "", nil).wantError(t, http.StatusNotFound, "not_found")
}
