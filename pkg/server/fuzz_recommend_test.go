package server_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzRecommendAndFeeds drives POST /v1/recommend with arbitrary bodies and
// the two Atom feeds with arbitrary parameters. A recommendation answers as
// any ranking does (fuzzAnswer); a feed answers a well-formed Atom document
// on 200 and a JSON error otherwise, never a 5xx; nothing is stored.
func FuzzRecommendAndFeeds(f *testing.F) {
	ts, seed := fuzzServer(f)
	a, b := seed[0].ID, seed[1].ID
	for _, s := range [][5]string{
		{`{"positive": ["` + a + `"], "negative": ["` + b + `"], "limit": 3}`, a, b, "2020-01-01", "date"},
		{`{"positive": [{"text": "meta-learning"}, "` + a + `"], "sort": "upvotes", "since": "2026-13-40"}`, "", a, "", "relevance"},
		{`{"positive": [], "negative": [{"id": 1}]}`, a + "," + a, "", "yesterday", "newest"},
		{`{"positive": ["` + a + `", "` + a + `"], "mode": "vector", "explain": true}`, "\x00", "\xff", "0000-00-00", ""},
		{`{"positive": [{"id": "x", "text": "y"}], "limit": 0}`, strings.Repeat("x", 300), "", "2026-02-30", "DATE"},
		{`[1, 2]`, "", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, body, paperID, notID, since, sort string) {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/recommend", strings.NewReader(body))
		if err != nil {
			t.Fatalf("building the request: %v", err)
		}
		req.Header.Set("Content-Type", "application/json")
		fuzzAnswer(t, ts, req)

		for _, path := range []string{"/feeds/like.atom", "/feeds/search.atom"} {
			v := url.Values{}
			v.Add("paper", paperID)
			v.Add("paper", a)
			v.Add("not", notID)
			v.Set("q", paperID)
			v.Set("since", since)
			v.Set("sort", sort)
			resp, err := ts.Client().Get(ts.URL + path + "?" + v.Encode())
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("GET %s: reading the answer: %v", path, err)
			}
			ct := resp.Header.Get("Content-Type")
			switch {
			case resp.StatusCode >= 500:
				t.Fatalf("GET %s?%s answered %d: %s", path, v.Encode(), resp.StatusCode, got)
			case resp.StatusCode == http.StatusOK:
				var feed struct {
					XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
					ID      string   `xml:"id"`
				}
				if !strings.HasPrefix(ct, "application/atom+xml") || xml.Unmarshal(got, &feed) != nil || feed.ID == "" {
					t.Fatalf("GET %s?%s: 200 that is not an Atom feed (%s): %.300s", path, v.Encode(), ct, got)
				}
			case !strings.HasPrefix(ct, "application/json") || !strings.Contains(string(got), `"error"`):
				t.Fatalf("GET %s?%s: %d that is not a JSON error (%s): %.300s", path, v.Encode(), resp.StatusCode, ct, got)
			}
		}
		if n := ts.stored(); n != len(seed) {
			t.Fatalf("a read changed the store: %d papers, want %d", n, len(seed))
		}
	})
}
