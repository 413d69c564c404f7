package server_test

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/server"
)

// atomDoc is what the Atom rules (RFC 4287) ask of a feed and its entries,
// read strictly.
type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Authors []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Summary   string `xml:"summary"`
		Links     []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
	} `xml:"entry"`
}

// checkAtom parses body with a feed parser and by the Atom rules, and
// returns the entries' ids in order.
func checkAtom(t *testing.T, body []byte) atomDoc {
	t.Helper()
	f, err := gofeed.NewParser().ParseString(string(body))
	if err != nil || f.FeedType != "atom" {
		t.Fatalf("gofeed: %v (type %q)\n%.500s", err, f.FeedType, body)
	}
	var d atomDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	if d.ID == "" || d.Title == "" || len(d.Authors) == 0 {
		t.Errorf("the feed lacks an id, a title or an author: %+v", d)
	}
	if _, err := time.Parse(time.RFC3339, d.Updated); err != nil {
		t.Errorf("feed updated %q is not an RFC 3339 date", d.Updated)
	}
	if !slices.ContainsFunc(d.Links, func(l struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	}) bool {
		return l.Rel == "self" && strings.HasPrefix(l.Href, "http")
	}) {
		t.Errorf("no absolute rel=self link: %+v", d.Links)
	}
	seen := map[string]bool{}
	for _, e := range d.Entries {
		if e.ID == "" || e.Title == "" || e.Summary == "" || seen[e.ID] {
			t.Errorf("entry without an id, title or summary, or repeated: %+v", e)
		}
		seen[e.ID] = true
		for _, s := range []string{e.Updated, e.Published} {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				t.Errorf("entry %s: %q is not an RFC 3339 date", e.ID, s)
			}
		}
		if len(e.Links) == 0 || e.Links[0].Rel != "alternate" || !strings.Contains(e.Links[0].Href, "/papers/") {
			t.Errorf("entry %s links to %+v, want its paper page first", e.ID, e.Links)
		}
	}
	if len(f.Items) != len(d.Entries) {
		t.Errorf("gofeed reads %d items, the document holds %d entries", len(f.Items), len(d.Entries))
	}
	return d
}

// feedGet sends GET path with the headers given as name, value pairs.
func feedGet(t *testing.T, ts *testServer, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return ts.roundTrip(t, req)
}

func TestFeeds(t *testing.T) {
	seed, _ := seedPapers(t)
	// Half the seed papers published in the last days, the rest long ago:
	// a feed without since shows only the first half.
	today := time.Now().UTC()
	var recent []string
	for i := range seed {
		if i%2 == 0 {
			seed[i].Published = today.AddDate(0, 0, -(i % 10)).Format(time.DateOnly)
			recent = append(recent, seed[i].ID)
		} else {
			seed[i].Published = "2020-01-02"
		}
	}
	ts := newServer(t, server.Config{}, builtinEmbedder(t), seed)

	t.Run("a search feed is valid Atom of the recent matching papers, newest first, the same ids each time", func(t *testing.T) {
		first := feedGet(t, ts, "/feeds/search.atom?q=learning")
		if first.status != http.StatusOK || !strings.HasPrefix(first.header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("status %d, Content-Type %q: %.300s", first.status, first.header.Get("Content-Type"), first.body)
		}
		d := checkAtom(t, first.body)
		if len(d.Entries) == 0 {
			t.Fatal("no entries")
		}
		var dates []string
		for _, e := range d.Entries {
			id := strings.TrimPrefix(e.ID, "urn:paperlens:paper:")
			if !slices.Contains(recent, id) {
				t.Errorf("entry %s was published before the last %d days", id, server.FeedDays)
			}
			dates = append(dates, e.Published)
		}
		if !slices.IsSortedFunc(dates, func(a, b string) int { return strings.Compare(b, a) }) {
			t.Errorf("entries not newest first: %v", dates)
		}
		again := checkAtom(t, feedGet(t, ts, "/feeds/search.atom?q=learning").body)
		if again.ID != d.ID || len(again.Entries) != len(d.Entries) || again.Entries[0].ID != d.Entries[0].ID {
			t.Errorf("the same feed asked twice: ids %s / %s, %d / %d entries", d.ID, again.ID, len(d.Entries), len(again.Entries))
		}
		other := checkAtom(t, feedGet(t, ts, "/feeds/search.atom?q=meta-learning").body)
		if other.ID == d.ID {
			t.Error("two queries have the same feed id")
		}
	})
	t.Run("since and limit reach further back and cut", func(t *testing.T) {
		d := checkAtom(t, feedGet(t, ts, "/feeds/search.atom?q=learning&since=2019-01-01&limit=30").body)
		if len(d.Entries) <= len(recent) || len(d.Entries) > 30 {
			t.Errorf("%d entries, want more than the %d recent papers and at most 30", len(d.Entries), len(recent))
		}
	})
	t.Run("a reader whose copy is current gets 304", func(t *testing.T) {
		first := feedGet(t, ts, "/feeds/search.atom?q=learning")
		etag, modified := first.header.Get("ETag"), first.header.Get("Last-Modified")
		if etag == "" || modified == "" {
			t.Fatalf("ETag %q, Last-Modified %q", etag, modified)
		}
		for name, h := range map[string][2]string{"If-None-Match": {"If-None-Match", etag}, "If-Modified-Since": {"If-Modified-Since", modified}} {
			r := feedGet(t, ts, "/feeds/search.atom?q=learning", h[0], h[1])
			if r.status != http.StatusNotModified || len(r.body) != 0 {
				t.Errorf("%s: status %d, %d bytes; want 304 and no body", name, r.status, len(r.body))
			}
		}
		if r := feedGet(t, ts, "/feeds/search.atom?q=learning", "If-None-Match", `"stale"`); r.status != http.StatusOK {
			t.Errorf("a stale ETag: status %d, want 200", r.status)
		}
	})
	t.Run("a reading-list feed leaves out its papers and those it is not about", func(t *testing.T) {
		path := "/feeds/like.atom?since=2019-01-01&paper=" + seed[0].ID + "&paper=" + seed[2].ID + "&not=" + seed[4].ID
		d := checkAtom(t, feedGet(t, ts, path).body)
		if len(d.Entries) == 0 {
			t.Fatal("no entries")
		}
		for _, e := range d.Entries {
			for _, p := range []paper.Paper{seed[0], seed[2], seed[4]} {
				if e.ID == "urn:paperlens:paper:"+p.ID {
					t.Errorf("example %s is in the feed", p.ID)
				}
			}
		}
	})
	for _, tt := range []struct {
		name, path string
		status     int
	}{
		{"a reading list without a paper", "/feeds/like.atom?not=" + seed[0].ID, 400},
		{"a reading list of an unknown paper", "/feeds/like.atom?paper=no-such-paper", 404},
		{"a since that is not a date", "/feeds/search.atom?q=x&since=yesterday", 400},
		{"a search feed without q", "/feeds/search.atom", 400},
	} {
		t.Run(tt.name+" is a JSON error, not Atom", func(t *testing.T) {
			r := feedGet(t, ts, tt.path)
			if r.status != tt.status || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || !strings.Contains(string(r.body), `"error"`) {
				t.Errorf("status %d, Content-Type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
			}
		})
	}
}
