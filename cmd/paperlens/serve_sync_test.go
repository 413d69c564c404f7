package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/arxiv/arxivtest"
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/hfdaily"
	"github.com/paperlens/paperlens/pkg/hfdaily/hfdailytest"
)

// eventually polls cond until it holds, failing the test after a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fixtureDay reads the entries of a day in testdata/sync/hf.
func fixtureDay(t *testing.T, day string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hfDays, day+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(b, &entries); err != nil {
		t.Fatal(err)
	}
	return entries
}

// syncStatus is GET /v1/stats's sync list, by source.
func syncStatus(t *testing.T, base string) map[string]harvest.Status {
	t.Helper()
	code, body := get(t, base+"/v1/stats")
	var stats struct{ Sync []harvest.Status }
	if err := json.Unmarshal([]byte(body), &stats); code != http.StatusOK || err != nil {
		t.Fatalf("stats: %d %s (%v)", code, body, err)
	}
	bySource := map[string]harvest.Status{}
	for _, st := range stats.Sync {
		bySource[st.Source] = st
	}
	return bySource
}

// finds reports whether searching base for q returns the paper id.
func finds(t *testing.T, base, q, id string) bool {
	t.Helper()
	code, body := get(t, base+"/v1/search?limit=3&q="+url.QueryEscape(q))
	if code != http.StatusOK {
		t.Fatalf("search %q: %d %s", q, code, body)
	}
	return strings.Contains(body, `"id":"`+id+`"`)
}

// holdPage holds the next request for an OAI-PMH page until the test frees
// it, and returns once a sync has asked for it.
func holdPage(t *testing.T, ox *arxivtest.Server, page string) *hold {
	t.Helper()
	h := newHold(t, page)
	ox.Before(h.before)
	select {
	case <-h.reached:
	case <-time.After(time.Minute):
		t.Fatalf("no sync asked for %s", page)
	}
	return h
}

// TestServeSyncsInTheBackgroundWhileAnsweringReads runs serve --sync
// hf-daily --sync arxiv:cs.LG --sync-every 1s against the local stand-ins
// of both sources, with clients reading the API all along: papers appear in
// search round after round, /v1/stats and /metrics report each source, a
// failing source says why, and serve stops cleanly with a sync in flight.
func TestServeSyncsInTheBackgroundWhileAnsweringReads(t *testing.T) {
	now := time.Now().UTC()
	today, yesterday := now.Format(time.DateOnly), now.AddDate(0, 0, -1).Format(time.DateOnly)
	hf := hfdailytest.New(t, "")
	hf.SetDay(yesterday, fixtureDay(t, "2026-11-20"))
	hf.SetDay(today, fixtureDay(t, "2026-11-23"))
	// The stand-in knows the set cs:cs:LG only: arxiv:cs.LG must be sent
	// as arXiv names the category's set.
	ox := arxivtest.New(t, oaiPages, "cs:cs:LG", today)
	dir := filepath.Join(t.TempDir(), "data")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	exit := make(chan int, 1)
	stderr := &lockedBuffer{}
	e := &env{stdout: &lockedBuffer{}, stderr: stderr, ready: func(a string) { addr <- a }, getenv: func(string) string { return "" }}
	go func() {
		exit <- run(ctx, e, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0",
			"--sync", "hf-daily", "--sync", "arxiv:cs.LG", "--sync-every", "1s",
			"--hf-url", hf.URL, "--arxiv-url", ox.URL, "--arxiv-interval", "1ms", "--retries", "0"})
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case code := <-exit:
		t.Fatalf("serve exited %d before serving: %s", code, stderr)
	case <-time.After(time.Minute):
		t.Fatalf("serve did not start: %s", stderr)
	}

	// Readers search and read stats until the test ends, as clients would.
	var reads, failures atomic.Int64
	var lastFailure atomic.Value
	stopReading := make(chan struct{})
	var readers sync.WaitGroup
	for _, path := range []string{"/v1/search?q=" + url.QueryEscape("retrieval for language models"), "/v1/stats"} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stopReading:
					return
				default:
				}
				resp, err := http.Get(base + path)
				if err == nil {
					resp.Body.Close()
				}
				switch {
				case err != nil:
					failures.Add(1)
					lastFailure.Store(fmt.Sprintf("GET %s: %v", path, err))
				case resp.StatusCode != http.StatusOK:
					failures.Add(1)
					lastFailure.Store(fmt.Sprintf("GET %s: %s", path, resp.Status))
				}
				reads.Add(1)
			}
		}()
	}
	stopReaders := func() {
		select {
		case <-stopReading:
		default:
			close(stopReading)
		}
		readers.Wait()
	}
	defer stopReaders()

	t.Run("the papers of both sources appear in search", func(t *testing.T) {
		eventually(t, "today's Daily Papers in search", func() bool {
			return finds(t, base, "world models that plan in latent space", "2611.10005")
		})
		eventually(t, "the arXiv cs.LG papers in search", func() bool {
			return finds(t, base, "streaming retrieval for continually updated corpora", "2611.20001")
		})
	})
	t.Run("stats report each source's success and papers added", func(t *testing.T) {
		var st map[string]harvest.Status
		eventually(t, "both sources synced", func() bool {
			st = syncStatus(t, base)
			return st["hf-daily"].Runs >= 1 && st["arxiv cs:cs:LG"].Runs >= 1
		})
		for _, source := range []string{"hf-daily", "arxiv cs:cs:LG"} {
			if s := st[source]; s.LastSuccess.IsZero() || s.Errors != 0 || s.LastError != "" || s.Added != 5 || !strings.HasPrefix(s.Last, source) {
				t.Errorf("%s: %+v, want a success, no error and 5 papers added", source, s)
			}
		}
	})
	t.Run("a paper added to today's list appears with a later round", func(t *testing.T) {
		hf.SetDay(today, append(fixtureDay(t, "2026-11-23"), hfdailytest.Entry("2612.00077", "Tidal Locking of Exoplanet Atmospheres",
			"Tidally locked exoplanets keep one face to their star; we model how their atmospheres carry heat to the night side.", 4)))
		eventually(t, "the new paper in search", func() bool {
			return finds(t, base, "tidally locked exoplanet atmospheres", "2612.00077")
		})
		eventually(t, "the metrics to count it", func() bool {
			_, text := get(t, base+"/metrics")
			return strings.Contains(text, `paperlens_sync_papers_added_total{source="hf-daily"} 6`+"\n") &&
				strings.Contains(text, `paperlens_sync_last_success_timestamp_seconds{source="arxiv cs:cs:LG"} `)
		})
	})
	t.Run("reads are answered while a sync is in flight", func(t *testing.T) {
		h := holdPage(t, ox, "page2")
		if st := syncStatus(t, base)["arxiv cs:cs:LG"]; !st.Running {
			t.Errorf("arxiv status %+v while its request is held, want running", st)
		}
		if !finds(t, base, "world models that plan in latent space", "2611.10005") {
			t.Error("search does not answer as before while a sync is in flight")
		}
		h.free()
	})
	t.Run("a failing source reports its last error, then its recovery", func(t *testing.T) {
		hf.Break(today, true)
		var failed harvest.Status
		eventually(t, "hf-daily to report the broken page", func() bool {
			failed = syncStatus(t, base)["hf-daily"]
			return failed.Errors >= 1
		})
		if !strings.Contains(failed.LastError, "date="+today) || !strings.Contains(failed.LastError, "502 Bad Gateway") || failed.LastErrorAt.IsZero() {
			t.Errorf("hf-daily status %+v, want the last error naming the URL and what came back", failed)
		}
		if !strings.Contains(stderr.String(), "sync failed") {
			t.Errorf("serve did not log the failure as a warning: %s", stderr)
		}
		hf.Break(today, false)
		eventually(t, "hf-daily to succeed again", func() bool {
			st := syncStatus(t, base)["hf-daily"]
			return st.LastSuccess.After(st.LastErrorAt) && st.LastError != ""
		})
	})

	stopReaders()
	if n, f := reads.Load(), failures.Load(); n == 0 || f != 0 {
		t.Errorf("%d reads, %d failed (last: %v): every read must be answered while syncs run", n, f, lastFailure.Load())
	}

	t.Run("serve stops with a sync in flight, and the folder keeps what was stored", func(t *testing.T) {
		h := holdPage(t, ox, "page3")
		cancel()
		select {
		case code := <-exit:
			if code != 0 {
				t.Fatalf("serve exited %d: %s", code, stderr)
			}
		case <-time.After(time.Minute):
			t.Fatal("serve did not stop while a sync request was held")
		}
		h.free()
		if n := storedCount(t, dir); n != 11 {
			t.Errorf("%d papers stored, want 11 (6 Daily Papers, 5 from arXiv)", n)
		}
		if c, err := harvest.LoadCursor(dir, hfdaily.Key); err != nil || c.Done != yesterday {
			t.Errorf("hf-daily cursor %+v, %v; want done %s, never today", c, err, yesterday)
		}
	})
}

func TestServeSyncTakesItsSettingsFromTheEnvironment(t *testing.T) {
	hf := hfdailytest.New(t, "")
	hf.SetDay(time.Now().UTC().Format(time.DateOnly), fixtureDay(t, "2026-11-23"))
	dir := t.TempDir()
	weekBack := func() string { return time.Now().UTC().AddDate(0, 0, -firstSyncDays).Format(time.DateOnly) }
	earliest := weekBack()
	base, _ := serveWithEnv(t, map[string]string{"PAPERLENS_SYNC": "hf-daily", "PAPERLENS_SYNC_EVERY": "1s", "PAPERLENS_HF_URL": hf.URL},
		"--data", dir, "--addr", "127.0.0.1:0")
	eventually(t, "two rounds of hf-daily", func() bool {
		st := syncStatus(t, base)["hf-daily"]
		return st.Runs >= 2 && st.Added == 2
	})
	// A source never synced starts a week back.
	if reqs, latest := hf.Requests(), weekBack(); len(reqs) == 0 || reqs[0].Day < earliest || reqs[0].Day > latest {
		t.Errorf("the first request was for %+v, want the day a week back (%s)", reqs, earliest)
	}
}

func TestServeRefusesWrongSyncSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"the source must be known", nil, []string{"--sync", "rss"}, `--sync "rss": unknown source "rss"`},
		{"arxiv needs a set", nil, []string{"--sync", "arxiv"}, "arxiv needs a set: arxiv:cs.LG"},
		{"the arXiv set must exist", nil, []string{"--sync", "arxiv:biology"}, `arXiv set "biology": not an arXiv category`},
		{"hf-daily takes no argument", nil, []string{"--sync", "hf-daily:cs"}, "hf-daily takes no argument"},
		{"a source is named once", nil, []string{"--sync", "arxiv:cs.LG", "--sync", "arxiv:cs:cs:LG"}, "arxiv cs:cs:LG is named twice"},
		{"--sync-every needs a source", nil, []string{"--sync-every", "1h"}, "--sync-every needs a source"},
		{"--sync-every is more than 0", nil, []string{"--sync", "hf-daily", "--sync-every", "0s"}, "--sync-every must be more than 0"},
		{"the live sources are not synced every second", nil, []string{"--sync", "hf-daily", "--sync-every", "1s"}, "too often for the live hf-daily"},
		{"PAPERLENS_SYNC_EVERY is a duration", map[string]string{"PAPERLENS_SYNC_EVERY": "daily"}, []string{"--sync", "hf-daily"}, `PAPERLENS_SYNC_EVERY "daily" is not a duration`},
		{"PAPERLENS_SYNC names sources as --sync does", map[string]string{"PAPERLENS_SYNC": "hf-daily, arxiv"}, nil, `PAPERLENS_SYNC "arxiv": arxiv needs a set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb lockedBuffer
			e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return tt.env[k] }}
			code := run(context.Background(), e, append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...))
			if got := errb.String(); code != 2 || !strings.Contains(got, tt.want) || strings.Count(got, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line saying %q", code, got, tt.want)
			}
		})
	}
}
