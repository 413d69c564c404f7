package main

import (
	"context"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/loader"
)

func runIngest(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "ingest", "FILE...",
		"Adds the papers of each FILE to the data folder, embedding only those that are new or whose\n"+
			"title or abstract changed. Formats: jsonl (canonical JSON Lines), beir (BEIR corpus.jsonl),\n"+
			"hf (Hugging Face Daily Papers API JSON), hfpage (Daily Papers page text), arxiv (the arXiv\n"+
			"metadata snapshot, JSON Lines with versions); detected when not given. To keep a folder current\n"+
			"from Daily Papers or arXiv, see 'paperlens sync'.")
	c.register(fs, e, defaultDataDir(e, "default"))
	format := fs.String("format", "", "input `format`: jsonl, beir, hf, hfpage or arxiv (default: detected from content)")
	strict := fs.Bool("strict", false, "fail on the first malformed record instead of skipping it")
	quiet := fs.Bool("quiet", false, "print nothing but errors")
	noTune := fs.Bool("no-tune", false, "do not fit the hybrid ranking again, even when the folder changed by half (see paperlens tune)")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: no FILE given (e.g. paperlens ingest --data DIR papers.jsonl)", errUsage)
	}
	f, err := loader.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	papers, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer papers.Close()
	ing := c.ingester(papers)
	if err := ingestFiles(ctx, e, ing, files, loader.Options{Format: f, Strict: *strict}, *quiet); err != nil {
		return err
	}
	if *noTune {
		return nil
	}
	_, err = refitIfStale(ctx, e, papers, *quiet)
	return err
}

// ingestFiles ingests files one by one, with a progress bar on a terminal
// and a one-line summary per file otherwise.
func ingestFiles(ctx context.Context, e *env, ing *ingest.Ingester, files []string, opts loader.Options, quiet bool) error {
	for _, path := range files {
		start := time.Now()
		var bar *progressbar.ProgressBar
		progress := func(p ingest.Progress) {
			if bar == nil && e.stderrIsTerminal && !quiet && p.BytesSize > 0 {
				bar = progressbar.NewOptions64(p.BytesSize,
					progressbar.OptionSetWriter(e.stderr),
					progressbar.OptionSetDescription(path),
					progressbar.OptionShowBytes(true),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionThrottle(100*time.Millisecond))
			}
			if bar != nil {
				_ = bar.Set64(p.BytesRead)
				bar.Describe(fmt.Sprintf("%s: %d papers", path, p.Stats.Total()))
			}
		}
		st, rep, err := ing.File(ctx, path, opts, progress)
		if bar != nil {
			_ = bar.Finish()
		}
		for _, le := range rep.Skipped {
			fmt.Fprintf(e.stderr, "%s: skipped %s\n", path, plain(le.Error()))
		}
		if !quiet && (err == nil || st.Total() > 0) {
			fmt.Fprintf(e.stderr, "%s: %d papers (%s): %d added, %d updated, %d unchanged, %d skipped; %d embedded in %s\n",
				path, st.Total(), rep.Format, st.Added, st.Updated, st.Unchanged, len(rep.Skipped), st.Embedded,
				time.Since(start).Round(time.Millisecond))
		}
		if err != nil {
			return fmt.Errorf("%w (papers stored before this error are kept; run the same command again to resume)", err)
		}
	}
	return nil
}
