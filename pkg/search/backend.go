package search

import (
	"context"
	"errors"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// Backend holds the papers an engine ranks: their vectors, their words and
// their metadata. The embedded store (Local) is one; a Weaviate cluster
// (package weaviate) is another. The engine fuses, pages and explains on
// top of it, so both rank alike.
type Backend interface {
	// Info names the embedder whose vectors the backend holds.
	Info() embeddings.Info
	// Get returns the stored paper id with its vector, or wraps
	// store.ErrNotFound.
	Get(ctx context.Context, id string) (store.Record, error)
	// GetMany returns the stored records of those ids that are stored.
	GetMany(ctx context.Context, ids []string) (map[string]store.Record, error)
	// Count is how many stored papers pass f, leaving out the exclude ids.
	Count(ctx context.Context, f Filter, exclude ...string) (int, error)
	// Nearest returns at most n papers that pass f, by cosine similarity to
	// v, best first, with Paper and Score filled.
	Nearest(ctx context.Context, v []float32, n int, f Filter, exclude ...string) ([]paper.Hit, error)
	// Words returns at most n papers that pass f, ranked by BM25 against
	// text, best first, and, when count is set, how many papers match at
	// all (else 0). like, when not "", is the stored paper that text is the
	// title and abstract of: a backend may query with that paper's key terms
	// instead.
	Words(ctx context.Context, like, text string, n int, count bool, f Filter, exclude ...string) ([]lexical.Hit, int, error)
	// WordScores returns the BM25 score against text of those ids that
	// match it.
	WordScores(ctx context.Context, text string, ids []string) (map[string]float64, error)
	// Highlights returns, per id of papers, up to max fragments of the
	// paper's abstract with the words of text marked <mark>…</mark>,
	// HTML-escaped otherwise.
	Highlights(ctx context.Context, text string, papers []paper.Paper, max int) (map[string][]string, error)
}

// ErrUnavailable is wrapped by errors of a backend that cannot be reached
// (a server that is down); the HTTP API answers 503 for it.
var ErrUnavailable = errors.New("the paper store is unavailable")

// Local is the embedded backend: the vectors and papers of s and the word
// index lx built beside them.
func Local(s *store.Store, lx *lexical.Index) Backend { return local{s: s, lx: lx} }

type local struct {
	s  *store.Store
	lx *lexical.Index
}

func (l local) Info() embeddings.Info { return l.s.Manifest().Info }

func (l local) Get(ctx context.Context, id string) (store.Record, error) { return l.s.Get(ctx, id) }

func (l local) Count(ctx context.Context, f Filter, exclude ...string) (int, error) {
	if f.IsZero() {
		n := l.s.Count()
		for _, id := range exclude {
			if _, ok := l.s.Hash(ctx, id); ok {
				n--
			}
		}
		return n, nil
	}
	return l.lx.CountMatching(ctx, f, exclude...)
}

func (l local) Nearest(ctx context.Context, v []float32, n int, f Filter, exclude ...string) ([]paper.Hit, error) {
	var filter store.Filter
	if !f.IsZero() {
		pass := l.lx.Passing(f) // the word ranking and the count ask too
		filter = func(p *paper.Paper) bool { return pass(p.ID) }
	}
	return l.s.Nearest(ctx, v, n, filter, exclude...)
}

func (l local) GetMany(ctx context.Context, ids []string) (map[string]store.Record, error) {
	return l.s.GetMany(ctx, ids)
}

// Words counts whether asked or not: the index counts as it ranks.
func (l local) Words(ctx context.Context, like, text string, n int, _ bool, f Filter, exclude ...string) ([]lexical.Hit, int, error) {
	return l.lx.SearchLike(ctx, like, text, n, f, exclude...)
}

func (l local) WordScores(ctx context.Context, text string, ids []string) (map[string]float64, error) {
	return l.lx.Scores(ctx, text, ids)
}

func (l local) Highlights(ctx context.Context, text string, papers []paper.Paper, max int) (map[string][]string, error) {
	return l.lx.Highlights(ctx, text, papers, max)
}
