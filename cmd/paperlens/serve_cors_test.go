package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestServeCORSOrigins(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := paperlens(t, context.Background(), nil, "ingest", "--data", data, seeds); code != 0 {
		t.Fatal(stderr)
	}

	t.Run("a value that is not an origin is a usage error", func(t *testing.T) {
		code, _, stderr := paperlens(t, context.Background(), nil, "serve", "--data", data, "--addr", "127.0.0.1:0", "--cors-origin", "example.org")
		if code != 2 || !strings.Contains(stderr, `CORS origin "example.org" is not an origin`) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})

	t.Run("PAPERLENS_CORS_ORIGINS is checked as the flag is", func(t *testing.T) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
			if k == "PAPERLENS_CORS_ORIGINS" {
				return "https://a.example.org,not an origin"
			}
			return ""
		}}
		code := run(context.Background(), e, []string{"serve", "--data", data, "--addr", "127.0.0.1:0"})
		if code != 2 || !strings.Contains(errb.String(), "PAPERLENS_CORS_ORIGINS") {
			t.Errorf("exit %d, stderr %q", code, errb.String())
		}
	})

	t.Run("each --cors-origin may call the API, and no other site", func(t *testing.T) {
		base, _ := serveInBackground(t, "serve", "--data", data, "--addr", "127.0.0.1:0",
			"--cors-origin", "https://a.example.org", "--cors-origin", "http://127.0.0.1:9999")
		for origin, want := range map[string]int{"https://a.example.org": 204, "http://127.0.0.1:9999": 204, "https://b.example.org": 403} {
			req, _ := http.NewRequest(http.MethodOptions, base+"/v1/similar", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("preflight from %s: status %d, want %d", origin, resp.StatusCode, want)
			}
		}
	})

	t.Run("the search page is served beside the API", func(t *testing.T) {
		base, _ := serveInBackground(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
		code, body := get(t, base+"/?q=meta-learning")
		if code != 200 || !strings.Contains(body, `<li class="hit"`) {
			t.Errorf("GET /?q=meta-learning: %d %s", code, body)
		}
	})
}
