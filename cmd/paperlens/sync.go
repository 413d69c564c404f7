package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/paperlens/paperlens/pkg/arxiv"
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/hfdaily"
)

// The sources sync reads.
const (
	sourceHFDaily = "hf-daily"
	sourceArxiv   = "arxiv"
)

// syncSource is one source to sync and how to reach it.
type syncSource struct {
	name     string // sourceHFDaily or sourceArxiv
	set      string // the arXiv set
	from, to string // days, YYYY-MM-DD; "" continues from the cursor (from) or means today (to)
	hfURL    string
	arxivURL string
	// arxivInterval is the least time between two arXiv requests.
	arxivInterval time.Duration
	// timeout bounds each request; retries is how many times a failed
	// one is tried again.
	timeout time.Duration
	retries int
}

// register adds the source flags to fs, with defaults from the environment.
func (s *syncSource) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&s.hfURL, "hf-url", envOr(e, "PAPERLENS_HF_URL", hfdaily.DefaultURL), "Hugging Face Hub `URL` serving /api/daily_papers (env PAPERLENS_HF_URL)")
	fs.StringVar(&s.arxivURL, "arxiv-url", envOr(e, "PAPERLENS_ARXIV_URL", arxiv.DefaultURL), "arXiv OAI-PMH base `URL` (env PAPERLENS_ARXIV_URL)")
	fs.DurationVar(&s.arxivInterval, "arxiv-interval", envDuration(e, "PAPERLENS_ARXIV_INTERVAL", harvest.ArxivInterval), "least time between two arXiv requests; arXiv asks for 3s: lower it only for a server of your own (env PAPERLENS_ARXIV_INTERVAL)")
	fs.DurationVar(&s.timeout, "request-timeout", harvest.DefaultTimeout, "timeout of one request to the source")
	fs.IntVar(&s.retries, "retries", harvest.DefaultRetries, "times a failed request is tried again, with exponential backoff or after the server's Retry-After")
}

// check says what is wrong with the source's settings, as a usage error.
func (s *syncSource) check() error {
	switch s.name {
	case sourceHFDaily:
		if s.set != "" {
			return fmt.Errorf("%w: --set is for --source arxiv; hf-daily has no sets", errUsage)
		}
	case sourceArxiv:
		if s.set == "" {
			return fmt.Errorf("%w: --source arxiv needs --set SET (e.g. cs, math or physics:hep-th)", errUsage)
		}
		if s.to != "" {
			return fmt.Errorf("%w: --to is for --source hf-daily; an arXiv harvest runs to the latest record", errUsage)
		}
	case "":
		return fmt.Errorf("%w: --source is needed: hf-daily or arxiv", errUsage)
	default:
		return fmt.Errorf("%w: unknown source %q (want hf-daily or arxiv)", errUsage, s.name)
	}
	for _, d := range []struct{ flag, v string }{{"--from", s.from}, {"--to", s.to}} {
		if _, err := time.Parse(time.DateOnly, d.v); d.v != "" && err != nil {
			return fmt.Errorf("%w: %s %q is not a date: want YYYY-MM-DD", errUsage, d.flag, d.v)
		}
	}
	if s.arxivInterval < 0 || s.timeout <= 0 || s.retries < 0 {
		return fmt.Errorf("%w: --arxiv-interval, --request-timeout and --retries must not be negative (and the timeout not 0)", errUsage)
	}
	return nil
}

// withSpec is the source serve's --sync names, hf-daily or arxiv:SET,
// reached as s says (its URLs, interval, timeout and retries: the flags
// register adds).
func (s syncSource) withSpec(spec string) (syncSource, error) {
	s.name, s.set, _ = strings.Cut(strings.TrimSpace(spec), ":")
	s.from, s.to = "", ""
	if err := s.check(); err != nil {
		return s, fmt.Errorf("--sync %q: %w", spec, err)
	}
	return s, nil
}

// key names the source in summaries and its cursor file.
func (s *syncSource) key() string {
	if s.name == sourceArxiv {
		return arxiv.Key(s.set)
	}
	return hfdaily.Key
}

// client is a polite client for the source.
func (s *syncSource) client() *harvest.Client {
	c := &harvest.Client{UserAgent: harvest.UserAgent(version), Timeout: s.timeout, Retries: s.retries}
	if s.retries == 0 {
		c.Retries = -1
	}
	if s.name == sourceArxiv {
		c.Interval = s.arxivInterval
	}
	return c
}

// sync syncs the source once into w, keeping its cursor in the data folder
// dir, fetching with c. progress, if not nil, hears after each page.
func (s *syncSource) sync(ctx context.Context, c *harvest.Client, dir string, w harvest.Writer, progress func(harvest.Report)) (harvest.Report, error) {
	run, err := harvest.NewRun(dir, s.key(), w, c)
	if err != nil {
		return harvest.Report{Source: s.key()}, err
	}
	run.Progress = progress
	if s.name == sourceArxiv {
		err = arxiv.Sync(ctx, c, run, arxiv.Options{URL: s.arxivURL, Set: s.set, From: s.from})
	} else {
		err = hfdaily.Sync(ctx, c, run, hfdaily.Options{URL: s.hfURL, From: s.from, To: s.to})
	}
	return run.Report(), err
}

// job is the source as serve schedules it. A source never synced into dir
// starts yesterday (UTC); later runs continue from the cursor.
func (s syncSource) job(dir string, w harvest.Writer) harvest.Job {
	c := s.client()
	return harvest.Job{Name: s.key(), Sync: func(ctx context.Context) (harvest.Report, error) {
		run := s
		if cur, err := harvest.LoadCursor(dir, s.key()); err == nil && cur == (harvest.Cursor{}) {
			run.from = time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		}
		return run.sync(ctx, c, dir, w, nil)
	}}
}

func runSync(ctx context.Context, e *env, args []string) error {
	var c config
	var s syncSource
	fs := newFlagSet(e, "sync", "",
		"Adds the papers of a remote source to the data folder, and keeps it current: run it again\n"+
			"(without --from) to continue where it stopped. Each page is stored before the next is read;\n"+
			"a cursor per source in DIR/sync/ moves only past stored papers, so a sync killed at any moment\n"+
			"loses nothing and, run again, neither skips nor re-embeds papers.\n\n"+
			"  paperlens sync --data DIR --source hf-daily --from YYYY-MM-DD [--to YYYY-MM-DD] [--hf-url URL]\n"+
			"  paperlens sync --data DIR --source arxiv --set SET [--from YYYY-MM-DD] [--arxiv-url URL]")
	c.register(fs, e, defaultDataDir(e, "default"))
	fs.StringVar(&s.name, "source", "", "where papers come from: hf-daily (Hugging Face Daily Papers) or arxiv (arXiv OAI-PMH)")
	fs.StringVar(&s.set, "set", "", "arXiv OAI-PMH `set` to harvest: cs, math, physics:hep-th…")
	fs.StringVar(&s.from, "from", "", "first `day` (YYYY-MM-DD) to read: a Daily Papers day, or the arXiv datestamp to harvest from (default: continue from the cursor)")
	fs.StringVar(&s.to, "to", "", "last Daily Papers `day` to read (YYYY-MM-DD; default today, UTC)")
	s.register(fs, e)
	quiet := fs.Bool("quiet", false, "print nothing but errors")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: sync takes no arguments, got %q", errUsage, rest)
	}
	if err := s.check(); err != nil {
		return err
	}
	papers, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer papers.Close()
	ing := papers.Ingester()
	if c.BatchSize > 0 {
		ing.BatchSize = c.BatchSize
	}

	var bar *progressbar.ProgressBar
	progress := func(r harvest.Report) {
		if !e.stderrIsTerminal || *quiet {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(e.stderr), progressbar.OptionClearOnFinish(),
				progressbar.OptionSpinnerType(14), progressbar.OptionThrottle(100*time.Millisecond))
		}
		bar.Describe(fmt.Sprintf("%s: %d %s, %d papers, %.0f papers/s", r.Source, r.Units, r.Unit, r.Total(), r.Rate()))
		_ = bar.Add(1)
	}
	rep, err := s.sync(ctx, s.client(), c.Data, ing, progress)
	if bar != nil {
		_ = bar.Finish()
	}
	if !*quiet {
		for _, sk := range rep.Skipped {
			fmt.Fprintf(e.stderr, "%s: skipped %s\n", rep.Source, plain(sk.String()))
		}
		for _, n := range rep.Notes {
			fmt.Fprintf(e.stderr, "%s: %s\n", rep.Source, n)
		}
		if err == nil || rep.Requests > 0 {
			fmt.Fprintln(e.stderr, rep)
		}
	}
	if err != nil && rep.Requests > 0 {
		return fmt.Errorf("%w; the papers stored before are kept and the cursor is past them only: run sync again without --from to continue", err)
	}
	return err
}
