package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/server"
)

// wantNewestFirst checks that the papers of ids are in order of
// publication, newest first.
func wantNewestFirst(t *testing.T, s *site, ids []string) {
	t.Helper()
	if len(ids) < 2 {
		t.Fatalf("%d papers: too few to tell an order", len(ids))
	}
	prev := "9999"
	for _, id := range ids {
		p, err := s.eng.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Published > prev {
			t.Errorf("%s (%s) comes after a paper of %s", id, p.Published, prev)
		}
		prev = p.Published
	}
}

// wantSince checks that the papers of ids were published on or after day.
func wantSince(t *testing.T, s *site, ids []string, day string) {
	t.Helper()
	for _, id := range ids {
		p, err := s.eng.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Published < day {
			t.Errorf("%s was published on %s, before %s", id, p.Published, day)
		}
	}
}

func TestSortAndSinceOnThePages(t *testing.T) {
	s := newSite(t, server.Config{})
	const q = "learning"
	paperPath := "/papers/" + s.papers[0].ID

	t.Run("a search sorted by date lists the newest first, and its form says so", func(t *testing.T) {
		status, _, body := s.get(t, "/?sort=date&q="+q)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		wantNewestFirst(t, s, hits(body))
		for _, want := range []string{`<option value="date" selected>Newest first</option>`, `<details class="filters" open>`,
			`rel="next" href="/?offset=10&amp;q=learning&amp;sort=date"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %s", want)
			}
		}
	})

	t.Run("a search since a day lists only papers from then on", func(t *testing.T) {
		_, _, body := s.get(t, "/?since=2026-04-01&limit=100&q="+q)
		got := hits(body)
		if len(got) == 0 {
			t.Fatal("no paper since 2026-04-01")
		}
		wantSince(t, s, got, "2026-04-01")
		if !strings.Contains(body, `name="since" value="2026-04-01"`) {
			t.Error("the day is not in the form")
		}
	})

	t.Run("a search offers its Atom feed, without the order or the day", func(t *testing.T) {
		_, _, body := s.get(t, "/?sort=date&since=2026-04-01&category=cs.CL&q="+q)
		want := `<link rel="alternate" type="application/atom+xml" title="New papers like these (Atom)" href="` + s.URL + `/feeds/search.atom?category=cs.CL&amp;q=learning">`
		if !strings.Contains(body, want) {
			t.Errorf("no %s", want)
		}
	})

	t.Run("a paper's similar papers sorted by date come newest first, and the order form keeps the page", func(t *testing.T) {
		status, _, body := s.get(t, paperPath+"?sort=date&limit=20")
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		got := hits(body)
		if len(got) != 20 {
			t.Errorf("%d similar papers, want 20", len(got))
		}
		wantNewestFirst(t, s, got)
		for _, want := range []string{
			`<form class="order" action="` + paperPath + `#similar" method="get">` + "\n  " + `<input type="hidden" name="limit" value="20">`,
			`<option value="date" selected>Newest first</option>`,
			`rel="next" href="` + paperPath + `?limit=20&amp;offset=20&amp;sort=date"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %s", want)
			}
		}
	})

	t.Run("a paper's similar papers since a day are from then on", func(t *testing.T) {
		_, _, body := s.get(t, paperPath+"?since=2026-04-01")
		got := hits(body)
		if len(got) == 0 {
			t.Fatal("no similar paper since 2026-04-01")
		}
		wantSince(t, s, got, "2026-04-01")
	})

	t.Run("a paper with no similar paper since a far day says so", func(t *testing.T) {
		status, _, body := s.get(t, paperPath+"?since=2999-01-01")
		if status != http.StatusOK || len(hits(body)) != 0 || !strings.Contains(body, "No papers like this one pass these filters") {
			t.Errorf("status %d: %s", status, body)
		}
	})

	for _, tc := range []struct{ name, path, want string }{
		{"an unknown order on the search page is a sentence", "/?q=x&sort=magic", "sort must be relevance, date or upvotes"},
		{"a day that is not a date on the search page is a sentence", "/?q=x&since=2026-13-45", "since must be a date such as 2026-11-20"},
		{"an unknown order on a paper's page is a sentence", paperPath + "?sort=magic", "sort must be relevance, date or upvotes"},
		{"a day that is not a date on a paper's page is a sentence", paperPath + "?since=soon", "since must be a date such as 2026-11-20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := s.get(t, tc.path)
			if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want 400 saying %q: %s", status, tc.want, body)
			}
		})
	}
}

func TestUpvotesOrderIsOfferedWherePapersHaveVotes(t *testing.T) {
	s := newSite(t, server.Config{})
	voted := `[{"id":"hf-voted-1","title":"Gradient sparsification for federated transformers","abstract":"Federated transformers trained with sparse gradients.","upvotes":3,"published":"2026-05-01"},
		{"id":"hf-voted-2","title":"Federated transformers at scale","abstract":"Scaling federated training of transformers with sparse gradients.","upvotes":41,"published":"2026-05-02"}]`
	resp, err := http.Post(s.URL+"/v1/papers", "application/json", strings.NewReader(voted))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("storing the voted papers: status %d", resp.StatusCode)
	}
	const option = `<option value="upvotes"`

	t.Run("a list with voted papers offers the order by votes and shows the votes", func(t *testing.T) {
		_, _, body := s.get(t, "/?q="+url.QueryEscape("federated transformers sparse gradients"))
		if !strings.Contains(body, option) || !strings.Contains(body, `<span class="votes">41 upvotes</span>`) {
			t.Errorf("no order by votes, or no votes shown: %s", body)
		}
	})
	t.Run("sorted by votes, the most voted come first", func(t *testing.T) {
		_, _, body := s.get(t, "/?sort=upvotes&q="+url.QueryEscape("federated transformers sparse gradients"))
		if got := hits(body); len(got) < 2 || got[0] != "hf-voted-2" || got[1] != "hf-voted-1" {
			t.Errorf("hits %q, want the 41 votes then the 3 first", got)
		}
		if !strings.Contains(body, `<option value="upvotes" selected>Most upvoted</option>`) {
			t.Error("the order shown is not “Most upvoted”")
		}
	})
	t.Run("a list without votes does not offer it", func(t *testing.T) {
		_, _, body := s.get(t, "/?q="+url.QueryEscape("Green's functions derivatives")+"&limit=3")
		if len(hits(body)) == 0 || strings.Contains(body, option) {
			t.Errorf("an order by votes offered for papers without votes: %s", body)
		}
	})
}
