package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/ollama"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
)

// seedPapers returns the seed papers and the raw JSON Lines they came from.
func seedPapers(t testing.TB) ([]paper.Paper, []byte) { return papertest.SeedPapers(t) }

func builtinEmbedder(t testing.TB) embeddings.Embedder { return papertest.Builtin(t) }

func urlQuery(s string) string { return url.QueryEscape(s) }

// syncBuffer is a bytes.Buffer the server's goroutines may log into.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is a real HTTP server over a fresh on-disk store.
type testServer struct {
	*httptest.Server
	papers *backend.Papers
}

// stored is how many papers the store holds.
func (ts *testServer) stored() int {
	n, err := ts.papers.Count(context.Background(), paper.Filter{})
	if err != nil {
		panic(err)
	}
	return n
}

// newServer starts the API over a store in a temporary folder, embedding
// with emb, and ingests seed into it first.
func newServer(t testing.TB, cfg server.Config, emb embeddings.Embedder, seed []paper.Paper) *testServer {
	t.Helper()
	papers := papertest.Open(t, emb)
	ing := papers.Ingester()
	if len(seed) > 0 {
		if _, err := ing.Upsert(context.Background(), seed); err != nil {
			t.Fatalf("seeding the store: %v", err)
		}
	}
	srv := httptest.NewServer(server.New(cfg, papers.Engine(), ing))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, papers: papers}
}

// response is an answer as a client sees it.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; contentType "" sends none. Every API answer is
// JSON, which it checks.
func (ts *testServer) do(t *testing.T, method, path, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	r := ts.roundTrip(t, req)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	return r
}

// roundTrip sends req and reads the whole answer.
func (ts *testServer) roundTrip(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (ts *testServer) get(t *testing.T, path string) response {
	t.Helper()
	return ts.do(t, http.MethodGet, path, "", nil)
}

func (ts *testServer) postJSON(t *testing.T, path, body string) response {
	t.Helper()
	return ts.do(t, http.MethodPost, path, "application/json", strings.NewReader(body))
}

// decode unmarshals the answer into v, failing on a status other than want.
func (r response) decode(t *testing.T, want int, v any) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer is not the JSON expected (%v): %s", err, r.body)
	}
}

type errorAnswer struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// wantError checks an error answer's status and code and that its message is
// not empty.
func (r response) wantError(t *testing.T, status int, code string) errorAnswer {
	t.Helper()
	var e errorAnswer
	r.decode(t, status, &e)
	if e.Error.Code != code {
		t.Errorf("error code %q, want %q (message %q)", e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" {
		t.Errorf("error %q has no message", code)
	}
	return e
}

// wantHealthy checks that the server still answers /healthz.
func (ts *testServer) wantHealthy(t *testing.T) {
	t.Helper()
	var h map[string]string
	ts.get(t, "/healthz").decode(t, http.StatusOK, &h)
	if h["status"] != "ok" {
		t.Errorf("/healthz answered %v, want status ok", h)
	}
}

func ids(hits []paper.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestHealthAndStats(t *testing.T) {
	seed, _ := seedPapers(t)
	emb := builtinEmbedder(t)
	ts := newServer(t, server.Config{}, emb, seed)
	ts.wantHealthy(t)

	var stats struct {
		Count     int    `json:"count"`
		Embedder  string `json:"embedder"`
		Model     string `json:"model"`
		Dimension int    `json:"dimension"`
	}
	ts.get(t, "/v1/stats").decode(t, http.StatusOK, &stats)
	info := emb.Info()
	if stats.Count != len(seed) || stats.Embedder != info.Embedder || stats.Model != info.Model || stats.Dimension != info.Dimension {
		t.Errorf("stats %+v, want count %d and %+v", stats, len(seed), info)
	}
}

func TestSearch(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)
	target := seed[3]
	q := target.Title

	t.Run("a GET query answers a page of hits led by the paper it names", func(t *testing.T) {
		var page paper.Page
		ts.get(t, "/v1/search?q="+urlQuery(q)).decode(t, http.StatusOK, &page)
		if len(page.Results) != search.DefaultLimit || page.Limit != search.DefaultLimit || page.Offset != 0 || page.Total != len(seed) {
			t.Fatalf("page has %d results, limit %d, offset %d, total %d; want %d, %d, 0, %d",
				len(page.Results), page.Limit, page.Offset, page.Total, search.DefaultLimit, search.DefaultLimit, len(seed))
		}
		top := page.Results[0]
		if top.ID != target.ID || top.Title != target.Title || top.Abstract == "" || top.Score <= 0 {
			t.Errorf("top hit %s %q (score %v), want %s %q with an abstract", top.ID, top.Title, top.Score, target.ID, target.Title)
		}
		for i := 1; i < len(page.Results); i++ {
			if page.Results[i].Score > page.Results[i-1].Score {
				t.Errorf("hit %d scores %v, more than hit %d before it (%v)", i, page.Results[i].Score, i-1, page.Results[i-1].Score)
			}
		}
	})

	t.Run("a POST query with q or query answers the same page as GET", func(t *testing.T) {
		var want paper.Page
		ts.get(t, "/v1/search?limit=7&offset=2&q="+urlQuery(q)).decode(t, http.StatusOK, &want)
		for _, key := range []string{"q", "query"} {
			body, _ := json.Marshal(map[string]any{key: q, "limit": 7, "offset": 2})
			var got paper.Page
			ts.postJSON(t, "/v1/search", string(body)).decode(t, http.StatusOK, &got)
			if strings.Join(ids(got.Results), " ") != strings.Join(ids(want.Results), " ") || got.Limit != 7 || got.Offset != 2 {
				t.Errorf("POST with %q: %v (limit %d, offset %d), want %v (limit 7, offset 2)", key, ids(got.Results), got.Limit, got.Offset, ids(want.Results))
			}
		}
	})

	t.Run("page 2 continues page 1 with no overlap", func(t *testing.T) {
		var p1, p2, both paper.Page
		ts.get(t, "/v1/search?limit=5&offset=0&q="+urlQuery(q)).decode(t, http.StatusOK, &p1)
		ts.get(t, "/v1/search?limit=5&offset=5&q="+urlQuery(q)).decode(t, http.StatusOK, &p2)
		ts.get(t, "/v1/search?limit=10&q="+urlQuery(q)).decode(t, http.StatusOK, &both)
		got := strings.Join(append(ids(p1.Results), ids(p2.Results)...), " ")
		if want := strings.Join(ids(both.Results), " "); got != want {
			t.Errorf("pages 1 and 2 hold %s, want %s", got, want)
		}
		seen := map[string]bool{}
		for _, id := range append(ids(p1.Results), ids(p2.Results)...) {
			if seen[id] {
				t.Errorf("paper %s is on both pages", id)
			}
			seen[id] = true
		}
	})

	t.Run("a page past the end has an empty results list, not null", func(t *testing.T) {
		r := ts.get(t, "/v1/search?limit=10&offset=9000&q="+urlQuery(q))
		var page paper.Page
		r.decode(t, http.StatusOK, &page)
		if !bytes.Contains(r.body, []byte(`"results":[]`)) || page.Total != len(seed) {
			t.Errorf("answer %s, want \"results\":[] and total %d", r.body, len(seed))
		}
	})
}

func TestSearchOnAnEmptyStoreAnswersAnEmptyList(t *testing.T) {
	ts := newServer(t, server.Config{}, builtinEmbedder(t), nil)
	r := ts.get(t, "/v1/search?q=anything")
	var page paper.Page
	r.decode(t, http.StatusOK, &page)
	if !bytes.Contains(r.body, []byte(`"results":[]`)) || page.Total != 0 {
		t.Errorf("answer %s, want \"results\":[] and total 0", r.body)
	}
}

func TestSimilar(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)
	target := seed[5]

	t.Run("papers like a stored one never include it", func(t *testing.T) {
		var all paper.Page
		ts.get(t, "/v1/papers/"+target.ID+"/similar?limit=100").decode(t, http.StatusOK, &all)
		if len(all.Results) != len(seed)-1 || all.Total != len(seed)-1 {
			t.Errorf("%d results, total %d; want every other paper: %d", len(all.Results), all.Total, len(seed)-1)
		}
		for _, h := range all.Results {
			if h.ID == target.ID {
				t.Errorf("the paper %s is in its own similar list", target.ID)
			}
		}
	})

	t.Run("similar pages continue one another", func(t *testing.T) {
		var p1, p2 paper.Page
		ts.get(t, "/v1/papers/"+target.ID+"/similar?limit=3").decode(t, http.StatusOK, &p1)
		ts.get(t, "/v1/papers/"+target.ID+"/similar?limit=3&offset=3").decode(t, http.StatusOK, &p2)
		var all paper.Page
		ts.get(t, "/v1/papers/"+target.ID+"/similar?limit=6").decode(t, http.StatusOK, &all)
		if got, want := strings.Join(append(ids(p1.Results), ids(p2.Results)...), " "), strings.Join(ids(all.Results), " "); got != want {
			t.Errorf("pages hold %s, want %s", got, want)
		}
	})

	t.Run("papers like a posted text are led by the paper with that text", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"text": target.Text(), "limit": 3})
		var page paper.Page
		ts.postJSON(t, "/v1/similar", string(body)).decode(t, http.StatusOK, &page)
		if len(page.Results) != 3 || page.Results[0].ID != target.ID {
			t.Errorf("results %v, want 3 led by %s", ids(page.Results), target.ID)
		}
	})
}

func TestPaperLifecycle(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)
	const id = "hep-th/9901001"
	body := `{
		"id": "hep-th/9901001v2",
		"title": "Strings on a lattice",
		"abstract": "We put string theory on a lattice and find that it still vibrates.",
		"authors": ["A. Physicist", "B. Theorist"],
		"date": "1999-01-04",
		"categories": ["hep-th"]
	}`

	var st ingest.Stats
	ts.postJSON(t, "/v1/papers", body).decode(t, http.StatusCreated, &st)
	if st.Added != 1 || st.Updated != 0 || st.Unchanged != 0 {
		t.Fatalf("first POST: %+v, want 1 added", st)
	}

	for _, path := range []string{"/v1/papers/" + id, "/v1/papers/hep-th%2F9901001", "/v1/papers/hep-th/9901001v2"} {
		t.Run("GET "+path+" answers the paper with date as published", func(t *testing.T) {
			var p paper.Paper
			ts.get(t, path).decode(t, http.StatusOK, &p)
			if p.ID != id || p.Published != "1999-01-04" || len(p.Authors) != 2 || p.URL != "https://arxiv.org/abs/"+id {
				t.Errorf("got %+v", p)
			}
		})
	}

	t.Run("papers like an id with a slash leave it out", func(t *testing.T) {
		var page paper.Page
		ts.get(t, "/v1/papers/"+id+"/similar?limit=100").decode(t, http.StatusOK, &page)
		if len(page.Results) != len(seed) {
			t.Errorf("%d results, want the %d seed papers", len(page.Results), len(seed))
		}
		for _, h := range page.Results {
			if h.ID == id {
				t.Errorf("%s is in its own similar list", id)
			}
		}
	})

	t.Run("posting it again changes nothing", func(t *testing.T) {
		var again ingest.Stats
		ts.postJSON(t, "/v1/papers", body).decode(t, http.StatusOK, &again)
		if again.Unchanged != 1 || again.Added+again.Updated != 0 {
			t.Errorf("second POST: %+v, want 1 unchanged", again)
		}
	})

	t.Run("DELETE removes it and GET then answers 404", func(t *testing.T) {
		var del map[string]string
		ts.do(t, http.MethodDelete, "/v1/papers/"+id, "", nil).decode(t, http.StatusOK, &del)
		if del["deleted"] != id {
			t.Errorf("DELETE answered %v, want deleted %s", del, id)
		}
		ts.get(t, "/v1/papers/"+id).wantError(t, http.StatusNotFound, "not_found")
		ts.do(t, http.MethodDelete, "/v1/papers/"+id, "", nil).wantError(t, http.StatusNotFound, "not_found")
		if n := ts.stored(); n != len(seed) {
			t.Errorf("store holds %d papers, want %d", n, len(seed))
		}
	})
}

func TestUpsertBodies(t *testing.T) {
	seed, raw := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), nil)

	t.Run("JSON Lines add every paper", func(t *testing.T) {
		var st ingest.Stats
		ts.do(t, http.MethodPost, "/v1/papers", "application/x-ndjson", bytes.NewReader(raw)).decode(t, http.StatusCreated, &st)
		if st.Added != len(seed) || st.Updated+st.Unchanged != 0 {
			t.Errorf("got %+v, want %d added", st, len(seed))
		}
	})

	t.Run("the same papers again are all unchanged", func(t *testing.T) {
		var st ingest.Stats
		ts.do(t, http.MethodPost, "/v1/papers", "", bytes.NewReader(raw)).decode(t, http.StatusOK, &st)
		if st.Unchanged != len(seed) || st.Added+st.Updated != 0 {
			t.Errorf("got %+v, want %d unchanged", st, len(seed))
		}
	})

	t.Run("a JSON array with one changed title updates that paper only", func(t *testing.T) {
		changed := append([]paper.Paper(nil), seed...)
		changed[0].Title += " (revised)"
		body, _ := json.Marshal(changed)
		var st ingest.Stats
		ts.postJSON(t, "/v1/papers", string(body)).decode(t, http.StatusCreated, &st)
		if st.Updated != 1 || st.Unchanged != len(seed)-1 || st.Added != 0 {
			t.Errorf("got %+v, want 1 updated and %d unchanged", st, len(seed)-1)
		}
		var p paper.Paper
		ts.get(t, "/v1/papers/"+seed[0].ID).decode(t, http.StatusOK, &p)
		if p.Title != changed[0].Title {
			t.Errorf("title %q, want %q", p.Title, changed[0].Title)
		}
	})
}

func TestBadRequests(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)
	id := seed[0].ID
	long := strings.Repeat("word ", search.MaxQueryLength/5+1)

	tests := []struct {
		name                string
		method, path, ctype string
		body                string
		status              int
		code                string
		says                string // a part of the message
	}{
		{"a limit that is not a number is refused", "GET", "/v1/search?q=x&limit=abc", "", "", 400, "invalid_parameter", "limit"},
		{"a limit of 0 is refused", "GET", "/v1/search?q=x&limit=0", "", "", 400, "invalid_parameter", "limit"},
		{"a limit of 101 is refused", "GET", "/v1/search?q=x&limit=101", "", "", 400, "invalid_parameter", "limit"},
		{"a limit of -1 is refused", "GET", "/v1/search?q=x&limit=-1", "", "", 400, "invalid_parameter", "limit"},
		{"a negative offset is refused", "GET", "/v1/search?q=x&offset=-1", "", "", 400, "invalid_parameter", "offset"},
		{"an offset that is not a number is refused", "GET", "/v1/search?q=x&offset=1.5", "", "", 400, "invalid_parameter", "offset"},
		{"paging deeper than MaxDepth is refused", "GET", "/v1/search?q=x&offset=9995&limit=10", "", "", 400, "invalid_parameter", "10000"},
		{"an offset that overflows is refused", "GET", "/v1/search?q=x&offset=9223372036854775807", "", "", 400, "invalid_parameter", "offset"},
		{"an offset too big for an int is refused", "GET", "/v1/search?q=x&offset=99999999999999999999", "", "", 400, "invalid_parameter", "offset"},
		{"a missing q is refused", "GET", "/v1/search", "", "", 400, "empty_query", "q"},
		{"a blank q is refused", "GET", "/v1/search?q=%20%20", "", "", 400, "empty_query", "q"},
		{"a q over the length limit is refused", "GET", "/v1/search?q=" + urlQuery(long), "", "", 400, "query_too_long", "limit"},
		{"a q that is not UTF-8 is refused", "GET", "/v1/search?q=%ff%fe", "", "", 400, "invalid_parameter", "UTF-8"},
		{"a bad limit on similar is refused", "GET", "/v1/papers/" + id + "/similar?limit=abc", "", "", 400, "invalid_parameter", "limit"},

		{"a truncated JSON body is refused", "POST", "/v1/search", "application/json", `{"q": "x"`, 400, "malformed_json", "JSON"},
		{"a body that is not JSON is refused", "POST", "/v1/search", "application/json", `q=x`, 400, "malformed_json", "JSON"},
		{"an empty body is refused", "POST", "/v1/search", "application/json", ``, 400, "malformed_json", "empty"},
		{"a JSON array instead of an object is refused", "POST", "/v1/search", "application/json", `["x"]`, 400, "malformed_json", "object"},
		{"a number for q is refused", "POST", "/v1/search", "application/json", `{"q": 5}`, 400, "malformed_json", `"q"`},
		{"a string for limit is refused", "POST", "/v1/search", "application/json", `{"q": "x", "limit": "10"}`, 400, "malformed_json", `"limit"`},
		{"a fractional limit is refused", "POST", "/v1/search", "application/json", `{"q": "x", "limit": 1.5}`, 400, "malformed_json", `"limit"`},
		{"a limit of 0 in a body is refused", "POST", "/v1/search", "application/json", `{"q": "x", "limit": 0}`, 400, "invalid_parameter", "limit"},
		{"a limit of 101 in a body is refused", "POST", "/v1/search", "application/json", `{"q": "x", "limit": 101}`, 400, "invalid_parameter", "limit"},
		{"a negative offset in a body is refused", "POST", "/v1/search", "application/json", `{"q": "x", "offset": -1}`, 400, "invalid_parameter", "offset"},
		{"an empty q in a body is refused", "POST", "/v1/search", "application/json", `{"q": " "}`, 400, "empty_query", "q"},
		{"an empty text to compare is refused", "POST", "/v1/similar", "application/json", `{"text": ""}`, 400, "empty_query", "text"},
		{"a text over the length limit is refused", "POST", "/v1/similar", "", `{"text": "` + long + `"}`, 400, "query_too_long", "text"},

		{"a paper without an abstract is refused by id", "POST", "/v1/papers", "application/json", `[{"id": "ok1", "abstract": "fine"}, {"id": "no-abstract"}]`, 400, "invalid_paper", "paper 2 of the array (id no-abstract)"},
		{"a paper with a bad date is refused", "POST", "/v1/papers", "application/json", `{"id": "bad-date", "abstract": "a", "published": "someday"}`, 400, "invalid_paper", "bad-date"},
		{"a paper with a list of numbers for authors is refused", "POST", "/v1/papers", "application/json", `{"id": "bad-authors", "abstract": "a", "authors": [1, 2]}`, 400, "invalid_paper", "authors"},
		{"a malformed JSON Lines line is refused by line", "POST", "/v1/papers", "application/x-ndjson", "{\"id\": \"ok2\", \"abstract\": \"a\"}\n{\"id\": \"broken\", \n", 400, "malformed_json", "line 2"},
		{"a malformed JSON array is refused", "POST", "/v1/papers", "application/json", `[{"id": "ok3", "abstract": "a"},`, 400, "malformed_json", "JSON"},
		{"a body that is not papers is refused", "POST", "/v1/papers", "application/json", `hello`, 400, "malformed_json", "line 1"},
		{"papers sent as plain text answer 415", "POST", "/v1/papers", "text/plain", `{"id": "plain", "abstract": "a"}`, 415, "unsupported_media_type", "application/json"},
		{"an empty paper body is refused", "POST", "/v1/papers", "application/json", "  \n", 400, "empty_body", "no papers"},
		{"an empty paper array is refused", "POST", "/v1/papers", "application/json", `[]`, 400, "empty_body", "no papers"},

		{"an unknown id answers 404", "GET", "/v1/papers/0000.00000", "", "", 404, "not_found", "0000.00000"},
		{"an empty id answers 404", "GET", "/v1/papers/", "", "", 404, "not_found", "id"},
		{"papers like an unknown id answer 404", "GET", "/v1/papers/0000.00000/similar", "", "", 404, "not_found", "0000.00000"},
		{"deleting an unknown id answers 404", "DELETE", "/v1/papers/0000.00000", "", "", 404, "not_found", "0000.00000"},
		{"an unknown route answers 404", "GET", "/v2/search?q=x", "", "", 404, "not_found", "/v2/search"},
		{"a route with a trailing slash answers 404", "GET", "/v1/search/?q=x", "", "", 404, "not_found", "/v1/search/"},

		{"PUT on search answers 405", "PUT", "/v1/search", "application/json", `{}`, 405, "method_not_allowed", "GET"},
		{"DELETE on healthz answers 405", "DELETE", "/healthz", "", "", 405, "method_not_allowed", "GET"},
		{"GET on the papers collection answers 405", "GET", "/v1/papers", "", "", 405, "method_not_allowed", "POST"},
		{"GET on similar text answers 405", "GET", "/v1/similar", "", "", 405, "method_not_allowed", "POST"},

		{"an HTML body answers 415", "POST", "/v1/search", "text/html", `{"q": "x"}`, 415, "unsupported_media_type", "text/html"},
		{"a form body answers 415", "POST", "/v1/papers", "application/x-www-form-urlencoded", `id=x`, 415, "unsupported_media_type", "application/json"},
		{"an unreadable Content-Type answers 415", "POST", "/v1/similar", ";;;", `{"text": "x"}`, 415, "unsupported_media_type", ";;;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := ts.do(t, tt.method, tt.path, tt.ctype, body)
			e := r.wantError(t, tt.status, tt.code)
			if !strings.Contains(e.Error.Message, tt.says) {
				t.Errorf("message %q does not mention %q", e.Error.Message, tt.says)
			}
			if tt.status == 405 && r.header.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
			ts.wantHealthy(t)
		})
	}
	if n := ts.stored(); n != len(seed) {
		t.Errorf("after the bad requests the store holds %d papers, want %d: a refused body stored something", n, len(seed))
	}
}

func TestContentTypes(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)
	for _, ct := range []string{"", "application/json", "application/json; charset=utf-8", "application/x-ndjson", "application/jsonl", "text/plain; charset=utf-8", "application/vnd.api+json"} {
		t.Run("a POST with Content-Type "+strings.TrimSpace(ct+" (none)")+" is accepted", func(t *testing.T) {
			var page paper.Page
			ts.do(t, http.MethodPost, "/v1/search", ct, strings.NewReader(`{"q": "learning"}`)).decode(t, http.StatusOK, &page)
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	seed, raw := seedPapers(t)
	ts := newServer(t, server.Config{MaxBodyBytes: 256}, builtinEmbedder(t), seed[:2])
	big := `{"q": "` + strings.Repeat("x", 300) + `"}`

	tests := []struct {
		name string
		path string
		body io.Reader
	}{
		{"papers over the limit with a Content-Length answer 413", "/v1/papers", bytes.NewReader(raw)},
		{"papers over the limit sent chunked answer 413", "/v1/papers", iotest.HalfReader(bytes.NewReader(raw))},
		{"a search body over the limit answers 413", "/v1/search", strings.NewReader(big)},
		{"a search body over the limit sent chunked answers 413", "/v1/search", iotest.HalfReader(strings.NewReader(big))},
		{"a text over the limit answers 413", "/v1/similar", strings.NewReader(strings.Replace(big, `"q"`, `"text"`, 1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.do(t, http.MethodPost, tt.path, "application/json", tt.body).wantError(t, http.StatusRequestEntityTooLarge, "body_too_large")
			ts.wantHealthy(t)
		})
	}
	if n := ts.stored(); n != 2 {
		t.Errorf("store holds %d papers after refused bodies, want 2", n)
	}
	t.Run("a body under the limit is still answered", func(t *testing.T) {
		var page paper.Page
		ts.postJSON(t, "/v1/search", `{"q": "learning"}`).decode(t, http.StatusOK, &page)
	})
}

// closedPort returns a 127.0.0.1 address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestEmbedderUnavailable(t *testing.T) {
	emb, err := ollama.New(ollama.Config{Host: "http://" + closedPort(t), Model: "x", Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, server.Config{}, emb, nil)

	tests := []struct {
		name, method, path, body string
	}{
		{"a search answers 503", "GET", "/v1/search?q=graph+neural+networks", ""},
		{"a POST search answers 503", "POST", "/v1/search", `{"q": "graph neural networks"}`},
		{"papers like a text answer 503", "POST", "/v1/similar", `{"text": "An abstract."}`},
		{"adding papers answers 503", "POST", "/v1/papers", `{"id": "2501.00001", "abstract": "An abstract."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.do(t, tt.method, tt.path, "application/json", strings.NewReader(tt.body)).wantError(t, http.StatusServiceUnavailable, "embedder_unavailable")
			ts.wantHealthy(t)
		})
	}
	t.Run("looking up a paper needs no embedder and answers 404", func(t *testing.T) {
		ts.get(t, "/v1/papers/2501.00001").wantError(t, http.StatusNotFound, "not_found")
	})
}

func TestPanicAnswersJSON500(t *testing.T) {
	// An engine without a store panics on /v1/stats; the server must answer
	// and live on.
	srv := httptest.NewServer(server.New(server.Config{}, nil, nil))
	defer srv.Close()
	ts := &testServer{Server: srv}
	ts.get(t, "/v1/stats").wantError(t, http.StatusInternalServerError, "internal")
	ts.wantHealthy(t)
}

func TestRequestsAreLoggedThroughConfigLogger(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newServer(t, server.Config{Logger: logger}, builtinEmbedder(t), nil)
	ts.wantHealthy(t)
	ts.get(t, "/v1/nope").wantError(t, http.StatusNotFound, "not_found")
	for _, want := range []string{"path=/healthz status=200", "path=/v1/nope status=404"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}
