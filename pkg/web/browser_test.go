//go:build browser

// Browser tests: Debian's chromium, driven with chromedp, against a real
// paperlens server. Run them with
//
//	go test -race -tags browser -run Browser ./pkg/web/...
//
// They fail (never skip) when chromium is missing. Screenshots go to
// $PAPERLENS_TEST_OUT, else to a new temporary folder named in the log.

package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
)

// chromium finds the browser, or fails the test saying how to install it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PAPERLENS_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("PAPERLENS_CHROMIUM=%s: %v; point it at a Chromium or Chrome binary, or unset it and run `apt-get install -y chromium`", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: the browser tests need it. Install it with `apt-get install -y chromium` " +
		"(Debian), or set PAPERLENS_CHROMIUM to a Chromium or Chrome binary.")
	return ""
}

// browser is one headless chromium with a fresh profile, and the messages
// its pages wrote to the console.
type browser struct {
	ctx context.Context
	mu  sync.Mutex
	log []chromedp.ConsoleMessage
}

// newBrowser starts chromium with a width×height window; it stops with the
// test.
func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancel)
	b := &browser{ctx: ctx}
	messages := chromedp.Console(ctx) // starts the browser
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.log = append(b.log, m)
			b.mu.Unlock()
		}
	}()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// do runs actions with a time limit, failing the test with what was asked.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// noExceptions fails the test for each uncaught script error the pages
// raised, and logs the rest of the console.
func (b *browser) noExceptions(t *testing.T) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // console events arrive on their own goroutine
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.log {
		if m.IsException() {
			t.Errorf("script error at %s:%d: %s", m.URL, m.Line+1, m)
		} else {
			t.Logf("console: %s", m)
		}
	}
}

// screenshot saves the whole page as a PNG in the output folder.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	b.save(t, name, chromedp.FullScreenshot(100))
}

// screenshotWindow saves what the window shows, as a person first sees it.
func (b *browser) screenshotWindow(t *testing.T, name string) {
	t.Helper()
	b.save(t, name, chromedp.CaptureScreenshot())
}

func (b *browser) save(t *testing.T, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(outDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

var (
	outOnce sync.Once
	out     string
	outErr  error
)

// outDir is $PAPERLENS_TEST_OUT, or one temporary folder for the run; it is
// kept after the tests so a person can look at the screenshots.
func outDir(t *testing.T) string {
	outOnce.Do(func() {
		out = os.Getenv("PAPERLENS_TEST_OUT")
		if out == "" {
			out, outErr = os.MkdirTemp("", "paperlens-browser-")
			return
		}
		outErr = os.MkdirAll(out, 0o755)
	})
	if outErr != nil {
		t.Fatalf("screenshot folder: %v", outErr)
	}
	return out
}

// noHorizontalScroll fails when the page is wider than the window: on a
// phone that means sideways scrolling.
func noHorizontalScroll(t *testing.T, b *browser, page string) {
	t.Helper()
	if w := eval[[]int](t, b, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("%s is %dpx wide in a %dpx window", page, w[0], w[1])
	}
}

// hostPage is a blog on another origin with hostile CSS, embedding the
// widget from api three ways and once as an iframe.
func hostPage(api string) string {
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A blog post</title>
<style>
  body { font-family: Georgia, serif; max-width: 720px; margin: 2rem auto; padding: 0 1rem; background: #f6f1e7; color: #333; }
  /* Rules that would wreck a widget living in the page's own DOM. */
  a { color: rgb(176, 0, 32) !important; font-size: 22px !important; }
  ol, li { list-style: square; margin: 30px; }
  h2 { color: green; font-size: 30px; }
  section, .plr, .plr-list { display: none !important; border: 5px dashed orange; }
  paperlens-related { margin: 1rem 0; }
</style>
<script src="` + api + `/widget.js" defer></script>
</head><body>
<h1>Notes on Green's functions</h1>
<p>Some text of the host page, with <a id="host-link" href="#">a link of its own</a>.</p>
<paperlens-related id="by-id" paper="` + arxivID + `" limit="5"></paperlens-related>
<paperlens-related id="by-text" text="Transformers learn new tasks from examples in their prompt: in-context learning and meta-learning." limit="3" theme="dark"></paperlens-related>
<paperlens-related id="unknown" paper="0000.00000"></paperlens-related>
<p>The same box as an iframe:</p>
<iframe id="frame" src="` + api + `/widget/` + arxivID + `?limit=4" title="Related papers" width="100%" height="200" style="border:0"></iframe>
<script>
  // The iframe page says how tall it is; fit the frame to it.
  addEventListener("message", e => {
    if (e.data && e.data.paperlens === "related") {
      window.framed = e.data;
      document.getElementById("frame").height = e.data.height;
    }
  });
</script>
</body></html>`
}

// serveHTML starts a server on another port (another origin) answering
// page at /.
func serveHTML(t *testing.T, page func() string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// widgets waits until every <paperlens-related> on the page has loaded or
// failed, and returns what each shows, by element id.
type shown struct {
	State   string   `json:"state"`
	Titles  []string `json:"titles"`
	Hrefs   []string `json:"hrefs"`
	Message string   `json:"message"`
	Theme   string   `json:"theme"`
	BoxBG   string   `json:"boxBackground"`
	Display string   `json:"listDisplay"`
	LinkPx  string   `json:"linkFontSize"`
}

func widgets(t *testing.T, b *browser) map[string]shown {
	t.Helper()
	b.do(t, "waiting for the widgets", chromedp.Poll[chromedp.Void](`customElements.get("paperlens-related") &&
		[...document.querySelectorAll("paperlens-related")].every(e => e.state === "ready" || e.state === "error")`,
		chromedp.WithPollingTimeout(20*time.Second)))
	return eval[map[string]shown](t, b, `Object.fromEntries([...document.querySelectorAll("paperlens-related")].map(e => {
		const root = e.shadowRoot, box = root.querySelector(".plr"), links = [...root.querySelectorAll(".plr-list a")];
		const list = root.querySelector(".plr-list"), msg = root.querySelector(".plr-message");
		return [e.id, {
			state: e.state, titles: links.map(a => a.textContent), hrefs: links.map(a => a.href),
			message: msg ? msg.textContent : "", theme: box.dataset.theme,
			boxBackground: getComputedStyle(box).backgroundColor,
			listDisplay: list ? getComputedStyle(list).display : "",
			linkFontSize: links.length ? getComputedStyle(links[0]).fontSize : "",
		}];
	}))`)
}

// apiJSON calls the JSON API and decodes its answer into v.
func apiJSON(t *testing.T, method, url, body string, v any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d", method, url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
}

// wantLinks checks that a box is ready with n links: the API's best hit
// first, and each of them among the API's hits.
func wantLinks(t *testing.T, w shown, n int, api []paper.Hit) {
	t.Helper()
	if w.State != "ready" || len(w.Titles) != n || len(w.Hrefs) != n {
		t.Fatalf("state %q with %d links %q; want ready with %d", w.State, len(w.Titles), w.Titles, n)
	}
	if w.Titles[0] != api[0].Title {
		t.Errorf("the first link is %q; the API ranks %q first", w.Titles[0], api[0].Title)
	}
	for _, title := range w.Titles {
		if !slices.ContainsFunc(api, func(h paper.Hit) bool { return h.Title == title }) {
			t.Errorf("%q is not among the API's similar papers", title)
		}
	}
}

func TestBrowserWidgetOnAnotherSite(t *testing.T) {
	var api string
	host := serveHTML(t, func() string { return hostPage(api) })
	s := newSite(t, server.Config{CORSOrigins: []string{host.URL}, CheckHost: true}) // as serve on loopback
	api = s.URL
	if host.URL == s.URL {
		t.Fatal("the host page must be on another origin than the API")
	}
	// The boxes must show what the API answers. The API is asked for more
	// than a box shows: the hybrid ranking breaks ties between equal fused
	// scores arbitrarily (reported), so the last places of a short list may
	// differ between two identical requests.
	var byID, byText paper.Page
	apiJSON(t, http.MethodGet, s.URL+"/v1/papers/"+arxivID+"/similar?limit=10", "", &byID)
	apiJSON(t, http.MethodPost, s.URL+"/v1/similar", `{"text": "Transformers learn new tasks from examples in their prompt: in-context learning and meta-learning.", "limit": 10}`, &byText)

	// Tall enough for the whole page: chromium leaves a cross-origin iframe
	// below the window out of a full-page screenshot.
	b := newBrowser(t, 1100, 1500)
	b.do(t, "opening the host page", chromedp.Navigate(host.URL))
	got := widgets(t, b)

	t.Run("a paper's box lists its similar papers as links, in the API's order", func(t *testing.T) {
		w := got["by-id"]
		wantLinks(t, w, 5, byID.Results)
		for i, title := range w.Titles {
			hit := byID.Results[slices.IndexFunc(byID.Results, func(h paper.Hit) bool { return h.Title == title })]
			want := hit.URL
			if want == "" {
				want = api + "/papers/" + hit.ID
			}
			if w.Hrefs[i] != want {
				t.Errorf("link %d goes to %s, want %s", i+1, w.Hrefs[i], want)
			}
		}
	})
	t.Run("a box for a text POSTs it, through a CORS preflight", func(t *testing.T) {
		wantLinks(t, got["by-text"], 3, byText.Results)
	})
	t.Run("an unknown id shows a quiet message", func(t *testing.T) {
		w := got["unknown"]
		if w.State != "error" || w.Message != "No related papers: this paper is not in the index." || len(w.Titles) != 0 {
			t.Errorf("state %q, message %q, links %q", w.State, w.Message, w.Titles)
		}
	})
	t.Run("a box shows a placeholder while it loads", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		// Two microtasks after it is added the request has gone out and
		// cannot have been answered yet.
		loading, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`(async () => {
			const e = document.createElement("paperlens-related");
			e.setAttribute("paper", "`+arxivID+`");
			document.body.append(e);
			await Promise.resolve(); await Promise.resolve();
			const seen = [e.state, !!e.shadowRoot.querySelector(".plr-placeholder[aria-busy=true]")];
			e.remove();
			return seen;
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if len(loading) != 2 || loading[0] != "loading" || loading[1] != true {
			t.Errorf("a new box shows state and placeholder %v, want [loading true]", loading)
		}
	})
	t.Run("the dark theme is dark and the light one light", func(t *testing.T) {
		if w := got["by-text"]; w.Theme != "dark" || w.BoxBG != "rgb(28, 32, 41)" {
			t.Errorf("dark box: theme %q, background %s", w.Theme, w.BoxBG)
		}
		if w := got["by-id"]; w.Theme != "light" || w.BoxBG != "rgb(255, 255, 255)" {
			t.Errorf("light box: theme %q, background %s", w.Theme, w.BoxBG)
		}
	})
	t.Run("the host page's CSS does not reach into the box, nor the box's into the page", func(t *testing.T) {
		w := got["by-id"]
		if w.Display != "block" || w.LinkPx != "15px" {
			t.Errorf("inside the box: list display %q, link font size %q; the host's rules leaked in", w.Display, w.LinkPx)
		}
		host := eval[[]string](t, b, `(() => { const s = getComputedStyle(document.getElementById("host-link")); return [s.color, s.fontSize]; })()`)
		if host[0] != "rgb(176, 0, 32)" || host[1] != "22px" {
			t.Errorf("the host's own link is %v; the widget changed the page's styles", host)
		}
	})
	t.Run("the iframe variant shows the box and tells the page its height", func(t *testing.T) {
		b.do(t, "waiting for the iframe's message", chromedp.Poll[chromedp.Void](`window.framed && window.framed.height > 100 &&
			document.getElementById("frame").getBoundingClientRect().height === window.framed.height`))
		framed := eval[shown](t, b, `({state: window.framed.state, titles: Array(window.framed.links).fill("")})`)
		if framed.State != "ready" || len(framed.Titles) != 4 {
			t.Errorf("the iframe says state %q with %d links, want ready with 4", framed.State, len(framed.Titles))
		}
	})
	b.screenshot(t, "widget-host-page")
	noHorizontalScroll(t, b, "the host page")
	b.noExceptions(t)

	t.Run("a site that the server does not list gets a quiet message, not a script error", func(t *testing.T) {
		stranger := serveHTML(t, func() string { return hostPage(api) })
		b.do(t, "opening the page of a site not allowed by CORS", chromedp.Navigate(stranger.URL))
		w := widgets(t, b)["by-id"]
		if w.State != "error" || w.Message != "Related papers are unavailable right now." {
			t.Errorf("state %q, message %q", w.State, w.Message)
		}
		b.screenshot(t, "widget-site-not-allowed")
	})
}

func TestBrowserIframeWidget(t *testing.T) {
	s := newSite(t, server.Config{CheckHost: true}) // as serve on loopback
	b := newBrowser(t, 420, 420)
	for _, theme := range []string{"light", "dark"} {
		t.Run("the "+theme+" iframe page lists the papers asked for", func(t *testing.T) {
			b.do(t, "opening the widget page", chromedp.Navigate(s.URL+"/widget/"+arxivID+"?limit=4&theme="+theme))
			n := eval[int](t, b, `document.querySelectorAll(".plr-list a").length`)
			if n != 4 {
				t.Errorf("%d links, want 4", n)
			}
			b.screenshot(t, "widget-iframe-"+theme)
		})
	}
	b.noExceptions(t)
}

func TestBrowserSearchPage(t *testing.T) {
	s := newSite(t, server.Config{CheckHost: true}) // as serve on loopback
	const q = "meta-learning for reinforcement learning"
	first, err := s.eng.Search(context.Background(), q, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	like, err := s.eng.Similar(context.Background(), first.Results[0].ID, search.Options{})
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, 1100, 900)
	b.do(t, "opening the search page", chromedp.Navigate(s.URL+"/"))
	b.screenshot(t, "search-empty")
	b.do(t, "searching",
		chromedp.SendKeys(chromedp.CSS(`input[name=q]`), q+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`ol.hits li.hit`)),
	)
	t.Run("typing a query shows the engine's hits", func(t *testing.T) {
		ids := eval[[]string](t, b, `[...document.querySelectorAll("li.hit")].map(li => li.dataset.id)`)
		if len(ids) != len(first.Results) || ids[0] != first.Results[0].ID {
			t.Errorf("hits %q, want the engine's %d starting with %s", ids, len(first.Results), first.Results[0].ID)
		}
	})
	t.Run("an abstract opens in full when clicked", func(t *testing.T) {
		b.do(t, "opening an abstract", chromedp.Click(chromedp.CSS(`li.hit:nth-child(2) details.abstract summary`)))
		if open := eval[bool](t, b, `document.querySelector("li.hit:nth-child(2) details.abstract").open`); !open {
			t.Error("the abstract did not open")
		}
	})
	b.screenshot(t, "search-results")

	t.Run("clicking \"Papers like this\" shows that paper's similar list", func(t *testing.T) {
		b.do(t, "clicking the first hit's \"Papers like this\"",
			chromedp.Click(chromedp.CSS(`li.hit:first-child a.like`)),
			chromedp.WaitVisible(chromedp.CSS(`#similar li.hit`)),
		)
		path := eval[string](t, b, `location.pathname`)
		h1 := eval[string](t, b, `document.querySelector("h1").textContent`)
		ids := eval[[]string](t, b, `[...document.querySelectorAll("#similar li.hit")].map(li => li.dataset.id)`)
		if path != "/papers/"+first.Results[0].ID || h1 != first.Results[0].Title {
			t.Errorf("at %s showing %q; want the page of %s", path, h1, first.Results[0].ID)
		}
		if len(ids) != len(like.Results) || ids[0] != like.Results[0].ID {
			t.Errorf("similar %q, want the engine's %d starting with %s", ids, len(like.Results), like.Results[0].ID)
		}
		b.screenshot(t, "paper-similar")
	})

	t.Run("a bad request shows a sentence", func(t *testing.T) {
		b.do(t, "opening a page with a bad limit", chromedp.Navigate(s.URL+"/?q=x&limit=1000"))
		msg := eval[string](t, b, `(document.querySelector(".message") || {}).textContent || ""`)
		if !strings.Contains(msg, "limit must be between 1 and 100") {
			t.Errorf("message %q", msg)
		}
		b.screenshot(t, "search-error")
	})
	b.noExceptions(t)
}

func TestBrowserPhoneWidth(t *testing.T) {
	var api string
	host := serveHTML(t, func() string { return hostPage(api) })
	s := newSite(t, server.Config{CORSOrigins: []string{host.URL}, CheckHost: true}) // as serve on loopback
	api = s.URL
	b := newBrowser(t, 390, 844)
	for _, tc := range []struct{ name, url string }{
		{"search-phone", s.URL + "/?q=" + strings.ReplaceAll("in-context learning in transformers", " ", "+") + "&year_from=2020&category=cs.LG"},
		{"search-phone-filters", s.URL + "/?q=quantization&author=Vicentino&highlight=true"},
		{"paper-phone", s.URL + "/papers/" + arxivID},
		{"widget-phone", host.URL},
	} {
		t.Run("the "+tc.name+" page fits a 390px screen", func(t *testing.T) {
			b.do(t, "opening "+tc.url, chromedp.Navigate(tc.url))
			if tc.name == "widget-phone" {
				widgets(t, b)
			}
			noHorizontalScroll(t, b, tc.url)
			b.screenshot(t, tc.name)
			b.screenshotWindow(t, tc.name+"-window")
		})
	}
	b.noExceptions(t)
}
