package main

import (
	"context"
	"fmt"
	"os"

	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/search"
)

// seedFile is the 38 seed papers, relative to the repository root.
const seedFile = "testdata/papers.jsonl"

func runDemo(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "demo", "",
		"Ingests the 38 seed papers into a demo data folder with the built-in embedder and serves\n"+
			"the HTTP API. Run it from the repository root, or point --file at the seed papers.")
	c.register(fs, e, defaultDataDir(e, "demo"))
	file := fs.String("file", seedFile, "papers to ingest")
	addr := fs.String("addr", envOr(e, "PAPERLENS_ADDR", defaultAddr), "`host:port` to listen on (env PAPERLENS_ADDR)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: demo takes no arguments, got %q", errUsage, rest)
	}
	o, err := defaultServeOptions(e, *addr)
	if err != nil {
		return err
	}
	if _, err := os.Stat(*file); err != nil {
		return fmt.Errorf("cannot find the seed papers at %s: run the demo from the repository root or pass --file", *file)
	}
	papers, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer papers.Close()
	if err := ingestFiles(ctx, e, papers.Ingester(), []string{*file}, loader.Options{}, false); err != nil {
		return err
	}
	eng := papers.Engine()
	o.banner = func(url string) {
		w := e.stdout
		fmt.Fprintf(w, "paperlens demo: %d papers in %s\n", eng.Count(), papers.Where())
		fmt.Fprintf(w, "Serving the HTTP API and the search page at %s (Ctrl-C to stop). Open %s/ in a browser, or try:\n\n", url, url)
		fmt.Fprintf(w, "  curl '%s/v1/search?q=meta-learning+for+reinforcement+learning&limit=5'\n", url)
		// Show "papers like this one" for a real stored paper.
		page, err := eng.Search(ctx, "in-context learning through the Bayesian prism", search.Options{Limit: 1})
		if err == nil && len(page.Results) > 0 {
			fmt.Fprintf(w, "  curl '%s/v1/papers/%s/similar?limit=5'\n\n", url, page.Results[0].ID)
		} else {
			fmt.Fprintf(w, "  curl '%s/v1/stats'\n\n", url)
		}
	}
	return serveWith(ctx, e, papers, o)
}
