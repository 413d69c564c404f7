package arxiv_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/arxiv"
	"github.com/paperlens/paperlens/pkg/arxiv/arxivtest"
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/harvest/harvesttest"
	"github.com/paperlens/paperlens/pkg/paper"
)

const pages = "../../testdata/sync/oai"

// interval stands in for arXiv's 3 s between requests, lowered for tests.
const interval = 50 * time.Millisecond

func harvestOnce(t *testing.T, f *harvesttest.Folder, srv *arxivtest.Server, from string) (harvest.Report, error) {
	t.Helper()
	c := &harvest.Client{Interval: interval, Backoff: 10 * time.Millisecond, UserAgent: harvest.UserAgent("9.9.9")}
	run, err := harvest.NewRun(f.Dir, arxiv.Key("cs"), f, c)
	if err != nil {
		t.Fatal(err)
	}
	err = arxiv.Sync(context.Background(), c, run, arxiv.Options{URL: srv.URL, Set: "cs", From: from})
	return run.Report(), err
}

func cursor(t *testing.T, dir string) harvest.Cursor {
	t.Helper()
	c, err := harvest.LoadCursor(dir, arxiv.Key("cs"))
	if err != nil {
		t.Fatal(err)
	}
	c.Saved, c.Source = time.Time{}, ""
	return c
}

func TestSyncHarvestsASet(t *testing.T) {
	srv := arxivtest.New(t, pages, "cs", "2026-11-22")
	srv.Unavailable("page2")
	f := harvesttest.Open(t, t.TempDir(), 0)
	// 2611.20006, stored by an earlier harvest, was since withdrawn.
	if _, err := f.Upsert(context.Background(), []paper.Paper{{ID: "2611.20006", Title: "Withdrawn", Abstract: "A paper since withdrawn."}}); err != nil {
		t.Fatal(err)
	}
	rep, err := harvestOnce(t, f, srv, "2026-11-20")
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	t.Run("records are stored, the deleted one is gone and the malformed one skipped with its reason", func(t *testing.T) {
		if got, want := f.IDs(t), []string{"2611.20001", "2611.20002", "2611.20004", "2611.20005", "cs/0112017"}; !reflect.DeepEqual(got, want) {
			t.Errorf("stored %v, want %v", got, want)
		}
		if len(rep.Skipped) != 1 || rep.Skipped[0].ID != "2611.20003" || !strings.Contains(rep.Skipped[0].Reason, "no abstract") {
			t.Errorf("skipped %v, want 2611.20003 for its missing abstract", rep.Skipped)
		}
		if want := "arxiv cs from 2026-11-20: 3 pages, 7 records, 5 added, 0 unchanged, 1 deleted, 1 skipped; 0 updated, 5 embedded, 4 requests in "; !strings.HasPrefix(rep.String(), want) {
			t.Errorf("summary\n %q\nwant it to start\n %q", rep.String(), want)
		}
	})
	t.Run("TeX line breaks and runs of spaces become plain text, authors read forenames first", func(t *testing.T) {
		got, _ := f.Paper(t, "2611.20002")
		want := paper.Paper{
			ID: "2611.20002", Title: "Scaling Laws for Sparse Attention in Long-Context Models",
			Abstract:  `We measure how loss scales with the sparsity of attention. Sparse models follow the dense law up to a constant factor of $1.3\times$ compute.`,
			Authors:   []string{"Alex J. Brown Jr", "Lucía García"},
			Published: "2026-11-20", Categories: []string{"cs.CL", "cs.LG"}, URL: "https://arxiv.org/abs/2611.20002",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %#v\nwant %#v", got, want)
		}
	})
	t.Run("an old-style id keeps its slash and its creation date", func(t *testing.T) {
		got, ok := f.Paper(t, "cs/0112017")
		if !ok || got.Published != "2001-12-14" || got.URL != "https://arxiv.org/abs/cs/0112017" {
			t.Errorf("got %+v, %v", got, ok)
		}
	})
	reqs := srv.Requests()
	t.Run("pages after the first are asked for by their resumption token alone", func(t *testing.T) {
		var queries []string
		for _, r := range reqs {
			queries = append(queries, r.Query)
		}
		want := []string{"from=2026-11-20&metadataPrefix=arXiv&set=cs&verb=ListRecords", "resumptionToken=page2&verb=ListRecords",
			"resumptionToken=page2&verb=ListRecords", "resumptionToken=page3&verb=ListRecords"}
		if !reflect.DeepEqual(queries, want) {
			t.Errorf("queries %q, want %q", queries, want)
		}
	})
	t.Run("requests keep the interval, and a 503 its Retry-After", func(t *testing.T) {
		for i := 1; i < len(reqs); i++ {
			if gap := reqs[i].At.Sub(reqs[i-1].At); gap < interval {
				t.Errorf("request %d came %v after the one before, want at least %v", i+1, gap, interval)
			}
		}
		if gap := reqs[2].At.Sub(reqs[1].At); gap < time.Second {
			t.Errorf("the retry after the 503 came %v later, want at least its Retry-After of 1s", gap)
		}
	})
	t.Run("the finished harvest leaves the latest datestamp and no token", func(t *testing.T) {
		if got := cursor(t, f.Dir); got != (harvest.Cursor{Done: "2026-11-22"}) {
			t.Errorf("cursor %+v, want done 2026-11-22", got)
		}
	})
	t.Run("the next harvest starts at that datestamp, and no records to match is no error", func(t *testing.T) {
		srv.SetLast("2026-11-21") // nothing changed on the 22nd since
		rep, err := harvestOnce(t, f, srv, "")
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		last := srv.Requests()[len(srv.Requests())-1]
		if !strings.Contains(last.Query, "from=2026-11-22") || rep.Entries != 0 || rep.Units != 1 {
			t.Errorf("asked %q and read %s; want one empty page from 2026-11-22", last.Query, rep)
		}
		if got := cursor(t, f.Dir); got != (harvest.Cursor{Done: "2026-11-22"}) {
			t.Errorf("cursor %+v, want it still at 2026-11-22", got)
		}
	})
}

func TestSyncResumesWhereItStopped(t *testing.T) {
	srv := arxivtest.New(t, pages, "cs", "2026-11-22")
	srv.Break("page3", true)
	f := harvesttest.Open(t, t.TempDir(), 0)
	_, err := harvestOnce(t, f, srv, "2026-11-20")
	var pe *harvest.PageError
	if !errors.As(err, &pe) {
		t.Fatalf("Sync = %v, want a *harvest.PageError", err)
	}
	t.Run("a malformed page ends the sync with one line naming its URL and what came back", func(t *testing.T) {
		msg := err.Error()
		for _, want := range []string{srv.URL + "?resumptionToken=page3&verb=ListRecords", "<html><body>Internal error", "not OAI-PMH XML", "(6 attempts)"} {
			if !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line saying %q", msg, want)
			}
		}
	})
	t.Run("the cursor holds the live token of the page that failed", func(t *testing.T) {
		if got, want := cursor(t, f.Dir), (harvest.Cursor{From: "2026-11-20", Token: "page3", Latest: "2026-11-22"}); got != want {
			t.Errorf("cursor %+v, want %+v", got, want)
		}
		if n := len(f.IDs(t)); n != 4 {
			t.Errorf("%d papers stored, want the 4 of the first two pages", n)
		}
	})
	t.Run("run again, it resumes from that token and embeds only what is new", func(t *testing.T) {
		srv.Break("page3", false)
		before, asked := f.Embedded(), len(srv.Requests())
		rep, err := harvestOnce(t, f, srv, "")
		if err != nil {
			t.Fatal(err)
		}
		if q := srv.Requests()[asked].Query; q != "resumptionToken=page3&verb=ListRecords" {
			t.Errorf("the first request was %q, want the saved token", q)
		}
		if f.Embedded()-before != 1 || rep.Added != 1 || len(f.IDs(t)) != 5 {
			t.Errorf("%d embedded, report %s, %d stored; want the one new paper", f.Embedded()-before, rep, len(f.IDs(t)))
		}
		if got := cursor(t, f.Dir); got != (harvest.Cursor{Done: "2026-11-22"}) {
			t.Errorf("cursor %+v, want done 2026-11-22", got)
		}
	})
}

func TestSyncHandlesRefusedTokens(t *testing.T) {
	srv := arxivtest.New(t, pages, "cs", "2026-11-22")
	srv.Refuse("page2", 1)
	f := harvesttest.Open(t, t.TempDir(), 0)
	_, err := harvestOnce(t, f, srv, "2026-11-20")
	var oe *arxiv.Error
	t.Run("a token refused during a harvest ends it at once, naming the OAI-PMH error", func(t *testing.T) {
		if !errors.As(err, &oe) || oe.Code != "badResumptionToken" || !strings.Contains(err.Error(), "resumptionToken=page2") {
			t.Fatalf("Sync = %v, want the badResumptionToken error with the URL", err)
		}
		if n := len(srv.Requests()); n != 2 {
			t.Errorf("%d requests, want 2: an OAI-PMH error is not retried", n)
		}
		if got := cursor(t, f.Dir); got.Token != "page2" {
			t.Errorf("cursor %+v, want the token of the page not yet stored", got)
		}
	})
	t.Run("a saved token the server no longer knows starts the harvest again, re-embedding nothing", func(t *testing.T) {
		srv.Refuse("page2", 1)
		before := f.Embedded()
		rep, err := harvestOnce(t, f, srv, "")
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "harvested again from 2026-11-20") {
			t.Errorf("notes %q, want one saying the harvest started again", rep.Notes)
		}
		if got := f.Embedded() - before; got != 2 {
			t.Errorf("%d embedded, want 2: only the new papers of pages 2 and 3", got)
		}
		if rep.Unchanged != 3 || rep.Added != 2 {
			t.Errorf("report %s, want the 3 papers of page 1 unchanged and 2 added", rep)
		}
		if got := cursor(t, f.Dir); got != (harvest.Cursor{Done: "2026-11-22"}) {
			t.Errorf("cursor %+v, want done 2026-11-22", got)
		}
	})
}

func TestSyncSaysWhatIsWrong(t *testing.T) {
	srv := arxivtest.New(t, pages, "cs", "2026-11-22")
	f := harvesttest.Open(t, t.TempDir(), 0)
	tests := []struct {
		name, set, from, want string
	}{
		{"a first harvest needs a datestamp", "cs", "", "--from YYYY-MM-DD"},
		{"a set is needed", "", "2026-11-20", "--set"},
		{"an unknown set is the server's badArgument", "cs.LG", "2026-11-20", `OAI-PMH error badArgument: unknown set "cs.LG"`},
		{"a from that is not a date", "cs", "20.11.2026", "not a date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &harvest.Client{}
			run, err := harvest.NewRun(f.Dir, arxiv.Key(tt.set), f, c)
			if err != nil {
				t.Fatal(err)
			}
			err = arxiv.Sync(context.Background(), c, run, arxiv.Options{URL: srv.URL, Set: tt.set, From: tt.from})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Sync = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
