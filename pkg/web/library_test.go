package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
)

var (
	shelfRE = regexp.MustCompile(`<li class="shelf-item" data-id="([^"]+)"`)
	feedRE  = regexp.MustCompile(`<input id="feed-url" type="url" readonly value="([^"]+)"`)
)

// shelves lists the ids of a library page's saved papers and of those not
// interested in.
func shelves(body string) (saved, not []string) {
	saving, rest, _ := strings.Cut(body, `class="shelf not-interested"`)
	for _, m := range shelfRE.FindAllStringSubmatch(saving, -1) {
		saved = append(saved, m[1])
	}
	for _, m := range shelfRE.FindAllStringSubmatch(rest, -1) {
		not = append(not, m[1])
	}
	return saved, not
}

// libraryPath is the library page of a reading list.
func libraryPath(saved, not []string, extra ...string) string {
	q := url.Values{"paper": saved, "not": not}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/library?" + q.Encode()
}

// wantRecommended checks a page's hits against the engine's recommendation
// for the same reading list: as many, the same first, each among the
// engine's best 30 (the hybrid ranking may order equal scores either way),
// and no paper of the list among them.
func wantRecommended(t *testing.T, s *site, got, saved, not []string, o search.Options) {
	t.Helper()
	want := o
	want.Limit, want.Offset = 30, 0
	page, err := s.eng.Recommend(context.Background(), examplesOf(saved), examplesOf(not), want)
	if err != nil {
		t.Fatal(err)
	}
	var best []string
	for _, h := range page.Results {
		best = append(best, h.ID)
	}
	if len(got) == 0 || len(got) != min(o.Limit, len(best)) {
		t.Fatalf("%d papers on the page, want %d", len(got), min(o.Limit, len(best)))
	}
	if o.Offset == 0 && got[0] != best[0] {
		t.Errorf("the first paper is %s, the engine ranks %s first", got[0], best[0])
	}
	for _, id := range got {
		if slices.Contains(saved, id) || slices.Contains(not, id) {
			t.Errorf("%s is in the reading list, yet listed as like it", id)
		}
		if !slices.Contains(best, id) {
			t.Errorf("%s is not among the engine's best %d for this list", id, len(best))
		}
	}
}

// wantAtom checks that address answers an Atom feed.
func wantAtom(t *testing.T, address string) {
	t.Helper()
	resp, err := http.Get(address)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
		t.Errorf("the feed %s answers status %d, Content-Type %q", address, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func examplesOf(ids []string) []search.Example {
	var out []search.Example
	for _, id := range ids {
		out = append(out, search.Example{ID: id})
	}
	return out
}

func TestLibraryPage(t *testing.T) {
	s := newSite(t, server.Config{})
	saved := []string{s.papers[1].ID, s.papers[0].ID}
	not := []string{s.papers[2].ID}

	t.Run("a reading list shows the papers like it, none of the list among them, without JavaScript", func(t *testing.T) {
		status, h, body := s.get(t, libraryPath(saved, not))
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		wantHTML(t, h)
		wantRecommended(t, s, hits(body), saved, not, search.Options{Limit: 10})
		gotSaved, gotNot := shelves(body)
		if !slices.Equal(gotSaved, saved) || !slices.Equal(gotNot, not) {
			t.Errorf("the page lists saved %q and not interested %q, want %q and %q", gotSaved, gotNot, saved, not)
		}
		for _, p := range s.papers[:3] {
			if !strings.Contains(body, ">"+p.Title+"</a>") {
				t.Errorf("the page does not name %q", p.Title)
			}
		}
	})

	t.Run("the page gives its Atom feed's full address, which answers a feed", func(t *testing.T) {
		_, _, body := s.get(t, libraryPath(saved, not))
		m := feedRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no feed address on the page: %s", body)
		}
		want := s.URL + "/feeds/like.atom?" + url.Values{"paper": saved, "not": not}.Encode()
		if got := strings.ReplaceAll(m[1], "&amp;", "&"); got != want {
			t.Errorf("feed address %s, want %s", got, want)
		}
		if !strings.Contains(body, `<link rel="alternate" type="application/atom+xml" title="New papers like these (Atom)" href="`+m[1]+`">`) {
			t.Error("the page does not announce its feed in its head")
		}
		wantAtom(t, strings.ReplaceAll(m[1], "&amp;", "&"))
	})

	t.Run("sorted by date, the papers like the list come newest first", func(t *testing.T) {
		_, _, body := s.get(t, libraryPath(saved, not, "sort", "date"))
		got := hits(body)
		wantNewestFirst(t, s, got)
		for _, id := range got {
			if slices.Contains(saved, id) || slices.Contains(not, id) {
				t.Errorf("%s is in the reading list, yet listed", id)
			}
		}
		if !strings.Contains(body, `<option value="date" selected>Newest first</option>`) {
			t.Error("the order shown is not “Newest first”")
		}
	})

	t.Run("the order form and the paging links keep the reading list", func(t *testing.T) {
		_, _, body := s.get(t, libraryPath(saved, not, "sort", "date"))
		form := `<form class="order" action="/library#like" method="get">`
		for _, id := range saved {
			form += "\n  " + `<input type="hidden" name="paper" value="` + id + `">`
		}
		form += "\n  " + `<input type="hidden" name="not" value="` + not[0] + `">`
		if !strings.Contains(body, form) {
			t.Errorf("no order form carrying the list %s: %s", form, body)
		}
		next := `rel="next" href="` + strings.ReplaceAll(libraryPath(saved, not, "sort", "date", "offset", "10"), "&", "&amp;") + `"`
		if !strings.Contains(body, next) {
			t.Errorf("no next link %s", next)
		}
		_, _, second := s.get(t, libraryPath(saved, not, "sort", "date", "offset", "10"))
		for _, id := range hits(second) {
			if slices.Contains(hits(body), id) {
				t.Errorf("%s is on the first and the second page", id)
			}
		}
	})

	t.Run("since keeps the papers published on or after the day", func(t *testing.T) {
		_, _, body := s.get(t, libraryPath(saved, not, "since", "2026-04-01"))
		got := hits(body)
		if len(got) == 0 {
			t.Fatalf("no paper since 2026-04-01, though the arXiv papers are from then: %s", body)
		}
		wantSince(t, s, got, "2026-04-01")
		if !strings.Contains(body, `name="since" value="2026-04-01"`) {
			t.Error("the day is not shown in the form")
		}
	})

	t.Run("a paper no longer in the index is named and left out of the list and the feed", func(t *testing.T) {
		status, _, body := s.get(t, libraryPath([]string{saved[0], "0000.00000"}, nil))
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		wantRecommended(t, s, hits(body), saved[:1], nil, search.Options{Limit: 10})
		if !strings.Contains(body, "No longer in the index, so left out: 0000.00000.") {
			t.Error("the missing paper is not named")
		}
		if m := feedRE.FindStringSubmatch(body); m == nil || strings.Contains(m[1], "0000.00000") {
			t.Errorf("feed address %q", m)
		}
	})

	t.Run("papers only marked not interested are listed, with nothing to rank", func(t *testing.T) {
		status, _, body := s.get(t, libraryPath(nil, not))
		_, gotNot := shelves(body)
		if status != http.StatusOK || len(hits(body)) != 0 || !slices.Equal(gotNot, not) || feedRE.MatchString(body) {
			t.Errorf("status %d, %d hits, not interested %q, feed %v", status, len(hits(body)), gotNot, feedRE.MatchString(body))
		}
	})

	t.Run("without a list the page says the library needs JavaScript, and loads only its own script", func(t *testing.T) {
		status, _, body := s.get(t, "/library")
		if status != http.StatusOK || !strings.Contains(body, "<noscript><p class=\"message\">Your library lives in this browser and needs JavaScript") {
			t.Errorf("status %d: %s", status, body)
		}
		if !strings.Contains(body, `<p class="message empty" data-library-empty hidden>`) {
			t.Error("the empty library's message is not left to the script")
		}
		if scripts := scriptRE.FindAllString(body, -1); len(scripts) != 1 || scripts[0] != `<script src="/static/library.js" defer></script>` {
			t.Errorf("scripts %q", scripts)
		}
	})

	many := make([]string, search.MaxExamples+1)
	for i := range many {
		many[i] = fmt.Sprintf("x%d", i)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"an unknown order is a sentence", libraryPath(saved, nil, "sort", "magic"), "sort must be relevance, date or upvotes"},
		{"a day that is not a date is a sentence", libraryPath(saved, nil, "since", "soon"), "since must be a date such as 2026-11-20"},
		{"a paper saved twice is a sentence", libraryPath([]string{saved[0], saved[0]}, nil), "is in positive twice"},
		{"a paper both saved and not interested in is a sentence", libraryPath(saved[:1], saved[:1]), "is both positive and negative"},
		{"more papers than a ranking takes is a sentence", libraryPath(many, nil), "at most 100 saved papers"},
		{"an offset that is not a number is a sentence", libraryPath(saved, nil, "offset", "x"), "offset must be a whole number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := s.get(t, tc.path)
			wantHTML(t, h)
			if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want 400 saying %q: %s", status, tc.want, body)
			}
		})
	}
}

func TestLibraryScript(t *testing.T) {
	s := newSite(t, server.Config{})
	status, h, body := s.get(t, "/static/library.js")
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
		t.Fatalf("status %d, Content-Type %q", status, h.Get("Content-Type"))
	}
	for _, want := range []string{`localStorage`, `"paperlens.library"`, `"/library"`} {
		if !strings.Contains(body, want) {
			t.Errorf("library.js lacks %s", want)
		}
	}
	_, h, _ = s.get(t, "/library")
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("the library page's Content-Security-Policy is %q; scripts must come from the server only", csp)
	}
}

func TestWidgetReadingList(t *testing.T) {
	s := newSite(t, server.Config{})
	list := []string{s.papers[0].ID, s.papers[1].ID}
	linkRE := regexp.MustCompile(`<li><a href="([^"]+)" target="_blank" rel="noopener">([^<]+)</a>`)

	t.Run("the iframe page lists the papers like a reading list, none of the list among them", func(t *testing.T) {
		status, h, body := s.get(t, "/widget/?limit=4&papers="+strings.Join(list, ","))
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") {
			t.Errorf("the reading list's box may not be framed by other sites: %q", csp)
		}
		links := linkRE.FindAllStringSubmatch(body, -1)
		var ids []string
		for _, l := range links {
			ids = append(ids, strings.TrimPrefix(l[1], "/papers/"))
		}
		wantRecommended(t, s, ids, list, nil, search.Options{Limit: 4})
	})

	for _, tc := range []struct{ name, path, want string }{
		{"a list with a paper not in the index is a quiet message", "/widget/?papers=" + list[0] + ",0000.00000", "No related papers: a paper of the list is not in the index."},
		{"an empty list is a quiet message", "/widget/?papers=,", "No related papers: the box names no paper."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := s.get(t, tc.path)
			if status != http.StatusOK || !strings.Contains(body, `<p class="plr-message">`+tc.want+`</p>`) {
				t.Errorf("status %d, want 200 saying %q: %s", status, tc.want, body)
			}
		})
	}
}
