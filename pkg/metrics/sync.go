package metrics

import (
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/prometheus/client_golang/prometheus"
)

// The series of the scheduled syncs, one per source; the label is the
// source's name ("hf-daily", "arxiv cs:cs:LG"), so there are as many as
// sources configured.
var (
	syncRunning     = prometheus.NewDesc("paperlens_sync_running", "1 while a sync of the source runs, else 0.", []string{"source"}, nil)
	syncRuns        = prometheus.NewDesc("paperlens_sync_runs_total", "Syncs of the source finished, failed ones included.", []string{"source"}, nil)
	syncErrors      = prometheus.NewDesc("paperlens_sync_errors_total", "Syncs of the source that failed.", []string{"source"}, nil)
	syncAdded       = prometheus.NewDesc("paperlens_sync_papers_added_total", "Papers the source's syncs added since the server started.", []string{"source"}, nil)
	syncLastSuccess = prometheus.NewDesc("paperlens_sync_last_success_timestamp_seconds", "When the source's last successful sync ended (Unix time); absent until one has.", []string{"source"}, nil)
	syncLastError   = prometheus.NewDesc("paperlens_sync_last_error_timestamp_seconds", "When the source's last failed sync ended (Unix time); absent until one has.", []string{"source"}, nil)
)

// SyncSources registers the series of scheduled syncs, read from status at
// each scrape (harvest.Scheduler.Status): per source, whether a sync runs,
// the syncs finished and failed, the papers added, and when the last
// success and the last failure ended.
func (m *Metrics) SyncSources(status func() []harvest.Status) {
	m.reg.MustRegister(syncCollector(status))
}

// syncCollector reads the sources' status at each scrape.
type syncCollector func() []harvest.Status

func (c syncCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{syncRunning, syncRuns, syncErrors, syncAdded, syncLastSuccess, syncLastError} {
		ch <- d
	}
}

func (c syncCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c() {
		running := 0.0
		if st.Running {
			running = 1
		}
		ch <- prometheus.MustNewConstMetric(syncRunning, prometheus.GaugeValue, running, st.Source)
		ch <- prometheus.MustNewConstMetric(syncRuns, prometheus.CounterValue, float64(st.Runs), st.Source)
		ch <- prometheus.MustNewConstMetric(syncErrors, prometheus.CounterValue, float64(st.Errors), st.Source)
		ch <- prometheus.MustNewConstMetric(syncAdded, prometheus.CounterValue, float64(st.Added), st.Source)
		if !st.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(syncLastSuccess, prometheus.GaugeValue, float64(st.LastSuccess.UnixNano())/1e9, st.Source)
		}
		if !st.LastErrorAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(syncLastError, prometheus.GaugeValue, float64(st.LastErrorAt.UnixNano())/1e9, st.Source)
		}
	}
}
