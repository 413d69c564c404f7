package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/tune"
)

func runTune(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "tune", "",
		"Fits the hybrid ranking to the data folder's papers and embedder, with no relevance judgments:\n"+
			"it asks pseudo-queries made from the papers (a title, or a sentence of an abstract, whose paper\n"+
			"is the one relevant answer once that part is hidden from it), ranks them by words and by\n"+
			"vectors, and keeps the fusion that ranks the answers highest in the folder's manifest, where\n"+
			"search, similar, serve and eval find it. ingest fits a folder by itself when its number of\n"+
			"papers has changed by half since the last fit.")
	c.register(fs, e, defaultDataDir(e, "default"))
	queries := fs.Int("queries", 1000, "pseudo-queries of each kind (titles, abstract sentences)")
	seed := fs.String("seed", "", "picks which papers are asked (the same seed asks the same papers)")
	reset := fs.Bool("reset", false, "forget the fitted fusion: rank with the default fusion again")
	asJSON := fs.Bool("json", false, "print the fitted fusion and the whole curve as JSON")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("%w: tune takes no arguments, got %q", errUsage, rest)
	case *queries < 1:
		return fmt.Errorf("%w: --queries must be 1 or more, got %d", errUsage, *queries)
	}
	if c.Kind == backend.Weaviate {
		return fmt.Errorf("%w: tune fits an embedded data folder; on Weaviate, set the weights with eval's --lexical-weight and --vector-weight", errUsage)
	}
	papers, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer papers.Close()
	if *reset {
		if err := papers.Unfit(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s ranks with the default fusion again: %s\n", papers.Where(), describeFusion(search.DefaultFusion))
		return nil
	}
	start := time.Now()
	res, rec, err := papers.Fit(ctx, tune.Options{Queries: *queries, Seed: *seed})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, struct {
			store.Fitted
			Curve []tune.Point `json:"curve"`
		}{rec, res.Curve})
	}
	printFitted(e.stdout, res, rec, time.Since(start))
	return nil
}

// refitIfStale fits the fusion of an embedded data folder again when it
// changed enough since the last fit (see tune.Stale), saying so on stderr
// unless quiet, and returns the new fit (nil when none was made). A folder
// too small to fit keeps the fusion it has.
func refitIfStale(ctx context.Context, e *env, papers *backend.Papers, quiet bool) (*store.Fitted, error) {
	if !papers.FitIsStale() {
		return nil, nil
	}
	start := time.Now()
	res, rec, err := papers.Fit(ctx, tune.Options{})
	if err != nil {
		if errors.Is(err, tune.ErrTooFew) {
			return nil, nil
		}
		return nil, fmt.Errorf("the papers are stored, but the fusion could not be fitted to them: %w (run 'paperlens tune --data %s' to try again)", err, papers.Where())
	}
	if !quiet {
		fmt.Fprintf(e.stderr, "fitted the hybrid ranking to %d papers in %s: %s (pseudo-query nDCG@10 %.4f; default %.4f)\n",
			rec.Papers, time.Since(start).Round(time.Millisecond), describeFusion(tune.FusionOf(&rec)), res.NDCG, res.Default)
	}
	return &rec, nil
}

func printFitted(w io.Writer, res tune.Result, rec store.Fitted, took time.Duration) {
	fmt.Fprintf(w, "fitted to %d papers on %d title and %d sentence pseudo-queries in %s\n",
		rec.Papers, res.Queries[tune.Title], res.Queries[tune.Sentence], took.Round(time.Millisecond))
	fmt.Fprintf(w, "fusion:  %s\n", describeFusion(tune.FusionOf(&rec)))
	fmt.Fprintf(w, "pseudo-query nDCG@10: fitted %.4f, default (%s) %.4f, lexical alone %.4f, vector alone %.4f\n",
		res.NDCG, describeFusion(search.DefaultFusion), res.Default, res.Lexical, res.Vector)
}

// describeFusion is a fusion in a few words.
func describeFusion(f search.Fusion) string {
	s := fmt.Sprintf("%s, lexical %.2f, vector %.2f", f.Method, f.LexicalWeight, f.VectorWeight)
	if f.Method == search.RRF {
		s += fmt.Sprintf(", K %g", f.K)
	}
	return s
}
