package backend

import (
	"context"
	"io"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/weaviate"
)

// remote is a Weaviate cluster: weaviate.Backend ranks and writes; a
// backup is written in the data folder's format, so one moves between the
// two.
type remote struct {
	*weaviate.Backend
}

// openWeaviate connects to the cluster cfg names and makes sure the class
// for info exists.
func openWeaviate(ctx context.Context, cfg Config, info embeddings.Info) (*remote, error) {
	urls, err := weaviate.ParseURLs(cfg.WeaviateURLs)
	if err != nil {
		return nil, configError("%v", err)
	}
	b, err := weaviate.Open(ctx, weaviate.Config{URLs: urls, Class: cfg.WeaviateClass, Replicas: cfg.WeaviateReplicas, Timeout: cfg.Timeout}, info)
	if err != nil {
		return nil, err
	}
	return &remote{b}, nil
}

func (r *remote) Where() string { return "Weaviate class " + r.Class() }

func (r *remote) Status(ctx context.Context) (Status, error) {
	n, err := r.Count(ctx, paper.Filter{})
	if err != nil {
		return Status{}, err
	}
	return Status{Where: []Attr{{"backend", Weaviate}, {"class", r.Class()}}, Count: n, Info: r.Info()}, nil
}

// Restore writes the records: Weaviate keeps the vectors it is given.
func (r *remote) Restore(ctx context.Context, recs []paper.Record) error { return r.Write(ctx, recs) }

func (r *remote) Export(ctx context.Context, w io.Writer) (int, error) {
	return store.WriteBackup(w, store.Manifest{Info: r.Info()}, r.All(ctx))
}
