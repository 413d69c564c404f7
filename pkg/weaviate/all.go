package weaviate

import (
	"context"
	"encoding/json"
	"iter"

	"github.com/weaviate/weaviate-go-client/v5/weaviate"

	"github.com/paperlens/paperlens/pkg/paper"
)

// allPage is how many papers All asks for at a time.
const allPage = 500

// All yields every stored record, vectors included, in no particular
// order, until the loop stops or a request fails (then it yields the
// error). It pages with Weaviate's cursor (after the last object id), so
// it sees each paper once while no paper is written.
func (b *Backend) All(ctx context.Context) iter.Seq2[paper.Record, error] {
	return func(yield func(paper.Record, error) bool) {
		after := ""
		for {
			objs, last, err := b.page(ctx, after)
			if err != nil {
				yield(paper.Record{}, err)
				return
			}
			for _, o := range objs {
				if !yield(paper.Record{Paper: o.paper(), Hash: o.Hash, Vector: o.Additional.Vector}, nil) {
					return
				}
			}
			if len(objs) < allPage || last == "" {
				return
			}
			after = last
		}
	}
}

// page is the page of papers after the object id after ("" for the
// first), and the id of its last object.
func (b *Backend) page(ctx context.Context, after string) ([]object, string, error) {
	var (
		objs []object
		last string
	)
	err := b.do(ctx, func(c *weaviate.Client) error {
		g := c.GraphQL().Get().WithClassName(b.class).WithLimit(allPage).WithFields(paperFields("id", "vector")...)
		if after != "" {
			g = g.WithAfter(after)
		}
		resp, err := g.Do(ctx)
		if err != nil {
			return err
		}
		if err := gqlErrors(resp); err != nil {
			return err
		}
		raw, err := json.Marshal(resp.Data["Get"])
		if err != nil {
			return err
		}
		var byClass map[string][]struct {
			Additional struct {
				ID string `json:"id"`
			} `json:"_additional"`
		}
		if err := json.Unmarshal(raw, &byClass); err != nil {
			return err
		}
		if ids := byClass[b.class]; len(ids) > 0 {
			last = ids[len(ids)-1].Additional.ID
		}
		objs, err = decode(resp, "Get", b.class)
		return err
	})
	return objs, last, err
}
