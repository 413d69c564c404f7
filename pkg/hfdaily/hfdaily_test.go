package hfdaily_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/harvest/harvesttest"
	"github.com/paperlens/paperlens/pkg/hfdaily"
	"github.com/paperlens/paperlens/pkg/hfdaily/hfdailytest"
)

const days = "../../testdata/sync/hf"

// clock says it is 10:00 UTC on day.
func clock(day string) func() time.Time {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t.Add(10 * time.Hour) }
}

// syncOnce syncs the folder f from the server at url and returns the report.
func syncOnce(t *testing.T, f *harvesttest.Folder, url string, o hfdaily.Options) (harvest.Report, error) {
	t.Helper()
	c := &harvest.Client{Backoff: 10 * time.Millisecond, UserAgent: harvest.UserAgent("9.9.9")}
	run, err := harvest.NewRun(f.Dir, hfdaily.Key, f, c)
	if err != nil {
		t.Fatal(err)
	}
	o.URL = url
	err = hfdaily.Sync(context.Background(), c, run, o)
	return run.Report(), err
}

func cursor(t *testing.T, dir string) harvest.Cursor {
	t.Helper()
	c, err := harvest.LoadCursor(dir, hfdaily.Key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSyncReadsEachDayPageByPage(t *testing.T) {
	srv := hfdailytest.New(t, days)
	srv.TooMany("2026-11-23")
	f := harvesttest.Open(t, t.TempDir(), 0)
	rep, err := syncOnce(t, f, srv.URL, hfdaily.Options{From: "2026-11-20", To: "2026-11-23", PageSize: 2, Now: clock("2026-11-24")})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	t.Run("every paper of every day is stored once", func(t *testing.T) {
		want := []string{"2602.23229", "2611.10001", "2611.10002", "2611.10004", "2611.10005", "2611.10006"}
		if got := f.IDs(t); !reflect.DeepEqual(got, want) {
			t.Errorf("stored %v, want %v", got, want)
		}
		if f.Embedded() != 6 {
			t.Errorf("%d papers embedded, want 6: the paper met again with more votes keeps its vector", f.Embedded())
		}
	})
	t.Run("a paper keeps its votes, code and project page, the latest votes winning", func(t *testing.T) {
		p, _ := f.Paper(t, "2602.23229")
		if p.Upvotes != 25 || p.GithubRepo != "https://github.com/marco-garosi/CIRCLE" || p.ProjectPage != "https://circle-lmm.github.io/" {
			t.Errorf("stored %+v", p)
		}
	})
	t.Run("the summary counts days, entries, papers and the skipped entry with its reason", func(t *testing.T) {
		if want := "hf-daily 2026-11-20..2026-11-23: 4 days, 8 entries, 6 added, 0 unchanged, 1 skipped; 1 updated, 6 embedded, 8 requests in "; !strings.HasPrefix(rep.String(), want) {
			t.Errorf("summary\n %q\nwant it to start\n %q", rep.String(), want)
		}
		if len(rep.Skipped) != 1 || rep.Skipped[0].ID != "2611.10003" || !strings.Contains(rep.Skipped[0].Reason, "2026-11-22 entry 2") || !strings.Contains(rep.Skipped[0].Reason, "no abstract") {
			t.Errorf("skipped %v, want 2611.10003 for having no abstract", rep.Skipped)
		}
	})
	t.Run("a day longer than a page is read page after page", func(t *testing.T) {
		var pages []string
		for _, r := range srv.Requests() {
			if r.Day == "2026-11-20" {
				pages = append(pages, r.URL)
			}
		}
		if want := []string{"/api/daily_papers?date=2026-11-20&limit=2&p=0", "/api/daily_papers?date=2026-11-20&limit=2&p=1"}; !reflect.DeepEqual(pages, want) {
			t.Errorf("requests for 2026-11-20: %q, want %q", pages, want)
		}
	})
	t.Run("a 429 is waited out for its Retry-After and every request names paperlens", func(t *testing.T) {
		var at []time.Time
		for _, r := range srv.Requests() {
			if r.Day == "2026-11-23" {
				at = append(at, r.At)
			}
			if !strings.HasPrefix(r.UserAgent, "paperlens/9.9.9") {
				t.Errorf("request %s has User-Agent %q", r.URL, r.UserAgent)
			}
		}
		if len(at) < 2 || at[1].Sub(at[0]) < time.Second {
			t.Errorf("requests for 2026-11-23 at %v, want the retry at least 1s after the 429", at)
		}
	})
	t.Run("the cursor is at the last day read", func(t *testing.T) {
		if c := cursor(t, f.Dir); c.Done != "2026-11-23" {
			t.Errorf("cursor %+v, want done 2026-11-23", c)
		}
	})
	t.Run("without --from the next sync starts the day after the cursor, and never moves it to today", func(t *testing.T) {
		before := len(srv.Requests())
		rep, err := syncOnce(t, f, srv.URL, hfdaily.Options{Now: clock("2026-11-24")})
		if err != nil {
			t.Fatal(err)
		}
		reqs := srv.Requests()[before:]
		if rep.Span != "2026-11-24..2026-11-24" || len(reqs) != 1 || reqs[0].Day != "2026-11-24" {
			t.Errorf("span %q with requests %+v, want only 2026-11-24", rep.Span, reqs)
		}
		if c := cursor(t, f.Dir); c.Done != "2026-11-23" {
			t.Errorf("cursor %+v after reading today, want it still at 2026-11-23", c)
		}
	})
	t.Run("reading the days again embeds nothing", func(t *testing.T) {
		before := f.Embedded()
		rep, err := syncOnce(t, f, srv.URL, hfdaily.Options{From: "2026-11-20", To: "2026-11-23", Now: clock("2026-11-24")})
		if err != nil {
			t.Fatal(err)
		}
		if f.Embedded() != before || rep.Added != 0 || rep.Embedded != 0 || rep.Unchanged != 5 || rep.Updated != 2 {
			t.Errorf("%d embedded, report %s; want nothing added or embedded, 5 unchanged, and the re-met paper updated twice (its votes went 10, then 25)", f.Embedded()-before, rep)
		}
	})
}

func TestSyncFollowsTheNextLink(t *testing.T) {
	srv := hfdailytest.New(t, days)
	srv.Link()
	f := harvesttest.Open(t, t.TempDir(), 0)
	if _, err := syncOnce(t, f, srv.URL, hfdaily.Options{From: "2026-11-20", To: "2026-11-20", PageSize: 2, Now: clock("2026-11-24")}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || !strings.Contains(reqs[1].URL, "via=link") || reqs[1].Page != 1 {
		t.Errorf("requests %+v, want the second page read through the Link header", reqs)
	}
	if n := len(f.IDs(t)); n != 3 {
		t.Errorf("%d papers stored, want 3", n)
	}
}

func TestSyncStopsAtAMalformedPageKeepingWhatIsStored(t *testing.T) {
	srv := hfdailytest.New(t, days)
	srv.Break("2026-11-22", true)
	f := harvesttest.Open(t, t.TempDir(), 0)
	_, err := syncOnce(t, f, srv.URL, hfdaily.Options{From: "2026-11-20", To: "2026-11-23", Now: clock("2026-11-24")})
	var pe *harvest.PageError
	if !errors.As(err, &pe) {
		t.Fatalf("Sync = %v, want a *harvest.PageError", err)
	}
	msg := err.Error()
	for _, want := range []string{srv.URL + "/api/daily_papers?date=2026-11-22", "502 Bad Gateway", "not a JSON array", "attempts"} {
		if !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
			t.Errorf("error %q is not one line saying %q", msg, want)
		}
	}
	if n := len(f.IDs(t)); n != 3 {
		t.Errorf("%d papers stored, want the 3 of the days before", n)
	}
	if c := cursor(t, f.Dir); c.Done != "2026-11-21" {
		t.Errorf("cursor %+v, want it at 2026-11-21, the last day stored", c)
	}
}

func TestSyncSaysWhatIsMissing(t *testing.T) {
	f := harvesttest.Open(t, t.TempDir(), 0)
	tests := []struct {
		name string
		o    hfdaily.Options
		want string
	}{
		{"a first sync needs a first day", hfdaily.Options{}, "--from YYYY-MM-DD"},
		{"a day must be a date", hfdaily.Options{From: "2026-11-31"}, `from day "2026-11-31" is not a date`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := syncOnce(t, f, "http://127.0.0.1:1", tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Sync = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
