package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/arxiv"
	"github.com/paperlens/paperlens/pkg/arxiv/arxivtest"
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/harvest/harvesttest"
	"github.com/paperlens/paperlens/pkg/hfdaily"
	"github.com/paperlens/paperlens/pkg/hfdaily/hfdailytest"
)

const (
	hfDays   = "../../testdata/sync/hf"
	oaiPages = "../../testdata/sync/oai"
)

// storedCount is what paperlens stats says the folder holds.
func storedCount(t *testing.T, dir string) int {
	t.Helper()
	code, out, stderr := paperlens(t, context.Background(), nil, "stats", "--json", "--data", dir)
	var s struct{ Count int }
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("stats: exit %d, %s %s", code, out, stderr)
	}
	return s.Count
}

// syncSummary finds the sync's summary line in stderr and returns its counts by
// name ("days", "added", "embedded"…).
func syncSummary(t *testing.T, stderr string) map[string]int {
	t.Helper()
	var line string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, " added, ") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no summary line in %q", stderr)
	}
	counts := map[string]int{}
	for _, m := range regexp.MustCompile(`(\d+) ([a-z]+)`).FindAllStringSubmatch(line, -1) {
		n, _ := strconv.Atoi(m[1])
		counts[m[2]] = n
	}
	return counts
}

func TestSyncAddsDailyPapersAndContinuesFromTheCursor(t *testing.T) {
	ctx := context.Background()
	srv := hfdailytest.New(t, hfDays)
	srv.TooMany("2026-11-23")
	dir := t.TempDir()
	code, _, stderr := paperlens(t, ctx, nil, "sync", "--data", dir, "--source", "hf-daily", "--from", "2026-11-20", "--to", "2026-11-23", "--hf-url", srv.URL)
	if code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	t.Run("a summary line counts days, entries and papers, after a line per skipped entry", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "hf-daily: skipped 2611.10003: 2026-11-22 entry 2") ||
			!strings.HasPrefix(lines[1], "hf-daily 2026-11-20..2026-11-23: 4 days, 8 entries, 6 added, 0 unchanged, 1 skipped; 1 updated, 6 embedded") {
			t.Errorf("stderr:\n%s", stderr)
		}
	})
	t.Run("the papers are searchable with their votes", func(t *testing.T) {
		code, out, stderr := paperlens(t, ctx, nil, "search", "--data", dir, "--json", "--limit", "1", "world models that plan in latent space")
		if code != 0 || !strings.Contains(out, `"id": "2611.10005"`) || !strings.Contains(out, `"upvotes": 63`) {
			t.Errorf("search: exit %d, %s %s", code, out, stderr)
		}
	})
	t.Run("run again without --from, it reads only the days after the cursor", func(t *testing.T) {
		before := len(srv.Requests())
		code, _, stderr := paperlens(t, ctx, nil, "sync", "--data", dir, "--source", "hf-daily", "--to", "2026-11-24", "--hf-url", srv.URL)
		if code != 0 || !strings.Contains(stderr, "hf-daily 2026-11-24..2026-11-24: 1 days, 0 entries") {
			t.Errorf("sync: exit %d: %s", code, stderr)
		}
		if reqs := srv.Requests()[before:]; len(reqs) != 1 || reqs[0].Day != "2026-11-24" {
			t.Errorf("requests %+v, want one for 2026-11-24", reqs)
		}
	})
	t.Run("reading the same days again embeds nothing", func(t *testing.T) {
		code, _, stderr := paperlens(t, ctx, nil, "sync", "--data", dir, "--source", "hf-daily", "--from", "2026-11-20", "--to", "2026-11-23", "--hf-url", srv.URL)
		if c := syncSummary(t, stderr); code != 0 || c["added"] != 0 || c["embedded"] != 0 {
			t.Errorf("sync: exit %d: %s", code, stderr)
		}
		if n := storedCount(t, dir); n != 6 {
			t.Errorf("%d papers stored, want 6", n)
		}
	})
}

func TestSyncHarvestsAnArxivSet(t *testing.T) {
	ctx := context.Background()
	srv := arxivtest.New(t, oaiPages, "cs", "2026-11-22")
	srv.Unavailable("page2")
	dir := t.TempDir()
	// 2611.20006, stored before, was since withdrawn.
	withdrawn := filepath.Join(t.TempDir(), "withdrawn.jsonl")
	if err := os.WriteFile(withdrawn, []byte(`{"id":"2611.20006","title":"Withdrawn","abstract":"A paper since withdrawn."}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", dir, withdrawn); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	code, _, stderr := paperlens(t, ctx, nil, "sync", "--data", dir, "--source", "arxiv", "--set", "cs", "--from", "2026-11-20",
		"--arxiv-url", srv.URL, "--arxiv-interval", "10ms")
	if code != 0 || !strings.Contains(stderr, "arxiv cs from 2026-11-20: 3 pages, 7 records, 5 added, 0 unchanged, 1 deleted, 1 skipped") ||
		!strings.Contains(stderr, "arxiv cs: skipped 2611.20003: ") {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	if n := storedCount(t, dir); n != 5 {
		t.Errorf("%d papers stored, want 5 (1 before, 5 added, 1 deleted)", n)
	}
	code, out, _ := paperlens(t, ctx, nil, "similar", "--data", dir, "--json", "cs/0112017")
	if code != 0 || !strings.Contains(out, `"results"`) {
		t.Errorf("similar cs/0112017: exit %d, %s: an old-style id must stay addressable", code, out)
	}
}

// A category is harvested through the set arXiv names it (cs.LG is
// cs:cs:LG), and both spellings share one cursor.
func TestSyncHarvestsAnArxivCategoryThroughItsSet(t *testing.T) {
	ctx := context.Background()
	srv := arxivtest.New(t, oaiPages, "cs:cs:LG", "2026-11-22")
	dir := t.TempDir()
	code, _, stderr := paperlens(t, ctx, nil, "sync", "--data", dir, "--source", "arxiv", "--set", "cs.LG", "--from", "2026-11-20",
		"--arxiv-url", srv.URL, "--arxiv-interval", "1ms")
	if code != 0 || !strings.Contains(stderr, "arxiv cs:cs:LG from 2026-11-20: 3 pages, 7 records, 5 added") {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	if q := srv.Requests()[0].Query; !strings.Contains(q, "set=cs%3Acs%3ALG") {
		t.Errorf("the first request asked %q, want set=cs:cs:LG", q)
	}
	code, _, stderr = paperlens(t, ctx, nil, "sync", "--data", dir, "--source", "arxiv", "--set", "cs:cs:LG", "--arxiv-url", srv.URL, "--arxiv-interval", "1ms")
	if code != 0 || !strings.Contains(stderr, "arxiv cs:cs:LG from 2026-11-22: 3 pages, 7 records, 0 added, 5 unchanged") {
		t.Errorf("the set spec did not continue from the category's cursor: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "sync", "arxiv_cs_cs_LG.json")); err != nil {
		t.Errorf("the cursor is not where docs/sync.md says: %v", err)
	}
}

func TestSyncStopsWithOneLineAtAMalformedPage(t *testing.T) {
	ctx := context.Background()
	srv := hfdailytest.New(t, hfDays)
	srv.Break("2026-11-22", true)
	dir := t.TempDir()
	code, _, stderr := paperlens(t, ctx, nil, "sync", "--data", dir, "--source", "hf-daily", "--from", "2026-11-20", "--to", "2026-11-23",
		"--hf-url", srv.URL, "--retries", "1")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	want := fmt.Sprintf(`paperlens sync: GET %s/api/daily_papers?date=2026-11-22&limit=50&p=0: answered 200 OK "<html><body><h1>502 Bad Gateway</h1></body></html>": not a JSON array of Daily Papers entries (2 attempts)`, srv.URL)
	if code != 1 || !strings.HasPrefix(last, want) {
		t.Errorf("exit %d, last line\n %q\nwant it to start\n %q", code, last, want)
	}
	if !strings.Contains(stderr, "hf-daily 2026-11-20..2026-11-23: 2 days, 3 entries, 3 added") {
		t.Errorf("no summary of what was stored before the error: %s", stderr)
	}
	if n := storedCount(t, dir); n != 3 {
		t.Errorf("%d papers stored, want the 3 of the days before", n)
	}
	if c, err := harvest.LoadCursor(dir, hfdaily.Key); err != nil || c.Done != "2026-11-21" {
		t.Errorf("cursor %+v, %v; want it at 2026-11-21", c, err)
	}
}

func TestSyncRejectsWrongCalls(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a source is needed", []string{}, "--source is needed"},
		{"the source must be known", []string{"--source", "rss"}, `unknown source "rss"`},
		{"arxiv needs a set", []string{"--source", "arxiv"}, "needs --set SET"},
		{"the arXiv set must exist", []string{"--source", "arxiv", "--set", "cs-LG"}, `arXiv set "cs-LG": not an arXiv category`},
		{"hf-daily has no sets", []string{"--source", "hf-daily", "--set", "cs"}, "--set is for --source arxiv"},
		{"arxiv runs to the latest record", []string{"--source", "arxiv", "--set", "cs", "--to", "2026-11-23"}, "--to is for --source hf-daily"},
		{"days are dates", []string{"--source", "hf-daily", "--from", "21/11/2026"}, `--from "21/11/2026" is not a date`},
		{"sync takes no arguments", []string{"--source", "hf-daily", "extra"}, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := paperlens(t, context.Background(), nil, append([]string{"sync", "--data", t.TempDir()}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line saying %q", code, stderr, tt.want)
			}
		})
	}
	t.Run("a first sync without --from says to give one", func(t *testing.T) {
		code, _, stderr := paperlens(t, context.Background(), nil, "sync", "--data", t.TempDir(), "--source", "hf-daily", "--hf-url", "http://127.0.0.1:1")
		if code != 1 || !strings.Contains(stderr, "--from YYYY-MM-DD") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// hold blocks the first request for a page until released, and says when
// it has been reached.
type hold struct {
	page    string
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func newHold(t *testing.T, page string) *hold {
	h := &hold{page: page, reached: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(h.free)
	return h
}

func (h *hold) before(page string) {
	if page != h.page {
		return
	}
	first := false
	h.once.Do(func() { first = true; close(h.reached) })
	if first {
		<-h.release
	}
}

func (h *hold) free() {
	select {
	case <-h.release:
	default:
		close(h.release)
	}
}

// killBetweenPages runs the command, waits until the server holds its
// request for a page and cond holds, then kills it with SIGKILL.
func killBetweenPages(t *testing.T, h *hold, cond func() bool, bin string, args ...string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.reached:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("sync never asked for %s; stderr:\n%s", h.page, &stderr)
	}
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the cursor never reached the page before %s; stderr:\n%s", h.page, &stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed(t, cmd, cmd.Wait(), &stderr)
	h.free()
}

func TestSyncKilledBetweenPagesResumesWithoutLossOrReembedding(t *testing.T) {
	if testing.Short() {
		t.Skip("builds paperlens and kills it; run without -short")
	}
	bin := buildPaperlens(t)
	const perPage = 20

	t.Run("hf-daily", func(t *testing.T) {
		srv := hfdailytest.New(t, "")
		for d := 1; d <= 10; d++ {
			var entries []json.RawMessage
			for i := 1; i <= perPage; i++ {
				id := fmt.Sprintf("2611.3%02d%02d", d, i)
				entries = append(entries, hfdailytest.Entry(id, "Daily paper "+id, fmt.Sprintf("What daily paper %s found about topic %d.", id, i), i))
			}
			srv.SetDay(fmt.Sprintf("2026-11-%02d", d), entries)
		}
		h := newHold(t, "2026-11-06")
		srv.Before(h.before)
		dir := filepath.Join(t.TempDir(), "data")
		args := []string{"sync", "--data", dir, "--source", "hf-daily", "--to", "2026-11-10", "--hf-url", srv.URL}
		killBetweenPages(t, h, func() bool {
			c, err := harvest.LoadCursor(dir, hfdaily.Key)
			return err == nil && c.Done == "2026-11-05"
		}, bin, append(args, "--from", "2026-11-01")...)

		t.Run("the folder opens with the five days stored", func(t *testing.T) {
			if ids := reopened(t, dir); len(ids) != 5*perPage {
				t.Errorf("%d papers after the kill, want %d", len(ids), 5*perPage)
			}
		})
		t.Run("run again without --from, it reads the other days once and embeds only them", func(t *testing.T) {
			before := len(srv.Requests())
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("second sync: %v\n%s", err, out)
			}
			c := syncSummary(t, string(out))
			if !strings.Contains(string(out), "hf-daily 2026-11-06..2026-11-10: 5 days") || c["added"] != 5*perPage || c["embedded"] != 5*perPage || c["unchanged"] != 0 {
				t.Errorf("second sync said %s", out)
			}
			var days []string
			for _, r := range srv.Requests()[before:] {
				days = append(days, r.Day)
			}
			if want := []string{"2026-11-06", "2026-11-07", "2026-11-08", "2026-11-09", "2026-11-10"}; strings.Join(days, " ") != strings.Join(want, " ") {
				t.Errorf("the second sync asked for %v, want %v", days, want)
			}
			if n := storedCount(t, dir); n != 10*perPage {
				t.Errorf("%d papers stored, want each of the %d once", n, 10*perPage)
			}
			if cur, err := harvest.LoadCursor(dir, hfdaily.Key); err != nil || cur.Done != "2026-11-10" {
				t.Errorf("cursor %+v, %v; want done 2026-11-10", cur, err)
			}
		})
	})

	t.Run("arxiv", func(t *testing.T) {
		srv := arxivtest.Generated(t, "cs", "2026-11-22", "2611", 8, perPage)
		h := newHold(t, fmt.Sprintf("cs|%d", 5*perPage))
		srv.Before(h.before)
		dir := filepath.Join(t.TempDir(), "data")
		args := []string{"sync", "--data", dir, "--source", "arxiv", "--set", "cs", "--arxiv-url", srv.URL, "--arxiv-interval", "1ms"}
		killBetweenPages(t, h, func() bool {
			c, err := harvest.LoadCursor(dir, arxiv.Key("cs"))
			return err == nil && c.Token == h.page
		}, bin, append(args, "--from", "2026-11-20")...)

		t.Run("the folder opens with five pages stored and the cursor holds the live token", func(t *testing.T) {
			if ids := reopened(t, dir); len(ids) != 5*perPage {
				t.Errorf("%d papers after the kill, want %d", len(ids), 5*perPage)
			}
			c, err := harvest.LoadCursor(dir, arxiv.Key("cs"))
			if err != nil || c.From != "2026-11-20" || c.Token != h.page {
				t.Errorf("cursor %+v, %v", c, err)
			}
		})
		t.Run("run again without --from, it resumes from the token and embeds only the rest", func(t *testing.T) {
			before := len(srv.Requests())
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("second sync: %v\n%s", err, out)
			}
			c := syncSummary(t, string(out))
			if c["pages"] != 3 || c["added"] != 3*perPage || c["embedded"] != 3*perPage || c["unchanged"] != 0 {
				t.Errorf("second sync said %s", out)
			}
			if q := srv.Requests()[before].Query; q != "resumptionToken="+strings.ReplaceAll(h.page, "|", "%7C")+"&verb=ListRecords" {
				t.Errorf("the second sync asked first for %q, want the saved token", q)
			}
			if n := storedCount(t, dir); n != 8*perPage {
				t.Errorf("%d papers stored, want each of the %d once", n, 8*perPage)
			}
			if cur, err := harvest.LoadCursor(dir, arxiv.Key("cs")); err != nil || cur.Done != "2026-11-22" || cur.Token != "" {
				t.Errorf("cursor %+v, %v; want done 2026-11-22 and no token", cur, err)
			}
		})
	})
}

// The cursor lives where docs/sync.md says: DIR/sync/SOURCE.json.
func TestSyncKeepsItsCursorInTheDataFolder(t *testing.T) {
	srv := hfdailytest.New(t, hfDays)
	dir := t.TempDir()
	code, _, stderr := paperlens(t, context.Background(), nil, "sync", "--data", dir, "--source", "hf-daily", "--from", "2026-11-21", "--to", "2026-11-21", "--hf-url", srv.URL)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "sync", "hf-daily.json"))
	if err != nil || !strings.Contains(string(b), `"done": "2026-11-21"`) {
		t.Errorf("DIR/sync/hf-daily.json: %s, %v", b, err)
	}
}

// TestSyncJobsRunOnServesSchedule checks the jobs serve will schedule
// (--sync hf-daily --sync arxiv:cs): they sync into the folder in turn and
// report each source's status.
func TestSyncJobsRunOnServesSchedule(t *testing.T) {
	hf := hfdailytest.New(t, hfDays)
	ox := arxivtest.New(t, oaiPages, "cs", "2026-11-22")
	f := harvesttest.Open(t, t.TempDir(), 0)
	// Cursors as an earlier sync would leave them; a source never synced
	// would start a week back.
	for key, c := range map[string]harvest.Cursor{hfdaily.Key: {Done: "2026-11-19"}, arxiv.Key("cs"): {Done: "2026-11-20"}} {
		if err := harvest.SaveCursor(f.Dir, key, c); err != nil {
			t.Fatal(err)
		}
	}
	base := syncSource{hfURL: hf.URL, arxivURL: ox.URL, arxivInterval: time.Millisecond, timeout: time.Minute, retries: 1}
	var jobs []harvest.Job
	for _, spec := range []string{"hf-daily", "arxiv:cs"} {
		s, err := base.withSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, s.job(f.Dir, f, slog.New(slog.DiscardHandler)))
	}
	if _, err := base.withSpec("arxiv"); err == nil || !strings.Contains(err.Error(), "arxiv needs a set") {
		t.Errorf("withSpec(arxiv) = %v, want an error asking for the set", err)
	}
	sched := harvest.NewScheduler(20*time.Millisecond, jobs...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sched.Run(ctx); close(done) }()
	deadline := time.Now().Add(time.Minute)
	for st := sched.Status(); st[0].Runs < 2 || st[1].Runs < 2; st = sched.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("two rounds did not finish in a minute: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	st := sched.Status()
	if st[0].Source != "hf-daily" || st[0].Added != 6 || st[0].LastSuccess.IsZero() || st[0].LastError != "" {
		t.Errorf("hf-daily status %+v, want 6 papers added and no error", st[0])
	}
	if st[1].Source != "arxiv cs" || st[1].Added != 5 || st[1].LastSuccess.IsZero() || st[1].LastError != "" {
		t.Errorf("arxiv status %+v, want 5 papers added and no error", st[1])
	}
	if n := len(f.IDs(t)); n != 11 {
		t.Errorf("%d papers stored, want 11 (6 from hf-daily, 5 from arXiv)", n)
	}
}
