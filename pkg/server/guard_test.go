package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/server"
)

// with sends a request with the headers given as name, value pairs (an
// empty value sends none); a "Host" pair sets the Host the request names.
func (ts *testServer) with(t *testing.T, method, path, body string, header ...string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		switch name, value := header[i], header[i+1]; {
		case value == "":
		case name == "Host":
			req.Host = value
		default:
			req.Header.Set(name, value)
		}
	}
	return ts.roundTrip(t, req)
}

// TestWritesFromOtherSitesAreRefused sends writes as a page on another
// site can make a visitor's browser send them, with no key set (the
// default): a form or a fetch needs no CORS preflight for a text/plain
// POST, so the server itself must refuse them.
func TestWritesFromOtherSitesAreRefused(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{CORSOrigins: []string{"https://blog.example.org"}}, builtinEmbedder(t), seed)
	const json = "application/json"
	newPaper := `{"id": "csrf-1", "abstract": "Written by another site."}`
	victim := "/v1/papers/" + seed[0].ID

	refused := []struct {
		name, method, path, body string
		header                   []string
		status                   int
		code                     string
	}{
		{"a POST from a page on another site (Origin) is refused", "POST", "/v1/papers", newPaper, []string{"Content-Type", json, "Origin", "https://evil.example"}, 403, "cross_site_write"},
		{"a POST a browser marks cross-site is refused", "POST", "/v1/papers", newPaper, []string{"Content-Type", json, "Sec-Fetch-Site", "cross-site"}, 403, "cross_site_write"},
		{"a POST a browser marks same-site (another port or subdomain) is refused", "POST", "/v1/papers", newPaper, []string{"Content-Type", json, "Sec-Fetch-Site", "same-site"}, 403, "cross_site_write"},
		{"a POST from a sandboxed page (Origin null) is refused", "POST", "/v1/papers", newPaper, []string{"Content-Type", json, "Origin", "null"}, 403, "cross_site_write"},
		{"a POST from a site CORS lets read is refused", "POST", "/v1/papers", newPaper, []string{"Content-Type", json, "Origin", "https://blog.example.org", "Sec-Fetch-Site", "cross-site"}, 403, "cross_site_write"},
		{"a DELETE from a page on another site is refused", "DELETE", victim, "", []string{"Origin", "https://evil.example"}, 403, "cross_site_write"},
		{"a DELETE a browser marks cross-site is refused", "DELETE", victim, "", []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross_site_write"},
		{"papers sent as text/plain, as a cross-site form does, answer 415", "POST", "/v1/papers", newPaper, []string{"Content-Type", "text/plain;charset=UTF-8"}, 415, "unsupported_media_type"},
		{"papers sent as text/plain by a program answer 415", "POST", "/v1/papers", newPaper, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			e := ts.with(t, tt.method, tt.path, tt.body, tt.header...).wantError(t, tt.status, tt.code)
			if tt.status == 403 && !strings.Contains(e.Error.Message, "other sites") {
				t.Errorf("message %q does not say why", e.Error.Message)
			}
		})
	}
	if n := ts.stored(); n != len(seed) {
		t.Fatalf("refused writes changed the store: %d papers, want %d", n, len(seed))
	}

	accepted := []struct {
		name, id string
		header   []string
	}{
		{"a POST from a program (no Origin, no Sec-Fetch-Site) is accepted", "ok-1", nil},
		{"a POST from this server's own page (Origin) is accepted", "ok-2", []string{"Origin", ts.URL}},
		{"a POST a browser marks same-origin is accepted", "ok-3", []string{"Origin", ts.URL, "Sec-Fetch-Site", "same-origin"}},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			h := append([]string{"Content-Type", json}, tt.header...)
			var st map[string]int
			ts.with(t, "POST", "/v1/papers", `{"id": "`+tt.id+`", "abstract": "From a good place."}`, h...).decode(t, http.StatusCreated, &st)
		})
	}
	t.Run("reads stay open to other sites", func(t *testing.T) {
		var page paper.Page
		ts.with(t, "GET", "/v1/search?q=learning", "", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").decode(t, http.StatusOK, &page)
		r := ts.with(t, "POST", "/v1/similar", `{"text": "learning"}`, "Content-Type", "text/plain", "Origin", "https://blog.example.org", "Sec-Fetch-Site", "cross-site")
		r.decode(t, http.StatusOK, &page)
		if got := r.header.Get("Access-Control-Allow-Origin"); got != "https://blog.example.org" {
			t.Errorf("a read from an allowed site: Access-Control-Allow-Origin %q", got)
		}
	})
}

// TestOnLoopbackOnlyThisMachinesNamesAreAnswered plays DNS rebinding: a
// page on evil.example whose name now points at 127.0.0.1 calls the
// server, and the browser sends Host: evil.example.
func TestOnLoopbackOnlyThisMachinesNamesAreAnswered(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{CheckHost: true, AllowedHosts: []string{"papers.example.org", "Proxy.Example.NET:8443"}}, builtinEmbedder(t), seed)
	for _, tt := range []struct{ name, method, path, host string }{
		{"a search for another host is refused", "GET", "/v1/search?q=learning", "evil.example:8080"},
		{"a delete for another host is refused", "DELETE", "/v1/papers/" + seed[0].ID, "evil.example:8080"},
		{"a write for another host is refused", "POST", "/v1/papers", "evil.example"},
		{"the search page for another host is refused", "GET", "/", "evil.example"},
		{"the metrics for another host are refused", "GET", "/metrics", "evil.example"},
		{"a name that only starts like localhost is refused", "GET", "/healthz", "localhost.evil.example"},
		{"a name that ends like an allowed one is refused", "GET", "/healthz", "notpapers.example.org"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := ts.with(t, tt.method, tt.path, `{"id": "x", "abstract": "y"}`, "Host", tt.host, "Content-Type", "application/json").wantError(t, http.StatusMisdirectedRequest, "misdirected_request")
			if !strings.Contains(e.Error.Message, "--allowed-host") {
				t.Errorf("message %q does not say how to allow a name", e.Error.Message)
			}
		})
	}
	if n := ts.stored(); n != len(seed) {
		t.Fatalf("refused requests changed the store: %d papers, want %d", n, len(seed))
	}
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "app.localhost", "127.1.2.3", "papers.example.org", "PAPERS.EXAMPLE.ORG.", "proxy.example.net"} {
		t.Run("the host "+host+" is answered", func(t *testing.T) {
			var h map[string]string
			ts.with(t, "GET", "/healthz", "", "Host", host).decode(t, http.StatusOK, &h)
		})
	}
	t.Run("without the check any host is answered", func(t *testing.T) {
		open := newServer(t, server.Config{}, builtinEmbedder(t), nil)
		var h map[string]string
		open.with(t, "GET", "/healthz", "", "Host", "evil.example").decode(t, http.StatusOK, &h)
	})
}
