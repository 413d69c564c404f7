// Package embeddings defines the Embedder interface that turns texts into
// vectors. Its implementations live in sub-packages: builtin (static word
// vectors compiled into the binary, the default) and ollama (a real Ollama
// server).
package embeddings

import (
	"context"
	"fmt"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Purpose says what a text will be used for. Some models embed queries and
// documents differently (nomic-embed-text wants "search_query: " and
// "search_document: " prefixes).
type Purpose int

const (
	// Document is a text to be stored and found.
	Document Purpose = iota
	// Query is a text to search with.
	Query
)

// String returns "document" or "query".
func (p Purpose) String() string {
	if p == Query {
		return "query"
	}
	return "document"
}

// Info names an embedder and its model. Dimension is 0 while it is not yet
// known (an Ollama model reveals it on the first call).
type Info struct {
	Embedder  string `json:"embedder"`
	Model     string `json:"model"`
	Dimension int    `json:"dimension"`
}

// Embedder embeds a batch of texts. Implementations return one L2-normalised
// vector per text, in order, all of the same dimension, and are safe for
// concurrent use.
type Embedder interface {
	Embed(ctx context.Context, texts []string, purpose Purpose) ([][]float32, error)
	Info() Info
}

// ErrUnavailable is wrapped by errors that mean the embedder cannot be
// reached right now (server down, timeout); a caller may retry later. The
// HTTP API answers 503 for it. It wraps paper.ErrUnavailable, the one
// "cannot be reached" of every part of the engine.
var ErrUnavailable = fmt.Errorf("embedder %w", paper.ErrUnavailable)
