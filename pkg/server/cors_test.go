package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/server"
)

func TestParseOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "*", want: "*"},
		{in: "https://Example.ORG/", want: "https://example.org"},
		{in: "http://127.0.0.1:8081", want: "http://127.0.0.1:8081"},
		{in: "example.org", err: "not an origin"},
		{in: "https://example.org/page", err: "not an origin"},
		{in: "ftp://example.org", err: "not an origin"},
	} {
		t.Run(tc.in+" is read as "+tc.want+tc.err, func(t *testing.T) {
			got, err := server.ParseOrigin(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	papers, _ := seedPapers(t)
	const site, other = "https://blog.example.org", "https://evil.example.com"
	id := papers[0].ID

	// request sends method path with an Origin and, for a preflight, the
	// method the browser asks about.
	request := func(t *testing.T, ts *testServer, method, path, origin, wantMethod string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if wantMethod != "" {
			req.Header.Set("Access-Control-Request-Method", wantMethod)
			req.Header.Set("Access-Control-Request-Headers", "content-type")
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	listed := newServer(t, server.Config{CORSOrigins: []string{site}}, builtinEmbedder(t), papers)
	anySite := newServer(t, server.Config{CORSOrigins: []string{"*"}}, builtinEmbedder(t), papers)
	none := newServer(t, server.Config{}, builtinEmbedder(t), papers)

	for _, tc := range []struct {
		name                     string
		ts                       *testServer
		method, path             string
		origin, wantMethod       string
		status                   int
		allowOrigin, allowMethod string
	}{
		{"a listed site may read similar papers", listed, "GET", "/v1/papers/" + id + "/similar", site, "", 200, site, ""},
		{"a listed site learns of an unknown id", listed, "GET", "/v1/papers/0000.00000/similar", site, "", 404, site, ""},
		{"a listed site's preflight for POST /v1/similar is answered", listed, "OPTIONS", "/v1/similar", site, "POST", 204, site, "POST"},
		{"a listed site's preflight for POST /v1/search is answered", listed, "OPTIONS", "/v1/search", site, "POST", 204, site, "POST"},
		{"a site not listed gets no permission", listed, "GET", "/v1/search?q=x", other, "", 200, "", ""},
		{"a site not listed is refused a preflight", listed, "OPTIONS", "/v1/similar", other, "POST", 403, "", ""},
		{"a listed site may not add papers", listed, "OPTIONS", "/v1/papers", site, "POST", 403, "", ""},
		{"a listed site may not delete papers", listed, "OPTIONS", "/v1/papers/" + id, site, "DELETE", 403, "", ""},
		{"with * any site may read", anySite, "GET", "/v1/search?q=x", other, "", 200, "*", ""},
		{"with * any site's preflight is answered", anySite, "OPTIONS", "/v1/similar", other, "POST", 204, "*", "POST"},
		{"by default no site may read", none, "GET", "/v1/search?q=x", site, "", 200, "", ""},
		{"by default preflights are refused", none, "OPTIONS", "/v1/similar", site, "POST", 403, "", ""},
		{"a same-origin request needs no CORS", none, "GET", "/v1/search?q=x", "", "", 200, "", ""},
		{"an OPTIONS that is not a preflight is still not allowed", listed, "OPTIONS", "/v1/similar", site, "", 405, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := request(t, tc.ts, tc.method, tc.path, tc.origin, tc.wantMethod)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.allowOrigin)
			}
			if got := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, tc.allowMethod) {
				t.Errorf("Access-Control-Allow-Methods %q, want it to have %q", got, tc.allowMethod)
			}
			if tc.status == 204 && !strings.EqualFold(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
				t.Errorf("Access-Control-Allow-Headers %q, want Content-Type", resp.Header.Get("Access-Control-Allow-Headers"))
			}
			if tc.origin != "" && tc.allowOrigin != "*" && !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary %q lacks Origin: caches would share one site's answer with another", resp.Header.Values("Vary"))
			}
		})
	}
}
