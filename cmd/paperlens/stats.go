package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/tune"
)

func runStats(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "stats", "", "Shows what a data folder (or a Weaviate class) holds: papers, embedder, model and dimension.")
	c.register(fs, e, defaultDataDir(e, "default"))
	asJSON := fs.Bool("json", false, "print as JSON")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: stats takes no arguments, got %q", errUsage, rest)
	}
	papers, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer papers.Close() // releases the folder's lock
	st, err := papers.Status(ctx)
	if err != nil {
		return err
	}
	fitted := papers.Fitted()
	if *asJSON {
		out := map[string]any{"count": st.Count, "embedder": st.Info.Embedder, "model": st.Info.Model, "dimension": st.Info.Dimension,
			"fusion": fusionStats(fitted)}
		for _, a := range st.Where {
			out[a.Label] = a.Value
		}
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 1, ' ', 0)
	for _, a := range st.Where {
		fmt.Fprintf(tw, "%s:\t%s\n", a.Label, a.Value)
	}
	fmt.Fprintf(tw, "papers:\t%d\nembedder:\t%s\nmodel:\t%s\ndimension:\t%d\n", st.Count, st.Info.Embedder, st.Info.Model, st.Info.Dimension)
	if !st.Updated.IsZero() {
		fmt.Fprintf(tw, "updated:\t%s\n", st.Updated.Format("2006-01-02 15:04:05 MST"))
	}
	fmt.Fprintf(tw, "fusion:\t%s\n", fusionLine(fitted))
	return tw.Flush()
}

// fusionLine says how the hybrid ranking of papers fitted as f fuses.
func fusionLine(f *store.Fitted) string {
	s := describeFusion(tune.FusionOf(f))
	if f == nil {
		return s + " (the default; run 'paperlens tune' to fit it to a data folder)"
	}
	return fmt.Sprintf("%s (fitted to %d papers on %s)", s, f.Papers, f.At.Format("2006-01-02"))
}

// fusionStats is the fusion of papers fitted as f, for --json.
func fusionStats(f *store.Fitted) map[string]any {
	fu := tune.FusionOf(f)
	out := map[string]any{"method": fu.Method, "lexical_weight": fu.LexicalWeight, "vector_weight": fu.VectorWeight, "fitted": f != nil}
	if f != nil {
		out["papers"], out["queries"], out["at"] = f.Papers, f.Queries, f.At
	}
	return out
}
