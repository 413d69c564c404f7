package main

import (
	"context"
	"fmt"
	"text/tabwriter"
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
	if *asJSON {
		out := map[string]any{"count": st.Count, "embedder": st.Info.Embedder, "model": st.Info.Model, "dimension": st.Info.Dimension}
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
	return tw.Flush()
}
