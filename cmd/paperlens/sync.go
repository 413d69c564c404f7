package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
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

// check says what is wrong with the source's settings, and turns the arXiv
// set into the OAI-PMH set spec that harvests it (arxiv.SetSpec).
func (s *syncSource) check() error {
	switch s.name {
	case sourceHFDaily:
		if s.set != "" {
			return errors.New("--set is for --source arxiv; hf-daily has no sets")
		}
	case sourceArxiv:
		if s.set == "" {
			return errors.New("--source arxiv needs --set SET (e.g. cs.LG, cs or hep-th)")
		}
		spec, err := arxiv.SetSpec(s.set)
		if err != nil {
			return err
		}
		s.set = spec
		if s.to != "" {
			return errors.New("--to is for --source hf-daily; an arXiv harvest runs to the latest record")
		}
	case "":
		return errors.New("--source is needed: hf-daily or arxiv")
	default:
		return fmt.Errorf("unknown source %q (want hf-daily or arxiv)", s.name)
	}
	for _, d := range []struct{ flag, v string }{{"--from", s.from}, {"--to", s.to}} {
		if _, err := time.Parse(time.DateOnly, d.v); d.v != "" && err != nil {
			return fmt.Errorf("%s %q is not a date: want YYYY-MM-DD", d.flag, d.v)
		}
	}
	if s.arxivInterval < 0 || s.timeout <= 0 || s.retries < 0 {
		return errors.New("--arxiv-interval, --request-timeout and --retries must not be negative (and the timeout not 0)")
	}
	return nil
}

// withSpec is the source serve's --sync names, hf-daily or arxiv:SET,
// reached as s says (its URLs, interval, timeout and retries: the flags
// register adds).
func (s syncSource) withSpec(spec string) (syncSource, error) {
	name, arg, _ := strings.Cut(strings.TrimSpace(spec), ":")
	s.name, s.set, s.from, s.to = name, arg, "", ""
	switch {
	case name == sourceHFDaily && arg != "":
		return s, errors.New("hf-daily takes no argument")
	case name == sourceArxiv && arg == "":
		return s, errors.New("arxiv needs a set: arxiv:cs.LG, arxiv:cs or arxiv:hep-th")
	}
	return s, s.check()
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

// Serve's background syncs.
const (
	// defaultSyncEvery is how often serve syncs when --sync-every is not
	// given: both sources change a few times a day.
	defaultSyncEvery = 6 * time.Hour
	// minLiveSyncEvery is the shortest --sync-every against the live
	// sources; syncing them more often only costs them requests.
	minLiveSyncEvery = time.Minute
	// firstSyncDays is how far back serve's first sync of a source
	// reaches: a week, so that a server started on a weekend or after a
	// holiday, when arXiv announces nothing and the Daily Papers are few,
	// still starts with the latest papers.
	firstSyncDays = 7
)

// job is the source as serve schedules it: each sync continues from the
// cursor in dir, and a source never synced there starts firstSyncDays back
// (UTC). Each sync's outcome is logged: a failure as a warning, the
// summary, skipped entries and notes as info.
func (s syncSource) job(dir string, w harvest.Writer, log *slog.Logger) harvest.Job {
	c := s.client()
	key := s.key()
	return harvest.Job{Name: key, Sync: func(ctx context.Context) (harvest.Report, error) {
		run := s
		if cur, err := harvest.LoadCursor(dir, key); err == nil && cur == (harvest.Cursor{}) {
			run.from = time.Now().UTC().AddDate(0, 0, -firstSyncDays).Format(time.DateOnly)
		}
		rep, err := run.sync(ctx, c, dir, w, nil)
		for _, sk := range rep.Skipped {
			log.Info("sync skipped an entry", "source", key, "entry", sk.String())
		}
		for _, n := range rep.Notes {
			log.Info("sync note", "source", key, "note", n)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			log.Info("sync stopped", "source", key, "summary", rep.String())
		case err != nil:
			log.Warn("sync failed", "source", key, "error", err, "summary", rep.String())
		default:
			log.Info("sync", "source", key, "summary", rep.String())
		}
		return rep, err
	}}
}

// syncSchedule is what serve syncs in the background: its sources, how
// often, and the data folder that holds their cursors.
type syncSchedule struct {
	sources []syncSource
	every   time.Duration
	dir     string
}

// scheduler runs the sources' jobs one after another every s.every,
// storing through w.
func (s syncSchedule) scheduler(w harvest.Writer, log *slog.Logger) *harvest.Scheduler {
	jobs := make([]harvest.Job, len(s.sources))
	for i, src := range s.sources {
		jobs[i] = src.job(s.dir, w, log)
	}
	return harvest.NewScheduler(s.every, jobs...)
}

// String names the sources and the interval: "hf-daily, arxiv cs every 6h0m0s".
func (s syncSchedule) String() string {
	names := make([]string, len(s.sources))
	for i, src := range s.sources {
		names[i] = src.key()
	}
	return strings.Join(names, ", ") + " every " + s.every.String()
}

// syncFlags are serve's --sync and --sync-every, with the flags that say
// how to reach the sources (sync's --hf-url, --arxiv-url…).
type syncFlags struct {
	specs  listFlag
	every  time.Duration
	source syncSource
}

// register adds the flags to fs.
func (f *syncFlags) register(fs *flag.FlagSet, e *env) {
	fs.Var(&f.specs, "sync", "keep the data folder current in the background from `SOURCE`: hf-daily, or arxiv:SET with SET as sync's --set (cs.LG, cs, hep-th…); repeat for more (env PAPERLENS_SYNC, comma-separated)")
	fs.DurationVar(&f.every, "sync-every", defaultSyncEvery, "how often to sync the --sync sources, one after another (env PAPERLENS_SYNC_EVERY)")
	f.source.register(fs, e)
}

// schedule checks the parsed flags of fs, falling back to the environment,
// and returns what to sync into the data folder dir: no sources when
// neither --sync nor PAPERLENS_SYNC names one.
func (f *syncFlags) schedule(fs *flag.FlagSet, e *env, dir string) (syncSchedule, error) {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	specs, from := []string(f.specs), "--sync"
	if len(specs) == 0 {
		from = "PAPERLENS_SYNC"
		for _, spec := range strings.Split(e.getenv("PAPERLENS_SYNC"), ",") {
			if spec = strings.TrimSpace(spec); spec != "" {
				specs = append(specs, spec)
			}
		}
	}
	sched := syncSchedule{every: f.every, dir: dir}
	if v := e.getenv("PAPERLENS_SYNC_EVERY"); v != "" && !given["sync-every"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return syncSchedule{}, fmt.Errorf("%w: PAPERLENS_SYNC_EVERY %q is not a duration (e.g. 6h or 30m)", errUsage, v)
		}
		sched.every = d
	}
	switch {
	case len(specs) == 0 && given["sync-every"]:
		return syncSchedule{}, fmt.Errorf("%w: --sync-every needs a source to sync: --sync hf-daily or --sync arxiv:SET", errUsage)
	case len(specs) == 0:
		return syncSchedule{}, nil
	case sched.every <= 0:
		return syncSchedule{}, fmt.Errorf("%w: --sync-every must be more than 0, got %v", errUsage, sched.every)
	}
	seen := map[string]bool{}
	for _, spec := range specs {
		s, err := f.source.withSpec(spec)
		if err != nil {
			return syncSchedule{}, fmt.Errorf("%w: %s %q: %v (want hf-daily or arxiv:SET)", errUsage, from, spec, err)
		}
		if seen[s.key()] {
			return syncSchedule{}, fmt.Errorf("%w: %s %q: %s is named twice", errUsage, from, spec, s.key())
		}
		seen[s.key()] = true
		if sched.every < minLiveSyncEvery && s.live() {
			return syncSchedule{}, fmt.Errorf("%w: --sync-every %v is too often for the live %s: give %v or more (shorter intervals are for a server of your own, --hf-url or --arxiv-url)",
				errUsage, sched.every, s.key(), minLiveSyncEvery)
		}
		sched.sources = append(sched.sources, s)
	}
	return sched, nil
}

// live reports whether the source is the public one, not a server of your
// own.
func (s *syncSource) live() bool {
	if s.name == sourceArxiv {
		return strings.TrimRight(s.arxivURL, "/") == arxiv.DefaultURL
	}
	return strings.TrimRight(s.hfURL, "/") == hfdaily.DefaultURL
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
	fs.StringVar(&s.set, "set", "", "what of arXiv to harvest: a category (cs.LG), an archive (hep-th), a group (cs, math, physics) or an OAI-PMH `set` spec (cs:cs:LG)")
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
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	papers, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer papers.Close()
	ing := c.ingester(papers)

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
