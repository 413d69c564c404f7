package lexical

import (
	"fmt"
	"math"
)

// Ranking holds the constants of the BM25F word ranking (see
// postings.search). docs/quality.md shows the measurements behind the
// defaults.
type Ranking struct {
	// TitleWeight is how many abstract words a title word counts for,
	// before the term frequency saturates.
	TitleWeight float64 `json:"title_weight"`
	// K1 and B are BM25's saturation and length normalisation, applied to
	// each field.
	K1 float64 `json:"k1"`
	B  float64 `json:"b"`
	// IDFPower is the power of the inverse document frequency a query word
	// is weighed by: 2 is bleve's idf² (its query weight times the term's
	// idf), 1 the textbook BM25.
	IDFPower float64 `json:"idf_power"`
}

// DefaultRanking is the ranking a new index uses.
var DefaultRanking = Ranking{TitleWeight: 3, K1: 1.2, B: 0.75, IDFPower: 2}

// Validate reports a constant out of its range.
func (r Ranking) Validate() error {
	switch {
	case !(r.TitleWeight >= 0 && r.TitleWeight <= 100):
		return fmt.Errorf("lexical: title weight must be between 0 and 100, got %g", r.TitleWeight)
	case !(r.K1 > 0 && r.K1 <= 100):
		return fmt.Errorf("lexical: k1 must be above 0 and at most 100, got %g", r.K1)
	case !(r.B >= 0 && r.B <= 1):
		return fmt.Errorf("lexical: b must be between 0 and 1, got %g", r.B)
	case !(r.IDFPower >= 0 && r.IDFPower <= 4):
		return fmt.Errorf("lexical: idf power must be between 0 and 4, got %g", r.IDFPower)
	}
	return nil
}

// SetRanking makes the index rank with r from the next query on.
func (x *Index) SetRanking(r Ranking) error {
	if err := r.Validate(); err != nil {
		return err
	}
	x.ranking.Store(&r)
	return nil
}

// Ranking is the constants the index ranks with.
func (x *Index) Ranking() Ranking {
	if r := x.ranking.Load(); r != nil {
		return *r
	}
	return DefaultRanking
}

// idfWeight is the weight of a word that df of total papers hold:
// idf^IDFPower, idf = ln(1 + (N−df+0.5)/(df+0.5)).
func (r Ranking) idfWeight(df, total int) float64 {
	idf := math.Log(1 + (float64(total)-float64(df)+0.5)/(float64(df)+0.5))
	if r.IDFPower == 2 {
		return idf * idf
	}
	return math.Pow(idf, r.IDFPower)
}

// fieldTF is BM25F's term frequency of a word that occurs title times in a
// title of length normalisation titleNorm and abstract times in an
// abstract of normalisation abstractNorm.
func (r Ranking) fieldTF(title, abstract uint16, titleNorm, abstractNorm float64) float64 {
	var tf float64
	if title > 0 {
		tf += r.TitleWeight * float64(title) / titleNorm
	}
	if abstract > 0 {
		tf += float64(abstract) / abstractNorm
	}
	return tf
}

// saturate is BM25's tf·(k1+1)/(tf+k1).
func (r Ranking) saturate(tf float64) float64 { return tf * (r.K1 + 1) / (tf + r.K1) }
