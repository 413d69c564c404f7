package lexical

import (
	"context"

	"github.com/paperlens/paperlens/pkg/paper"
)

// ScorePaper is the BM25F score against text that p would have if the
// index held it as given, with the statistics of the papers the index
// holds (document frequencies and average field lengths, which one paper
// hardly moves). p need not be held: package tune scores a paper with its
// title hidden this way, for a pseudo-query made of that title.
func (x *Index) ScorePaper(ctx context.Context, text string, p paper.Paper) (float64, error) {
	mem, err := x.rankerFor(ctx)
	if err != nil {
		return 0, err
	}
	return mem.scoreOne(x.Ranking(), x.clauses(mem, text), analyse(x.an, &p)), nil
}

// scoreOne is what searchWith would score the analysed paper d.
func (x *postings) scoreOne(r Ranking, clauses []clause, d analysed) float64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	total := x.nlive
	if total == 0 {
		return 0
	}
	titleNorm := newLengthNorm(r.B, x.titleWords, total).of(d.titleLen)
	abstractNorm := newLengthNorm(r.B, x.abstractWords, total).of(d.abstractLen)
	var score float64
	for _, c := range clauses {
		t, ok := x.termOf(c.term)
		f := d.freq[c.term]
		if !ok || x.df[t] == 0 || f == (fieldFreq{}) {
			continue
		}
		w := c.boost * float64(c.count) * r.idfWeight(int(x.df[t]), total)
		score += w * r.saturate(r.fieldTF(f.title, f.abstract, titleNorm, abstractNorm))
	}
	return score
}

// SearchTerms ranks the papers by BM25F against analysed words with
// weights of the caller's choosing (each weight multiplies the word's
// idf weight), best first, leaving out the ids in exclude: a query made
// outside the index, as the experiments of docs/quality.md make "papers
// like this one" queries.
func (x *Index) SearchTerms(ctx context.Context, weights map[string]float64, n int, exclude ...string) ([]paper.Scored, error) {
	mem, err := x.rankerFor(ctx)
	if err != nil {
		return nil, err
	}
	cs := make([]clause, 0, len(weights))
	for w, b := range weights {
		cs = append(cs, clause{term: w, boost: b, count: 1})
	}
	hits, _ := mem.searchWith(x.Ranking(), cs, n, scope{exclude: exclude})
	return hits, nil
}
