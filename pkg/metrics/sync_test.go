package metrics_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/metrics"
)

func TestSyncSourcesAreReadAtEachScrape(t *testing.T) {
	ok := time.Date(2026, 11, 23, 6, 0, 0, 500_000_000, time.UTC)
	var mu sync.Mutex
	status := []harvest.Status{
		{Source: "hf-daily", Runs: 3, Added: 12, LastSuccess: ok},
		{Source: "arxiv cs:cs:LG", Running: true, Runs: 2, Errors: 2, LastError: "GET …: not OAI-PMH XML", LastErrorAt: ok.Add(time.Minute)},
	}
	m := metrics.New()
	m.SyncSources(func() []harvest.Status {
		mu.Lock()
		defer mu.Unlock()
		return append([]harvest.Status(nil), status...)
	})

	text := scrape(t, m)
	for _, want := range []string{
		`paperlens_sync_runs_total{source="hf-daily"} 3`,
		`paperlens_sync_errors_total{source="hf-daily"} 0`,
		`paperlens_sync_papers_added_total{source="hf-daily"} 12`,
		`paperlens_sync_running{source="hf-daily"} 0`,
		`paperlens_sync_last_success_timestamp_seconds{source="hf-daily"} 1.7954136005e+09`,
		`paperlens_sync_running{source="arxiv cs:cs:LG"} 1`,
		`paperlens_sync_errors_total{source="arxiv cs:cs:LG"} 2`,
		`paperlens_sync_last_error_timestamp_seconds{source="arxiv cs:cs:LG"} 1.7954136605e+09`,
	} {
		t.Run("the scrape holds "+want, func(t *testing.T) {
			if !strings.Contains(text, want+"\n") {
				t.Errorf("missing from:\n%s", text)
			}
		})
	}
	t.Run("a time that has not happened is absent, not zero", func(t *testing.T) {
		for _, absent := range []string{`paperlens_sync_last_error_timestamp_seconds{source="hf-daily"}`, `paperlens_sync_last_success_timestamp_seconds{source="arxiv cs:cs:LG"}`} {
			if strings.Contains(text, absent) {
				t.Errorf("%s is in the scrape", absent)
			}
		}
	})
	t.Run("the next scrape reads the status again", func(t *testing.T) {
		mu.Lock()
		status[0].Added, status[0].Runs = 20, 4
		mu.Unlock()
		text := scrape(t, m)
		if !strings.Contains(text, `paperlens_sync_papers_added_total{source="hf-daily"} 20`+"\n") || !strings.Contains(text, `paperlens_sync_runs_total{source="hf-daily"} 4`+"\n") {
			t.Errorf("the scrape did not follow the status:\n%s", text)
		}
	})
}
