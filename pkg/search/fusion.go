package search

import (
	"cmp"
	"math"
	"slices"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Ranked is one paper's place in the two rankings a hybrid ranking fuses:
// its score and rank (from 1) in each, a rank of 0 when the paper is not in
// that ranking.
type Ranked struct {
	LexicalScore, VectorScore float64
	LexicalRank, VectorRank   int
}

// Fuse returns the hybrid score of each of rs, the candidates of one query
// (the union of the two rankings' heads). With Scores, a paper earns each
// ranking's weight times its min-max normalised score in that ranking, min
// and max taken over the candidates the ranking holds, and nothing from a
// ranking it is not in; with RRF, weight/(K+rank) from each ranking.
func (f Fusion) Fuse(rs []Ranked) []float64 {
	out := make([]float64, len(rs))
	if f.Method == RRF {
		for i, r := range rs {
			if r.LexicalRank > 0 {
				out[i] += f.LexicalWeight / (f.K + float64(r.LexicalRank))
			}
			if r.VectorRank > 0 {
				out[i] += f.VectorWeight / (f.K + float64(r.VectorRank))
			}
		}
		return out
	}
	lmin, lmax, vmin, vmax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, r := range rs {
		if r.LexicalRank > 0 {
			lmin, lmax = min(lmin, r.LexicalScore), max(lmax, r.LexicalScore)
		}
		if r.VectorRank > 0 {
			vmin, vmax = min(vmin, r.VectorScore), max(vmax, r.VectorScore)
		}
	}
	for i, r := range rs {
		if r.LexicalRank > 0 && lmax > lmin {
			out[i] += f.LexicalWeight * (r.LexicalScore - lmin) / (lmax - lmin)
		}
		if r.VectorRank > 0 && vmax > vmin {
			out[i] += f.VectorWeight * (r.VectorScore - vmin) / (vmax - vmin)
		}
	}
	return out
}

// explain adds the fusion to a hybrid hit's explanation.
func (f Fusion) explain(x *paper.Explanation) {
	x.Fusion, x.LexicalWeight, x.VectorWeight, x.Fitted = string(f.Method), f.LexicalWeight, f.VectorWeight, f.Fitted
}

// Merge fuses a lexical and a vector ranking, each best first, as the
// hybrid mode does, and returns the fused ranking, best first, ties by id.
// It is the hybrid ranking of a query whose two halves were computed
// apart, as package tune computes them for its pseudo-queries.
func (f Fusion) Merge(lex, vec []paper.Scored) []paper.Scored {
	at := make(map[string]int, len(lex)+len(vec))
	ids := make([]string, 0, len(lex)+len(vec))
	rs := make([]Ranked, 0, len(lex)+len(vec))
	place := func(id string) int {
		i, ok := at[id]
		if !ok {
			i = len(rs)
			at[id] = i
			ids = append(ids, id)
			rs = append(rs, Ranked{})
		}
		return i
	}
	for r, h := range lex {
		i := place(h.ID)
		rs[i].LexicalScore, rs[i].LexicalRank = h.Score, r+1
	}
	for r, h := range vec {
		i := place(h.ID)
		rs[i].VectorScore, rs[i].VectorRank = h.Score, r+1
	}
	out := make([]paper.Scored, len(rs))
	for i, s := range f.Fuse(rs) {
		out[i] = paper.Scored{ID: ids[i], Score: s}
	}
	slices.SortFunc(out, func(a, b paper.Scored) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}
