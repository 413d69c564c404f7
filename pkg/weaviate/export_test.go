package weaviate

import (
	"context"

	"github.com/weaviate/weaviate-go-client/v5/weaviate"

	"github.com/paperlens/paperlens/pkg/paper"
)

// What the tests of package weaviate_test reach inside.
var (
	Properties = properties
	ObjectID   = objectID
)

// The property names and the write consistency, for the tests.
const (
	PropID           = propID
	PropTitle        = propTitle
	PropAbstract     = propAbstract
	PropUpvotes      = propUpvotes
	PropGithub       = propGithub
	PropProject      = propProject
	WriteConsistency = writeConsistency
)

// Do runs fn against the cluster as the backend does.
func (b *Backend) Do(ctx context.Context, fn func(c *weaviate.Client) error) error {
	return b.do(ctx, fn)
}

// Description is what the backend writes in its class's description.
func (b *Backend) Description() string { return b.description() }

// Lookup reads the paper id at QUORUM, as GetMany does for what one
// replica lacks.
func (b *Backend) Lookup(ctx context.Context, id string) (paper.Record, bool, error) {
	return b.lookup(ctx, id)
}

// AggregateCount counts the papers with Weaviate's Aggregate, which the
// backend falls back from when a node is down.
func (b *Backend) AggregateCount(ctx context.Context) (int, error) { return b.aggregateCount(ctx, nil) }

// SetListPage sets how many ids a count by listing asks for at a time, and
// returns a function that sets it back.
func SetListPage(n int) (restore func()) {
	old := listPage
	listPage = n
	return func() { listPage = old }
}
