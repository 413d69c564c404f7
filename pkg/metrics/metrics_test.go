package metrics_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/embeddings/ollama"
	"github.com/paperlens/paperlens/pkg/metrics"
)

// scrape answers the Prometheus text of m.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestEmbedderWrapperAnswersAsTheEmbedderAndIsTimed(t *testing.T) {
	emb, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	wrapped := m.Embedder(emb)
	texts := []string{"graph neural networks", "protein folding"}
	want, err := emb.Embed(context.Background(), texts, embeddings.Query)
	if err != nil {
		t.Fatal(err)
	}
	got, err := wrapped.Embed(context.Background(), texts, embeddings.Query)
	if err != nil || !reflect.DeepEqual(got, want) || wrapped.Info() != emb.Info() {
		t.Fatalf("wrapped embedder answered differently (err %v)", err)
	}
	if text := scrape(t, m); !strings.Contains(text, `paperlens_embedder_duration_seconds_count{purpose="query"} 1`) {
		t.Errorf("one query call not counted:\n%s", text)
	}
}

func TestEmbedderErrorsAreCountedAndPassedOn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	emb, err := ollama.New(ollama.Config{Host: "http://" + addr, Model: "x", Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	_, err = m.Embedder(emb).Embed(context.Background(), []string{"x"}, embeddings.Document)
	if !errors.Is(err, embeddings.ErrUnavailable) {
		t.Fatalf("error %v, want one wrapping embeddings.ErrUnavailable", err)
	}
	if text := scrape(t, m); !strings.Contains(text, `paperlens_embedder_errors_total{purpose="document",unavailable="true"} 1`) {
		t.Errorf("the failure is not counted:\n%s", text)
	}
}

func TestRequestsAndStoredPapers(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest("GET", "/v1/search", 200, 3*time.Millisecond)
	m.ObserveRequest("GET", "/v1/search", 200, time.Second)
	n := 7
	m.StoredPapers(func() int { return n })
	text := scrape(t, m)
	for _, want := range []string{
		`paperlens_http_requests_total{method="GET",route="/v1/search",status="200"} 2`,
		`paperlens_http_request_duration_seconds_count{method="GET",route="/v1/search",status="200"} 2`,
		"paperlens_papers_stored 7",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q", want)
		}
	}
	n = 9
	if !strings.Contains(scrape(t, m), "paperlens_papers_stored 9") {
		t.Error("the papers gauge does not read the count at each scrape")
	}
}

func TestRequestLabelsStayFewWhateverClientsSend(t *testing.T) {
	m := metrics.New()
	for i := range 2000 {
		method := strings.Repeat(string(rune('A'+i%26)), 1000) + strings.Repeat("Z", i)
		m.ObserveRequest(method, "unmatched", 405, time.Millisecond)
	}
	for _, method := range []string{"GET", "POST", "get", "PROPFIND", "M-SEARCH"} {
		m.ObserveRequest(method, "/v1/search", 200, time.Millisecond)
	}
	m.ObserveRequest("GET", "/v1/search", 1000000, time.Millisecond)
	text := scrape(t, m)
	tests := []struct {
		name, series string
		want         bool
	}{
		{"2,000 made-up methods count as one OTHER", `paperlens_http_requests_total{method="OTHER",route="unmatched",status="405"} 2000`, true},
		{"a standard method keeps its name", `paperlens_http_requests_total{method="GET",route="/v1/search",status="200"} 1`, true},
		{"methods are case-sensitive, so get is OTHER", `paperlens_http_requests_total{method="OTHER",route="/v1/search",status="200"} 3`, true},
		{"a status out of range counts as 0", `paperlens_http_requests_total{method="GET",route="/v1/search",status="0"} 1`, true},
		{"no made-up method becomes a label", `AAAA`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Contains(text, tt.series); got != tt.want {
				t.Errorf("/metrics has %q: %v, want %v", tt.series, got, tt.want)
			}
		})
	}
	if len(text) > 64<<10 {
		t.Errorf("/metrics is %d bytes after 2,000 made-up methods, want it as small as before them", len(text))
	}
}
