package tune

import (
	"context"

	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// Local is the Folder of an embedded data folder: the papers and vectors
// of s and the word index lx built beside them.
func Local(s *store.Store, lx *lexical.Index) Folder { return local{s: s, lx: lx} }

type local struct {
	s  *store.Store
	lx *lexical.Index
}

func (l local) Each(ctx context.Context, fn func(paper.Paper) error) error {
	for r, err := range l.s.All(ctx) {
		if err != nil {
			return err
		}
		if err := fn(r.Paper); err != nil {
			return err
		}
	}
	return nil
}

func (l local) Words(ctx context.Context, text string, n int, exclude string) ([]paper.Scored, error) {
	hits, _, err := l.lx.Search(ctx, text, n, paper.Filter{Exclude: []string{exclude}})
	return hits, err
}

func (l local) WordScore(ctx context.Context, text string, p paper.Paper) (float64, error) {
	return l.lx.ScorePaper(ctx, text, p)
}

func (l local) Nearest(ctx context.Context, v []float32, n int, exclude string) ([]paper.Scored, error) {
	hits, err := l.s.Nearest(ctx, v, n, paper.Filter{Exclude: []string{exclude}}.Matcher())
	if err != nil {
		return nil, err
	}
	out := make([]paper.Scored, len(hits))
	for i, h := range hits {
		out[i] = paper.Scored{ID: h.ID, Score: h.Score}
	}
	return out, nil
}
