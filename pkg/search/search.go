// Package search answers queries: it embeds a query text (or looks up a
// stored paper's vector) and ranks the stored papers against it, one page at
// a time. It is the query road; package ingest is the other one.
package search

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// Limits on a request.
const (
	DefaultLimit = 10
	MaxLimit     = 100
	// MaxDepth bounds offset+limit: ranking deeper than this costs memory
	// and time no reader of a results page needs.
	MaxDepth = 10000
	// MaxQueryLength bounds the bytes of a query or a text to compare.
	MaxQueryLength = 20000
)

// ErrInvalid is wrapped by errors about a bad request (a parameter out of
// range, an empty query); the HTTP API answers 400 for it.
var ErrInvalid = errors.New("invalid request")

// Options page a ranked list. A zero Limit means DefaultLimit.
type Options struct {
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// Validate fills the default limit and rejects values out of range.
func (o *Options) Validate() error {
	if o.Limit == 0 {
		o.Limit = DefaultLimit
	}
	switch {
	case o.Limit < 1 || o.Limit > MaxLimit:
		return fmt.Errorf("%w: limit must be between 1 and %d, got %d", ErrInvalid, MaxLimit, o.Limit)
	case o.Offset < 0:
		return fmt.Errorf("%w: offset must be 0 or more, got %d", ErrInvalid, o.Offset)
	case o.Offset > MaxDepth-o.Limit: // not Offset+Limit: it could overflow
		return fmt.Errorf("%w: offset+limit must be at most %d, got %d", ErrInvalid, MaxDepth, o.Offset+o.Limit)
	}
	return nil
}

// Engine ranks stored papers against queries. It is safe for concurrent use.
type Engine struct {
	embedder embeddings.Embedder
	store    *store.Store
}

// New returns an engine that embeds queries with e and ranks the papers in s.
func New(e embeddings.Embedder, s *store.Store) *Engine {
	return &Engine{embedder: e, store: s}
}

// Store is the store the engine ranks.
func (e *Engine) Store() *store.Store { return e.store }

// Embedder is the embedder the engine embeds queries with.
func (e *Engine) Embedder() embeddings.Embedder { return e.embedder }

// Search ranks the stored papers against a natural-language query.
func (e *Engine) Search(ctx context.Context, query string, o Options) (paper.Page, error) {
	return e.byText(ctx, query, "query", embeddings.Query, o)
}

// SimilarText ranks the stored papers against a text that need not be in
// the store, such as an abstract: "papers like this text".
func (e *Engine) SimilarText(ctx context.Context, text string, o Options) (paper.Page, error) {
	return e.byText(ctx, text, "text", embeddings.Document, o)
}

func (e *Engine) byText(ctx context.Context, text, name string, purpose embeddings.Purpose, o Options) (paper.Page, error) {
	start := time.Now()
	if err := o.Validate(); err != nil {
		return paper.Page{}, err
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return paper.Page{}, fmt.Errorf("%w: %s is empty", ErrInvalid, name)
	case len(text) > MaxQueryLength:
		return paper.Page{}, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrInvalid, name, len(text), MaxQueryLength)
	case !utf8.ValidString(text):
		return paper.Page{}, fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, name)
	}
	vecs, err := e.embedder.Embed(ctx, []string{text}, purpose)
	if err != nil {
		return paper.Page{}, fmt.Errorf("cannot embed the %s: %w", name, err)
	}
	return e.rank(ctx, vecs[0], o, e.store.Count(), start)
}

// Similar ranks the stored papers against the stored paper id: "papers like
// this one". The paper itself is never in the list. It wraps
// store.ErrNotFound for an unknown id.
func (e *Engine) Similar(ctx context.Context, id string, o Options) (paper.Page, error) {
	start := time.Now()
	if err := o.Validate(); err != nil {
		return paper.Page{}, err
	}
	rec, err := e.store.Get(ctx, paper.NormalizeID(id))
	if err != nil {
		return paper.Page{}, err
	}
	return e.rank(ctx, rec.Vector, o, e.store.Count()-1, start, rec.Paper.ID)
}

// Get returns the stored paper id, wrapping store.ErrNotFound if unknown.
func (e *Engine) Get(ctx context.Context, id string) (paper.Paper, error) {
	rec, err := e.store.Get(ctx, paper.NormalizeID(id))
	return rec.Paper, err
}

func (e *Engine) rank(ctx context.Context, v []float32, o Options, total int, start time.Time, exclude ...string) (paper.Page, error) {
	hits, err := e.store.Nearest(ctx, v, o.Offset+o.Limit, nil, exclude...)
	if err != nil {
		return paper.Page{}, err
	}
	page := paper.Page{Results: []paper.Hit{}, Total: max(total, 0), Limit: o.Limit, Offset: o.Offset}
	if o.Offset < len(hits) {
		page.Results = hits[o.Offset:]
	}
	page.TookMS = time.Since(start).Milliseconds()
	return page, nil
}
