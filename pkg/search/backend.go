package search

import (
	"context"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
)

// Backend holds the papers an engine ranks: their vectors, their words and
// their metadata. The embedded store with its word index is one; a
// Weaviate cluster (package weaviate) is another; package backend opens
// either. The engine fuses, pages and explains on
// top of it, so both rank alike.
type Backend interface {
	// Info names the embedder whose vectors the backend holds.
	Info() embeddings.Info
	// Get returns the stored paper id with its vector, or wraps
	// paper.ErrNotFound.
	Get(ctx context.Context, id string) (paper.Record, error)
	// GetMany returns the stored records of those ids that are stored.
	GetMany(ctx context.Context, ids []string) (map[string]paper.Record, error)
	// Count is how many stored papers pass f.
	Count(ctx context.Context, f paper.Filter) (int, error)
	// Nearest returns at most n papers that pass f, by cosine similarity to
	// v, best first, with Paper and Score filled.
	Nearest(ctx context.Context, v []float32, n int, f paper.Filter) ([]paper.Hit, error)
	// Words returns at most n papers that pass f, ranked by BM25 against
	// text, best first, and, when count is set, how many papers match at
	// all (else 0). like, when not "", is the stored paper that text is the
	// title and abstract of: a backend may query with that paper's key terms
	// instead.
	Words(ctx context.Context, like, text string, n int, count bool, f paper.Filter) ([]paper.Scored, int, error)
	// WordScores returns the BM25 score against text of those ids that
	// match it.
	WordScores(ctx context.Context, text string, ids []string) (map[string]float64, error)
	// Highlights returns, per id of papers, up to max fragments of the
	// paper's abstract with the words of text marked <mark>…</mark>,
	// HTML-escaped otherwise.
	Highlights(ctx context.Context, text string, papers []paper.Paper, max int) (map[string][]string, error)
}
