package main

import (
	"context"
	"fmt"

	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/tune"
)

func runStats(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "stats", "", "Shows what a data folder holds: papers, embedder, model and dimension.")
	c.register(fs, e, defaultDataDir(e, "default"))
	asJSON := fs.Bool("json", false, "print as JSON")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: stats takes no arguments, got %q", errUsage, rest)
	}
	if wv, err := c.useWeaviate(); err != nil || wv {
		if err != nil {
			return err
		}
		return weaviateStats(ctx, e, &c, *asJSON)
	}
	_, st, err := c.openExisting()
	if err != nil {
		return err
	}
	defer st.Close() // releases the folder's lock
	m := st.Manifest()
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{
			"count": m.Count, "embedder": m.Embedder, "model": m.Model, "dimension": m.Dimension, "data": st.Dir(),
			"fusion": fusionStats(m.Fitted),
		})
	}
	fmt.Fprintf(e.stdout, "data:      %s\npapers:    %d\nembedder:  %s\nmodel:     %s\ndimension: %d\nupdated:   %s\nfusion:    %s\n",
		st.Dir(), m.Count, m.Embedder, m.Model, m.Dimension, m.Updated.Format("2006-01-02 15:04:05 MST"), fusionLine(m.Fitted))
	return nil
}

// fusionLine says how the hybrid ranking of a folder fitted as f fuses.
func fusionLine(f *store.Fitted) string {
	s := describeFusion(tune.FusionOf(f))
	if f == nil {
		return s + " (the default; run 'paperlens tune' to fit it to this folder)"
	}
	return fmt.Sprintf("%s (fitted to %d papers on %s)", s, f.Papers, f.At.Format("2006-01-02"))
}

// fusionStats is the fusion of a folder fitted as f, for --json.
func fusionStats(f *store.Fitted) map[string]any {
	fu := tune.FusionOf(f)
	out := map[string]any{"method": fu.Method, "lexical_weight": fu.LexicalWeight, "vector_weight": fu.VectorWeight, "fitted": f != nil}
	if f != nil {
		out["papers"], out["queries"], out["at"] = f.Papers, f.Queries, f.At
	}
	return out
}

// weaviateStats shows what the Weaviate class of the flags holds.
func weaviateStats(ctx context.Context, e *env, c *config, asJSON bool) error {
	df, err := c.openWeaviate(ctx, false)
	if err != nil {
		return err
	}
	defer df.Close()
	st, err := df.engine(df.emb).Stats(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, map[string]any{
			"count": st.Count, "embedder": st.Embedder, "model": st.Model, "dimension": st.Dimension,
			"backend": backendWeaviate, "class": df.wv.Class(),
		})
	}
	fmt.Fprintf(e.stdout, "backend:   weaviate\nclass:     %s\npapers:    %d\nembedder:  %s\nmodel:     %s\ndimension: %d\n",
		df.wv.Class(), st.Count, st.Embedder, st.Model, st.Dimension)
	return nil
}
