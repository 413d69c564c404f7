package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
)

var (
	hitRE   = regexp.MustCompile(`<li class="hit" data-id="([^"]+)"`)
	likeRE  = regexp.MustCompile(`<a class="like" href="([^"]+)"`)
	plrLink = regexp.MustCompile(`<li><a href="[^"]+" target="_blank"`)
	// scriptRE finds script elements; the hits above are in the HTML itself.
	scriptRE = regexp.MustCompile(`<script[^>]*>[^<]*</script>`)
)

// hits lists the ids of the hits on a page, in order.
func hits(body string) []string {
	var ids []string
	for _, m := range hitRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func wantHTML(t *testing.T, h http.Header) {
	t.Helper()
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/html; charset=utf-8", ct)
	}
}

func TestSearchPage(t *testing.T) {
	s := newSite(t, server.Config{})
	const q = "meta-learning for reinforcement learning"

	t.Run("a query shows a page of hits in the engine's order, without JavaScript", func(t *testing.T) {
		status, h, body := s.get(t, "/?q="+url.QueryEscape(q))
		if status != http.StatusOK {
			t.Fatalf("status %d, want 200: %s", status, body)
		}
		wantHTML(t, h)
		want, err := s.eng.Search(context.Background(), q, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := hits(body)
		if len(got) != len(want.Results) {
			t.Fatalf("%d hits on the page, the engine gives %d", len(got), len(want.Results))
		}
		for i, hit := range want.Results {
			if got[i] != hit.ID {
				t.Errorf("hit %d is %s, the engine ranks %s there", i+1, got[i], hit.ID)
			}
		}
		if n := len(likeRE.FindAllString(body, -1)); n != len(got) {
			t.Errorf("%d \"papers like this\" links for %d hits", n, len(got))
		}
		if scripts := scriptRE.FindAllString(body, -1); len(scripts) != 1 || scripts[0] != `<script src="/static/library.js" defer></script>` {
			t.Errorf("scripts %q; the page may load only the library's, from its own server, never inline", scripts)
		}
		if !strings.Contains(body, `rel="next" href="/?offset=10&amp;q=`) {
			t.Error("no link to the next page")
		}
	})

	t.Run("the next page continues where the first stopped", func(t *testing.T) {
		_, _, first := s.get(t, "/?q="+url.QueryEscape(q))
		_, _, second := s.get(t, "/?offset=10&q="+url.QueryEscape(q))
		a, b := hits(first), hits(second)
		if len(b) == 0 {
			t.Fatal("the second page is empty")
		}
		for _, id := range b {
			for _, prev := range a {
				if id == prev {
					t.Errorf("%s is on both pages", id)
				}
			}
		}
		if !strings.Contains(second, `rel="prev" href="/?q=`) {
			t.Error("no link back to the first page")
		}
	})

	t.Run("filters keep only the papers that pass them", func(t *testing.T) {
		_, _, body := s.get(t, "/?q=numerical+methods&category=cs.CE&year_from=2026&limit=100")
		ids := hits(body)
		if len(ids) == 0 {
			t.Fatalf("no hits for a category the arXiv papers have: %s", body)
		}
		for _, id := range ids {
			p, err := s.eng.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if !contains(p.Categories, "cs.CE") || p.Published < "2026" {
				t.Errorf("%s (%v, %s) passed the filters category=cs.CE year_from=2026", id, p.Categories, p.Published)
			}
		}
		if !strings.Contains(body, `<details class="filters" open>`) {
			t.Error("the filters panel is closed although filters are in use")
		}
	})

	t.Run("no query shows how to start, with the number of papers", func(t *testing.T) {
		status, _, body := s.get(t, "/")
		if status != http.StatusOK || !strings.Contains(body, "Search 78 paper abstracts") {
			t.Errorf("status %d, body without the introduction: %s", status, body)
		}
	})

	for _, tc := range []struct{ name, query, want string }{
		{"a limit that is not a number is a sentence, not a blank page", "q=x&limit=abc", "limit must be a whole number"},
		{"a limit out of range is a sentence", "q=x&limit=1000", "limit must be between 1 and 100"},
		{"an unknown mode is a sentence", "q=x&mode=magic", "mode must be hybrid, vector or lexical"},
		{"a year that is not a year is a sentence", "q=x&year_from=soon", "year_from must be a year"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := s.get(t, "/?"+tc.query)
			wantHTML(t, h)
			if status != http.StatusBadRequest || !strings.Contains(body, `class="message"`) || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want 400 with a message saying %q: %s", status, tc.want, body)
			}
		})
	}

	t.Run("a query nothing matches says so", func(t *testing.T) {
		_, _, body := s.get(t, "/?q=learning&author=Nobody+Atall")
		if len(hits(body)) != 0 || !strings.Contains(body, "No papers match") {
			t.Errorf("want no hits and a sentence: %s", body)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestPaperPage(t *testing.T) {
	s := newSite(t, server.Config{})

	t.Run("a paper shows its abstract and the papers like it, without itself", func(t *testing.T) {
		status, _, body := s.get(t, "/papers/"+arxivID)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		p, _ := s.eng.Get(context.Background(), arxivID)
		if !strings.Contains(body, "<h1>Fast Evaluation of Derivatives of Green&#39;s Functions Using Recurrences</h1>") ||
			!strings.Contains(body, "Hirish Chandrasekaran, Andreas Kloeckner") || !strings.Contains(body, html.EscapeString(p.Abstract[:60])) {
			t.Errorf("the page lacks the paper's title, authors or abstract: %s", body)
		}
		want, err := s.eng.Similar(context.Background(), arxivID, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := hits(body)
		if len(got) != len(want.Results) || len(got) == 0 {
			t.Fatalf("%d similar papers on the page, the engine gives %d", len(got), len(want.Results))
		}
		for i, id := range got {
			if id == arxivID {
				t.Error("the paper is in its own similar list")
			}
			if id != want.Results[i].ID {
				t.Errorf("similar %d is %s, the engine ranks %s there", i+1, id, want.Results[i].ID)
			}
		}
	})

	t.Run("an unknown id is a 404 page with a sentence", func(t *testing.T) {
		status, h, body := s.get(t, "/papers/0000.00000")
		wantHTML(t, h)
		if status != http.StatusNotFound || !strings.Contains(body, "There is no paper with the id “0000.00000”") {
			t.Errorf("status %d: %s", status, body)
		}
	})

	for _, offset := range []string{"-1", "10001"} {
		t.Run("an offset of "+offset+" is a 400 page that still shows the paper", func(t *testing.T) {
			status, h, body := s.get(t, "/papers/"+arxivID+"?offset="+offset)
			wantHTML(t, h)
			if status != http.StatusBadRequest || !strings.Contains(body, "Fast Evaluation of Derivatives") || !strings.Contains(body, "offset") {
				t.Errorf("status %d: %.300s", status, body)
			}
		})
	}

	t.Run("an unknown page is a 404 HTML page, while unknown API routes stay JSON", func(t *testing.T) {
		status, h, _ := s.get(t, "/papers")
		if status != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("/papers: status %d, Content-Type %q; want an HTML 404", status, h.Get("Content-Type"))
		}
		status, h, _ = s.get(t, "/v2/search?q=x")
		if status != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("/v2/search: status %d, Content-Type %q; want a JSON 404", status, h.Get("Content-Type"))
		}
	})
}

func TestWidget(t *testing.T) {
	s := newSite(t, server.Config{})

	t.Run("the iframe page lists as many related papers as asked", func(t *testing.T) {
		status, h, body := s.get(t, "/widget/"+arxivID+"?limit=3&theme=dark")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if n := len(plrLink.FindAllString(body, -1)); n != 3 {
			t.Errorf("%d links, want 3: %s", n, body)
		}
		if !strings.Contains(body, `data-theme="dark"`) {
			t.Error("theme=dark is not applied")
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") {
			t.Errorf("the widget page may not be framed by other sites: %q", csp)
		}
	})

	t.Run("the iframe page for an unknown id is a quiet message", func(t *testing.T) {
		_, _, body := s.get(t, "/widget/0000.00000")
		if !strings.Contains(body, `<p class="plr-message">No related papers: this paper is not in the index.</p>`) {
			t.Errorf("no message: %s", body)
		}
	})

	t.Run("other pages may not be framed", func(t *testing.T) {
		_, h, _ := s.get(t, "/")
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
	})

	t.Run("widget.js is served as JavaScript with its styles inlined", func(t *testing.T) {
		status, h, body := s.get(t, "/widget.js")
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
			t.Fatalf("status %d, Content-Type %q", status, h.Get("Content-Type"))
		}
		if strings.Contains(body, "__WIDGET_CSS__") || !strings.Contains(body, `.plr-list`) {
			t.Error("widget.js does not carry widget.css")
		}
		if !strings.Contains(body, `customElements.define("paperlens-related"`) {
			t.Error("widget.js does not define <paperlens-related>")
		}
	})

	t.Run("the style sheets are served", func(t *testing.T) {
		for _, path := range []string{"/static/style.css", "/static/widget.css"} {
			status, h, _ := s.get(t, path)
			if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
				t.Errorf("%s: status %d, Content-Type %q", path, status, h.Get("Content-Type"))
			}
		}
	})
}

func TestPagesEscapePaperText(t *testing.T) {
	s := newSite(t, server.Config{})
	evil := paper.Paper{
		ID: "evil-1", Title: `<script>alert("title")</script> Meta-learning`, Abstract: `Meta-learning <img src=x onerror=alert(1)> for reinforcement learning.`,
		Authors: []string{`<b>Mallory</b>`}, URL: `javascript:alert(1)`,
	}
	post := func(url string) int {
		body := `[{"id":"evil-1","title":` + jsonString(evil.Title) + `,"abstract":` + jsonString(evil.Abstract) +
			`,"authors":[` + jsonString(evil.Authors[0]) + `],"url":` + jsonString(url) + `}]`
		resp, err := http.Post(s.URL+"/v1/papers", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := post(evil.URL); status != http.StatusBadRequest {
		t.Errorf("storing the paper with a javascript: URL: status %d, want 400", status)
	}
	if status := post(""); status != http.StatusCreated {
		t.Fatalf("storing the paper: status %d", status)
	}
	for _, path := range []string{"/papers/evil-1", "/?q=meta-learning+reinforcement&limit=100", "/widget/" + arxivID + "?limit=20"} {
		t.Run("the paper's text is escaped on "+path, func(t *testing.T) {
			_, _, page := s.get(t, path)
			for _, bad := range []string{"<script>alert", "<img src=x", "<b>Mallory", `href="javascript:`} {
				if strings.Contains(page, bad) {
					t.Errorf("the page contains %q unescaped", bad)
				}
			}
		})
	}
}

func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

func TestStaticFiles(t *testing.T) {
	s := newSite(t, server.Config{})
	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"the folder is not listed", "/static/", http.StatusNotFound},
		{"the raw widget.js is not served, only the one with its styles", "/static/widget.js", http.StatusNotFound},
		{"the icon is served", "/static/icon.svg", http.StatusOK},
		{"an unknown file is not found", "/static/nope.css", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, _ := s.get(t, tc.path); status != tc.status {
				t.Errorf("GET %s: status %d, want %d", tc.path, status, tc.status)
			}
		})
	}
}
