package server_test

import (
	"bytes"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/server"
)

// syncing reports two sources as a scheduler would: one fine, one failing,
// every field set so that answers show all of them.
func syncing() []harvest.Status {
	ok := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	return []harvest.Status{
		{Source: "hf-daily", Runs: 2, Added: 9, LastSuccess: ok, LastError: "GET http://hf/api/daily_papers?date=2026-12-02: no answer within 1m0s",
			LastErrorAt: ok.Add(-6 * time.Hour), Errors: 1, Last: "hf-daily 2026-11-26..2026-12-03: 8 days, 9 entries, 9 added, 0 unchanged, 0 skipped; 0 updated, 9 embedded, 8 requests in 1.2s"},
		{Source: "arxiv cs:cs:LG", Running: true},
	}
}

func TestStatsAndMetricsReportTheSyncs(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{Sync: syncing}, builtinEmbedder(t), seed)

	t.Run("stats lists each source with its last success, last error and papers added", func(t *testing.T) {
		var stats struct {
			Count int              `json:"count"`
			Sync  []harvest.Status `json:"sync"`
		}
		ts.get(t, "/v1/stats").decode(t, http.StatusOK, &stats)
		if stats.Count != len(seed) || !reflect.DeepEqual(stats.Sync, syncing()) {
			t.Errorf("stats %+v,\nwant sync %+v", stats, syncing())
		}
	})
	t.Run("metrics have a series per source", func(t *testing.T) {
		text := ts.scrape(t)
		for series, want := range map[string]float64{
			`paperlens_sync_papers_added_total{source="hf-daily"}`:             9,
			`paperlens_sync_errors_total{source="hf-daily"}`:                   1,
			`paperlens_sync_last_success_timestamp_seconds{source="hf-daily"}`: float64(time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC).Unix()),
			`paperlens_sync_running{source="arxiv cs:cs:LG"}`:                  1,
		} {
			if got := sample(t, text, series); got != want {
				t.Errorf("%s = %v, want %v", series, got, want)
			}
		}
	})
	t.Run("without syncs, stats has no sync field", func(t *testing.T) {
		plain := newServer(t, server.Config{}, builtinEmbedder(t), nil)
		if r := plain.get(t, "/v1/stats"); r.status != http.StatusOK || bytes.Contains(r.body, []byte(`"sync"`)) {
			t.Errorf("stats answered %d %s", r.status, r.body)
		}
	})
}
