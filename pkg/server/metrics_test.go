package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/embeddings/ollama"
	"github.com/paperlens/paperlens/pkg/metrics"
	"github.com/paperlens/paperlens/pkg/server"
)

// scrape answers GET /metrics as text.
func (ts *testServer) scrape(t *testing.T) string {
	t.Helper()
	resp, err := ts.Client().Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics answered %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return b.String()
}

// sample returns the value of the metric line that starts with series, or
// -1 when there is none.
func sample(t *testing.T, text, series string) float64 {
	t.Helper()
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("metric %s has value %q", series, rest)
			}
			return v
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	seed, _ := seedPapers(t)
	m := metrics.New()
	ts := newServer(t, server.Config{Metrics: m}, m.Embedder(builtinEmbedder(t)), seed)

	// The seeds were embedded through m too; count from here.
	docsBefore := sample(t, ts.scrape(t), `paperlens_embedder_duration_seconds_count{purpose="document"}`)
	for range 3 {
		ts.get(t, "/v1/search?q=learning")
	}
	ts.get(t, "/v1/papers/unknown-1").wantError(t, http.StatusNotFound, "not_found")
	ts.get(t, "/v1/papers/unknown-2").wantError(t, http.StatusNotFound, "not_found")
	ts.get(t, "/v1/papers/"+seed[0].ID+"/similar")
	ts.postJSON(t, "/v1/papers", `{"id": "2601.00002", "abstract": "Counted."}`)
	text := ts.scrape(t)

	tests := []struct {
		name, series string
		want         float64
	}{
		{"searches are counted by route and status", `paperlens_http_requests_total{method="GET",route="/v1/search",status="200"}`, 3},
		{"unknown ids are counted under the route pattern, not the raw path", `paperlens_http_requests_total{method="GET",route="/v1/papers/{id}",status="404"}`, 2},
		{"similar papers have their own route", `paperlens_http_requests_total{method="GET",route="/v1/papers/{id}/similar",status="200"}`, 1},
		{"latency is observed once per search", `paperlens_http_request_duration_seconds_count{method="GET",route="/v1/search",status="200"}`, 3},
		{"each search query is embedded once", `paperlens_embedder_duration_seconds_count{purpose="query"}`, 3},
		{"the new paper was embedded as a document", `paperlens_embedder_duration_seconds_count{purpose="document"}`, docsBefore + 1},
		{"papers stored counts the seeds and the new paper", `paperlens_papers_stored`, float64(len(seed) + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sample(t, text, tt.series); got != tt.want {
				t.Errorf("%s = %v, want %v", tt.series, got, tt.want)
			}
		})
	}
	t.Run("no raw id becomes a label", func(t *testing.T) {
		if strings.Contains(text, "unknown-1") || strings.Contains(text, seed[0].ID) {
			t.Error("a paper id appears in /metrics")
		}
	})
	t.Run("a second server keeps its own counts", func(t *testing.T) {
		other := newServer(t, server.Config{}, builtinEmbedder(t), nil)
		if got := sample(t, other.scrape(t), `paperlens_http_requests_total{method="GET",route="/v1/search",status="200"}`); got != -1 {
			t.Errorf("a fresh server reports %v searches", got)
		}
	})
}

func TestEmbedderErrorsAreCounted(t *testing.T) {
	emb, err := ollama.New(ollama.Config{Host: "http://" + closedPort(t), Model: "x", Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	ts := newServer(t, server.Config{Metrics: m}, m.Embedder(emb), nil)
	ts.get(t, "/v1/search?q=anything").wantError(t, http.StatusServiceUnavailable, "embedder_unavailable")
	text := ts.scrape(t)
	if got := sample(t, text, `paperlens_embedder_errors_total{purpose="query",unavailable="true"}`); got != 1 {
		t.Errorf("embedder errors = %v, want 1", got)
	}
	if got := sample(t, text, `paperlens_http_requests_total{method="GET",route="/v1/search",status="503"}`); got != 1 {
		t.Errorf("503 searches = %v, want 1", got)
	}
}

func TestRequestLogsNameTheRoute(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{Logger: logger}, builtinEmbedder(t), seed[:1])
	ts.get(t, "/v1/papers/"+seed[0].ID)
	re := regexp.MustCompile(`"msg":"request","method":"GET","route":"/v1/papers/\{id\}","path":"/v1/papers/[^"]+","status":200,"bytes":[1-9][0-9]*,"took":[0-9]+`)
	if !re.MatchString(buf.String()) {
		t.Errorf("no request record with method, route, path, status, bytes and took:\n%s", buf.String())
	}
}

// TestMadeUpMethodsDoNotGrowTheMetrics sends what grew /metrics from
// 35 KB to 323 MB in the review: requests with long random methods.
func TestMadeUpMethodsDoNotGrowTheMetrics(t *testing.T) {
	ts := newServer(t, server.Config{}, builtinEmbedder(t), nil)
	before := len(ts.scrape(t))
	for i := range 200 {
		method := strings.Repeat(string(rune('A'+i%26)), 2000) + strconv.Itoa(i)
		for _, path := range []string{"/v1/search", "/v1/papers/x", "/nowhere"} {
			req, err := http.NewRequest(method, ts.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	text := ts.scrape(t)
	if strings.Contains(text, "AAAA") {
		t.Error("a made-up method is a label")
	}
	for series, want := range map[string]float64{
		`paperlens_http_requests_total{method="OTHER",route="unmatched",status="405"}`: 400, // /v1/search and /v1/papers/x
		`paperlens_http_requests_total{method="OTHER",route="unmatched",status="404"}`: 200,
	} {
		if got := sample(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if len(text) > before+16<<10 {
		t.Errorf("/metrics grew from %d to %d bytes", before, len(text))
	}
}
