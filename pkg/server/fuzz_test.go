package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/server"
)

// fuzzAnswer sends one request and checks what every answer must be,
// whatever was sent: not a 5xx, a JSON Content-Type, and a body that is
// either a page (on 200) or {"error":{"code","message"}} (on a 4xx).
func fuzzAnswer(t *testing.T, ts *testServer, req *http.Request) {
	t.Helper()
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s answered %d: %s", req.Method, req.URL, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want application/json; body %q", req.Method, req.URL, ct, body)
	}
	if resp.StatusCode == http.StatusOK {
		var page paper.Page
		if err := json.Unmarshal(body, &page); err != nil || page.Results == nil || page.Limit < 1 || len(page.Results) > page.Limit {
			t.Fatalf("%s %s: 200 with a body that is not a page (%v): %s", req.Method, req.URL, err, body)
		}
		return
	}
	var e errorAnswer
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("%s %s: %d with a body that is not a JSON error (%v): %s", req.Method, req.URL, resp.StatusCode, err, body)
	}
	if resp.StatusCode < 400 {
		t.Fatalf("%s %s: status %d with an error body: %s", req.Method, req.URL, resp.StatusCode, body)
	}
}

// fuzzServer is one server over the seed papers for a whole fuzz run.
func fuzzServer(f *testing.F) (*testServer, []paper.Paper) {
	seed, _ := seedPapers(f)
	return newServer(f, server.Config{MaxBodyBytes: 64 << 10}, builtinEmbedder(f), seed), seed
}

// FuzzSearchParams drives GET /v1/search and GET /v1/papers/{id}/similar with
// arbitrary parameter strings, and with an arbitrary raw query string
// appended as it is.
func FuzzSearchParams(f *testing.F) {
	ts, seed := fuzzServer(f)
	id := seed[0].ID
	for _, s := range [][8]string{
		{"graph neural networks", "10", "0", "hybrid", "cs.LG", "2020", "", ""},
		{"x", "1e30", "9223372036854775808", "vector", "", "", "Smith", "highlight=true&explain=1"},
		{"", "-1", "-9223372036854775808", "lexical", ",,", "0", "", "limit=1&limit=2"},
		{"a\x00b", "0", "abc", "\xff", "cs.LG,math.ST", "9999", "\xfe", "q=%ff&offset=%00"},
		{strings.Repeat("word ", 5000), "100", "9900", "HYBRID", " ", "-5", strings.Repeat("a", 300), "%zz&;;&=&category="},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
	}
	f.Fuzz(func(t *testing.T, q, limit, offset, mode, category, year, author, raw string) {
		v := url.Values{}
		v.Set("q", q)
		v.Set("limit", limit)
		v.Set("offset", offset)
		v.Set("mode", mode)
		v.Add("category", category)
		v.Set("year_from", year)
		v.Set("author", author)
		query := v.Encode()
		if sendable(raw) {
			query += "&" + raw // sent exactly as fuzzed
		}
		for _, path := range []string{"/v1/search", "/v1/papers/" + id + "/similar"} {
			req, err := http.NewRequest(http.MethodGet, ts.URL+path+"?"+query, nil)
			if err != nil {
				t.Fatalf("building the request: %v", err)
			}
			fuzzAnswer(t, ts, req)
		}
		if n := ts.stored(); n != len(seed) {
			t.Fatalf("a read changed the store: %d papers, want %d", n, len(seed))
		}
	})
}

// sendable reports whether raw may be sent unescaped after the "?" of a
// request line: printable ASCII without a space or "#". Other bytes make a
// malformed request line, which net/http itself answers "400 Bad Request" in
// plain text before any handler runs (the fuzzer found this with a space);
// a client never sends them unescaped.
func sendable(raw string) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] >= 0x7f || raw[i] == '#' {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether net/http's client will send v as a header
// value: no control characters but tab (the fuzzer found that it refuses
// them before sending).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if (v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f {
			return false
		}
	}
	return true
}

// FuzzSearchBody posts arbitrary bytes, with an arbitrary Content-Type, to
// POST /v1/search and POST /v1/similar.
func FuzzSearchBody(f *testing.F) {
	ts, seed := fuzzServer(f)
	for _, s := range []struct{ body, ctype string }{
		{`{"q": "graph neural networks", "limit": 5, "mode": "vector", "category": ["cs.LG"], "highlight": true}`, "application/json"},
		{`{"text": "An abstract about learning.", "offset": 3, "year_from": 2020, "year_to": 2024, "explain": true}`, "application/json"},
		{`{"query": "x", "limit": 1e30, "offset": 9223372036854775808}`, "application/json; charset=utf-8"},
		{`{"q": "a\u0000b", "unknown": 1}`, "text/plain"},
		{"{\"q\": \"\xff\"}", ""},
		{nested(10_001), "application/json"},
		{`{"q": "x"} trailing`, "application/vnd.api+json"},
		{`{"q": "x", "category": 5}`, "application/xml"},
	} {
		f.Add([]byte(s.body), s.ctype)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		for _, path := range []string{"/v1/search", "/v1/similar"} {
			req, err := http.NewRequest(http.MethodPost, ts.URL+path, bytes.NewReader(body))
			if err != nil {
				t.Fatalf("building the request: %v", err)
			}
			if ctype != "" && validHeaderValue(ctype) {
				req.Header.Set("Content-Type", ctype)
			}
			fuzzAnswer(t, ts, req)
		}
		if n := ts.stored(); n != len(seed) {
			t.Fatalf("a read changed the store: %d papers, want %d", n, len(seed))
		}
	})
}

// FuzzPapersBody posts arbitrary bytes, with an arbitrary Content-Type, to
// POST /v1/papers. Whatever is sent, the answer is a JSON success or a
// JSON 4xx; a refused body stores nothing; an accepted one stores what its
// counts say, at most Config.MaxPapers papers, each within the caps of
// paper.Validate.
func FuzzPapersBody(f *testing.F) {
	seed, _ := seedPapers(f)
	const maxPapers = 20
	ts := newServer(f, server.Config{MaxBodyBytes: 64 << 10, MaxPapers: maxPapers}, builtinEmbedder(f), seed[:3])
	one := `{"id": "2601.00040", "title": "Fuzzed", "abstract": "An abstract.", "authors": ["A B"], "categories": ["cs.LG"], "url": "https://arxiv.org/abs/2601.00040"}`
	for _, s := range []struct{ body, ctype string }{
		{one, "application/json"},
		{"[" + one + "]", "application/json; charset=utf-8"},
		{one + "\n" + strings.Replace(one, "00040", "00041", 1), "application/x-ndjson"},
		{"[" + strings.Repeat(`{"id": "x", "abstract": "y"},`, maxPapers) + `{"id": "z", "abstract": "y"}]`, "application/json"},
		{strings.Repeat(`{"id": "x", "abstract": "y"}`+"\n", maxPapers+1), "application/jsonl"},
		{`{"id": "js", "abstract": "x", "url": "javascript:alert(1)"}`, "application/json"},
		{`{"id": "a\u001bb", "abstract": "x"}`, "application/json"},
		{`{"id": "..", "abstract": "x"}`, ""},
		{`{"id": "big", "abstract": "` + strings.Repeat("w", 60<<10) + `"}`, "application/json"},
		{`{"id": "t", "title": "\u001b[31mred", "abstract": "x", "authors": "A, B and C", "date": "Dec 8, 2022"}`, "application/json"},
		{"\xef\xbb\xbf[{\"id\": \"bom\", \"abstract\": \"x\"}]", "application/vnd.api+json"},
		{`{"id": "plain", "abstract": "x"}`, "text/plain"},
		{nested(10_001), "application/json"},
		{`[{"id": "dup", "abstract": "x"}, {"id": "dup", "abstract": "y"}]`, "application/json"},
		{"{\"id\": \"latin\", \"abstract\": \"caf\xe9\"}", "application/json"},
	} {
		f.Add([]byte(s.body), s.ctype)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		before := ts.stored()
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/papers", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("building the request: %v", err)
		}
		if ctype != "" && validHeaderValue(ctype) {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode >= 500 || !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("answered %d %q: %s", resp.StatusCode, ct, answer)
		}
		after := ts.stored()
		if resp.StatusCode >= 400 {
			var e errorAnswer
			if err := json.Unmarshal(answer, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%d with a body that is not a JSON error: %s", resp.StatusCode, answer)
			}
			if after != before {
				t.Fatalf("a refused body (%d %s) changed the store from %d to %d papers", resp.StatusCode, e.Error.Code, before, after)
			}
			return
		}
		var st ingest.Stats
		if err := json.Unmarshal(answer, &st); err != nil {
			t.Fatalf("%d with a body that is not the counts: %s", resp.StatusCode, answer)
		}
		if st.Total() < 1 || st.Total() > maxPapers || after-before != st.Added {
			t.Fatalf("answered %+v, the store went from %d to %d papers", st, before, after)
		}
		for r, err := range ts.papers.All(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Paper.Validate(); err != nil {
				t.Fatalf("a stored paper fails the caps: %v", err)
			}
		}
	})
}
