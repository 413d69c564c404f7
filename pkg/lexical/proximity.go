package lexical

import (
	"context"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Proximity is how near each other a query's adjacent words occur in a
// paper: the two features of sequential dependence (Metzler and Croft,
// 2005) in BM25's terms. For every pair of words next to each other in the
// query (stop words aside), Ordered counts the places where the second
// follows the first within two positions (a stop word may sit between),
// Unordered those where both occur within eight positions in either order;
// each count saturates as a term frequency does (k1) and is weighed by the
// commoner word's idf weight, a title's counts by the title weight.
type Proximity struct{ Ordered, Unordered float64 }

// Proximities returns the Proximity of text's word pairs in each of papers,
// by id, with the index's statistics and ranking constants. It analyses the
// papers' titles and abstracts, so it suits the head of a ranking, not a
// corpus.
func (x *Index) Proximities(ctx context.Context, text string, papers []paper.Paper) (map[string]Proximity, error) {
	mem, err := x.rankerFor(ctx)
	if err != nil {
		return nil, err
	}
	r := x.Ranking()
	type pair struct {
		a, b   string
		weight float64
	}
	var pairs []pair
	q := x.an.Analyze([]byte(text))
	seen := map[[2]string]bool{}
	for i := 1; i < len(q); i++ {
		a, b := string(q[i-1].Term), string(q[i].Term)
		if a == b || seen[[2]string{a, b}] {
			continue
		}
		seen[[2]string{a, b}] = true
		da, n := mem.docFreq(a)
		db, _ := mem.docFreq(b)
		if da == 0 || db == 0 {
			continue
		}
		pairs = append(pairs, pair{a: a, b: b, weight: r.idfWeight(max(da, db), n)})
	}
	out := make(map[string]Proximity, len(papers))
	words := map[string]bool{}
	for _, pp := range pairs {
		words[pp.a], words[pp.b] = true, true
	}
	if len(pairs) == 0 {
		return out, nil
	}
	for _, p := range papers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// The positions of the pairs' words in each field.
		var at [2]map[string][]int
		for i, f := range []string{p.Title, p.Abstract} {
			at[i] = map[string][]int{}
			for _, t := range x.papers.Analyze([]byte(f)) {
				if w := string(t.Term); words[w] {
					at[i][w] = append(at[i][w], t.Position)
				}
			}
		}
		var pr Proximity
		for _, pp := range pairs {
			var ord, unord float64
			for i, w := range [2]float64{r.TitleWeight, 1} {
				o, u := windows(at[i][pp.a], at[i][pp.b])
				ord += w * float64(o)
				unord += w * float64(u)
			}
			if ord > 0 {
				pr.Ordered += pp.weight * r.saturate(ord)
			}
			if unord > 0 {
				pr.Unordered += pp.weight * r.saturate(unord)
			}
		}
		if pr != (Proximity{}) {
			out[p.ID] = pr
		}
	}
	return out, nil
}

// windows counts the positions of as followed by one of bs within two
// positions, and the pairs of positions of as and bs at most eight apart.
func windows(as, bs []int) (ordered, unordered int) {
	for _, i := range as {
		for _, j := range bs {
			if d := j - i; d >= 1 && d <= 2 {
				ordered++
			}
			if d := j - i; d >= -8 && d <= 8 && d != 0 {
				unordered++
			}
		}
	}
	return ordered, unordered
}
