package harvest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkGet measures what a polite Get costs over a bare GET of the same
// page from a local server (no interval, no retries needed): the
// per-request overhead of the fetching itself.
//
//	go test -run '^$' -bench Get -benchtime 2000x ./pkg/harvest
func BenchmarkGet(b *testing.B) {
	page := "[" + strings.Repeat(`{"paper":{"id":"2611.00001","title":"T","summary":"An abstract of some length, as a Daily Papers entry holds."}},`, 49) + `{}]`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page) }))
	defer srv.Close()
	ctx := context.Background()
	b.Run("bare", func(b *testing.B) {
		for b.Loop() {
			resp, err := http.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadAll(resp.Body); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
	b.Run("polite", func(b *testing.B) {
		c := &Client{UserAgent: UserAgent("bench")}
		accept := func(http.Header, []byte) error { return nil }
		for b.Loop() {
			if err := c.Get(ctx, srv.URL, accept); err != nil {
				b.Fatal(err)
			}
		}
	})
}
