// The hand-checked "papers like this one" list of docs/quality.md: twenty
// arXiv papers, each with what a reader would expect in its top 5 and the
// papers judged to be that (testdata/like-arxiv.json). An experiment, like
// cv_test.go:
//
//	paperlens ingest --data DIR ../shared/data/arxiv-2026q2/papers.jsonl
//	go test ./pkg/tune -run TestArxivLike -v -args -cv -arxiv DIR [-pool]
//
// -pool prints, per paper, the candidates no judgment covers yet.

package tune_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/tune"
)

var (
	arxivDir  = flag.String("arxiv", "", "data folder holding ../shared/data/arxiv-2026q2/papers.jsonl (made by paperlens ingest); default: a temporary one")
	printPool = flag.Bool("pool", false, "print the unjudged candidates of the arXiv \"like\" list")
)

const likeFile = "testdata/like-arxiv.json"

// likeCase is one paper of the hand-checked list.
type likeCase struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Expect is what a reader would expect in the top 5, in words.
	Expect string `json:"expect"`
	// Relevant are the papers judged to be that; Judged every paper
	// looked at, relevant or not.
	Relevant []string `json:"relevant"`
	Judged   []string `json:"judged"`
	// Survey marks a survey or review.
	Survey bool `json:"survey,omitempty"`
}

func openArxiv(t *testing.T) *lab {
	if !*runCV {
		t.Skip("an experiment: run with -args -cv (see docs/quality.md)")
	}
	ctx := context.Background()
	emb, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := *arxivDir
	if dir == "" {
		dir = t.TempDir()
	}
	st, lx := openFolder(t, dir, emb)
	if st.Count() == 0 {
		if _, _, err := ingest.NewTo(emb, backend.Local(st, lx)).File(ctx, "../../../shared/data/arxiv-2026q2/papers.jsonl", loader.Options{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	<-lx.Ready()
	l := &lab{emb: emb, st: st, lx: lx, papers: map[string]paper.Paper{}}
	for r, err := range st.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		l.papers[r.Paper.ID] = r.Paper
	}
	return l
}

func TestArxivLike(t *testing.T) {
	l := openArxiv(t)
	ctx := context.Background()
	b, err := os.ReadFile(likeFile)
	if err != nil {
		t.Fatal(err)
	}
	var cases []likeCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	cs := l.stats(t)
	fitted, err := tune.Fit(ctx, tune.Local(l.st, l.lx), l.emb, tune.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fitted to the arXiv folder: %s %.2f/%.2f", fitted.Fusion.Method, fitted.Fusion.LexicalWeight, fitted.Fusion.VectorWeight)

	type variant struct {
		name   string
		fusion search.Fusion
		mode   string // "hybrid", "lexical", "vector"
		// like makes the lexical query; nil: the query as served.
		like *likeQuery
	}
	def := search.DefaultFusion
	variants := []variant{
		{name: "served (default fusion 0.8/0.2)", fusion: def, mode: "hybrid"},
		{name: "served, fitted fusion", fusion: fitted.Fusion, mode: "hybrid"},
		{name: "lexical as served", mode: "lexical"},
		{name: "vector", mode: "vector"},
	}
	for _, lq := range likeQueries {
		variants = append(variants, variant{name: "hybrid 0.8/0.2, " + lq.String(), fusion: def, mode: "hybrid", like: &lq})
	}
	rank := func(v variant, id string) []paper.Scored {
		rec, err := l.st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var lex []paper.Scored
		if v.like == nil {
			lex, _, err = l.lx.SearchLike(ctx, id, rec.Paper.Text(), 100, paper.Filter{Exclude: []string{id}})
		} else {
			lex, err = l.lx.SearchTerms(ctx, cs.weights(id, *v.like), 100, id)
		}
		if err != nil {
			t.Fatal(err)
		}
		hits, err := l.st.Nearest(ctx, rec.Vector, 100, paper.Filter{Exclude: []string{id}}.Matcher())
		if err != nil {
			t.Fatal(err)
		}
		vec := make([]paper.Scored, len(hits))
		for i, h := range hits {
			vec[i] = paper.Scored{ID: h.ID, Score: h.Score}
		}
		switch v.mode {
		case "lexical":
			return lex
		case "vector":
			return vec
		}
		return v.fusion.Merge(lex, vec)
	}

	t.Log("| variant | P@5 all | nDCG@5 all | P@5 surveys | P@5 others | unjudged in top 5 |")
	for _, v := range variants {
		var p5, n5, ps, po float64
		var nSurveys, unjudged int
		for _, c := range cases {
			run := rank(v, c.ID)
			rel := map[string]bool{}
			for _, id := range c.Relevant {
				rel[id] = true
			}
			var hits, dcg, idcg float64
			for r := 0; r < 5 && r < len(run); r++ {
				if rel[run[r].ID] {
					hits++
					dcg += 1 / math.Log2(float64(r+2))
				}
				if !slices.Contains(c.Judged, run[r].ID) && !rel[run[r].ID] {
					unjudged++
				}
			}
			for r := 0; r < 5 && r < len(c.Relevant); r++ {
				idcg += 1 / math.Log2(float64(r+2))
			}
			p5 += hits / 5
			if idcg > 0 {
				n5 += dcg / idcg
			}
			if c.Survey {
				ps += hits / 5
				nSurveys++
			} else {
				po += hits / 5
			}
			if *printPool {
				for r := 0; r < 5 && r < len(run); r++ {
					if id := run[r].ID; !slices.Contains(c.Judged, id) && !rel[id] {
						t.Logf("POOL %s\t%s\t%s", c.ID, id, l.papers[id].Title)
					}
				}
			}
		}
		k := float64(len(cases))
		t.Logf("| %s | %.3f | %.3f | %.3f | %.3f | %d |", v.name, p5/k, n5/k, ps/float64(nSurveys), po/(k-float64(nSurveys)), unjudged)
	}
	// Per paper: the relevant papers in the top 5 of each variant.
	for _, c := range cases {
		line := c.ID
		for _, v := range variants {
			n := 0
			for _, h := range rank(v, c.ID)[:5] {
				if slices.Contains(c.Relevant, h.ID) {
					n++
				}
			}
			line += fmt.Sprintf(" %d", n)
		}
		t.Logf("relevant in the top 5: %s %s", line, shortTitle(c.Title))
	}
	for _, c := range cases {
		for _, v := range []variant{variants[0], variants[11]} {
			var top []string
			for _, h := range rank(v, c.ID)[:5] {
				mark := " "
				if slices.Contains(c.Relevant, h.ID) {
					mark = "+"
				}
				top = append(top, fmt.Sprintf("%s %s %s", mark, h.ID, shortTitle(l.papers[h.ID].Title)))
			}
			t.Logf("%s %s [%s]:\n\t%s", c.ID, shortTitle(c.Title), v.name, strings.Join(top, "\n\t"))
		}
	}
}

func shortTitle(s string) string {
	if len(s) > 90 {
		return s[:89] + "…"
	}
	return s
}
