// Package metrics counts what the HTTP API does, in the Prometheus format:
// requests and their latency by route and status, the embedder's latency and
// errors, and how many papers are stored. Each Metrics has its own registry,
// so a process (or a test) may hold many.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one server and the registry they live in.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	embedTime *prometheus.HistogramVec
	embedErrs *prometheus.CounterVec
}

// New returns Metrics registered in a fresh registry, with the Go runtime and
// process collectors beside them.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperlens_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "paperlens_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route pattern and status code.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12), // 0.5 ms … ~12 min
		}, []string{"method", "route", "status"}),
		embedTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "paperlens_embedder_duration_seconds",
			Help:    "Time of one call to the embedder, by purpose (query or document).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"purpose"}),
		embedErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paperlens_embedder_errors_total",
			Help: "Calls to the embedder that failed, by purpose and whether the embedder was unavailable.",
		}, []string{"purpose", "unavailable"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.embedTime, m.embedErrs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the collectors are registered; add your own to it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest counts one answered request. route must be a pattern (such
// as /v1/papers/{id}), never the raw path, so the label set stays small;
// the method is one of the standard ones or OTHER (see methodLabel), and a
// status outside 100..599 counts as 0.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if status < 100 || status > 599 {
		status = 0
	}
	code := strconv.Itoa(status)
	method = methodLabel(method)
	m.requests.WithLabelValues(method, route, code).Inc()
	m.latency.WithLabelValues(method, route, code).Observe(took.Seconds())
}

// methodLabel is the label of an HTTP method: the method when it is one of
// the nine of RFC 9110 and PATCH, else OTHER. A client may send any token
// as a method; each one a label would grow /metrics for good.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// StoredPapers registers a gauge that reads count at each scrape.
func (m *Metrics) StoredPapers(count func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "paperlens_papers_stored",
		Help: "Papers in the store.",
	}, func() float64 { return float64(count()) }))
}

// Embedder wraps e so that each call to Embed is timed and each failure
// counted. The wrapper answers exactly what e answers.
func (m *Metrics) Embedder(e embeddings.Embedder) embeddings.Embedder {
	return &embedder{Embedder: e, m: m}
}

type embedder struct {
	embeddings.Embedder
	m *Metrics
}

func (e *embedder) Embed(ctx context.Context, texts []string, purpose embeddings.Purpose) ([][]float32, error) {
	start := time.Now()
	vecs, err := e.Embedder.Embed(ctx, texts, purpose)
	p := purposeLabel(purpose)
	e.m.embedTime.WithLabelValues(p).Observe(time.Since(start).Seconds())
	if err != nil {
		e.m.embedErrs.WithLabelValues(p, strconv.FormatBool(isUnavailable(err))).Inc()
	}
	return vecs, err
}

// purposeLabel keeps the label to the two known values.
func purposeLabel(p embeddings.Purpose) string {
	if p == embeddings.Query {
		return "query"
	}
	return "document"
}

func isUnavailable(err error) bool { return errors.Is(err, embeddings.ErrUnavailable) }
