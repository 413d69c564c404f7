//go:build browser

package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
)

// libraryReady is true once library.js has given every paper on the page
// its buttons and shown the header's link.
const libraryReady = `(() => {
	const items = document.querySelectorAll(".hit[data-id], article.paper[data-id], .shelf-item[data-id]");
	return document.querySelector(".library-link:not([hidden])") &&
		[...items].every(e => e.querySelectorAll("button[data-library]").length === 2);
})()`

// stored is the library as library.js keeps it.
type stored struct {
	Saved []string `json:"saved"`
	Not   []string `json:"not"`
}

func storedLibrary(t *testing.T, b *browser) stored {
	t.Helper()
	var lib stored
	raw := eval[string](t, b, `localStorage.getItem("paperlens.library") || "{}"`)
	if err := json.Unmarshal([]byte(raw), &lib); err != nil {
		t.Fatalf("the stored library %q: %v", raw, err)
	}
	return lib
}

// idsIn lists the data-id of the elements sel finds, in order.
func idsIn(t *testing.T, b *browser, sel string) []string {
	t.Helper()
	return eval[[]string](t, b, `[...document.querySelectorAll(`+jsString(sel)+`)].map(e => e.dataset.id)`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitFor waits until a JavaScript condition holds, at most 20 seconds.
// A poll does not survive the page navigating away, as it does after a
// click on a link or a button that submits; it starts again on the new
// page until the deadline.
func waitFor(t *testing.T, b *browser, what, cond string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(0)))
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
}

// feedOf is the feed address the library page should give for a list.
func feedOf(s *site, saved, not []string) string {
	return s.URL + "/feeds/like.atom?" + url.Values{"paper": saved, "not": not}.Encode()
}

func TestBrowserLibrary(t *testing.T) {
	s := newSite(t, server.Config{})
	const q = "meta-learning for reinforcement learning"
	b := newBrowser(t, 1100, 900)
	b.do(t, "searching", chromedp.Navigate(s.URL+"/?q="+url.QueryEscape(q)))
	waitFor(t, b, "the library's buttons", libraryReady)
	first := idsIn(t, b, "li.hit")
	if len(first) < 3 {
		t.Fatalf("%d hits, want at least 3", len(first))
	}
	saved, not := []string{first[1], first[0]}, []string{first[2]} // newest first

	t.Run("saving two papers and marking one not interested keeps them in the browser", func(t *testing.T) {
		b.do(t, "saving the first two hits and dismissing the third",
			chromedp.Click(chromedp.CSS(`li.hit:nth-child(1) button[data-library=save]`)),
			chromedp.Click(chromedp.CSS(`li.hit:nth-child(2) button[data-library=save]`)),
			chromedp.Click(chromedp.CSS(`li.hit:nth-child(3) button[data-library=not]`)),
		)
		lib := storedLibrary(t, b)
		if !slices.Equal(lib.Saved, saved) || !slices.Equal(lib.Not, not) {
			t.Errorf("stored %+v, want saved %q and not %q", lib, saved, not)
		}
		got := eval[[]string](t, b, `[
			document.querySelector("li.hit:nth-child(1) button[data-library=save]").textContent,
			document.querySelector("li.hit:nth-child(3) button[data-library=not]").textContent,
			getComputedStyle(document.querySelector("li.hit:nth-child(3) .abstract")).display,
			document.querySelector(".library-link").textContent,
			document.querySelector("[role=status].visually-hidden").textContent]`)
		want := []string{"Remove from my library", "Undo “not interested”", "none", "My library (2)", "Marked “"}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("shown %q, want %q", got[i], want[i])
			}
		}
		b.screenshot(t, "library-search-saved")
	})

	t.Run("\"My library\" opens the papers like the library, without the library's papers", func(t *testing.T) {
		b.do(t, "opening the library", chromedp.Click(chromedp.CSS(`.library-link`)))
		waitFor(t, b, "the library page", `location.pathname === "/library" && document.querySelector("#like li.hit") && `+libraryReady)
		want := "/library?" + url.Values{"paper": saved}.Encode() + "&" + url.Values{"not": not}.Encode()
		if at := eval[string](t, b, `location.pathname + location.search`); at != want {
			t.Errorf("at %s, want %s", at, want)
		}
		wantRecommended(t, s, idsIn(t, b, "#like li.hit"), saved, not, search.Options{Limit: 10})
		if got := idsIn(t, b, ".shelf:not(.not-interested) .shelf-item"); !slices.Equal(got, saved) {
			t.Errorf("saved papers shown %q, want %q", got, saved)
		}
		if got := idsIn(t, b, ".not-interested .shelf-item"); !slices.Equal(got, not) {
			t.Errorf("papers not interested in shown %q, want %q", got, not)
		}
		if eval[bool](t, b, `!document.querySelector(".library-notice").hidden`) {
			t.Error("the page says it does not show the library it was opened for")
		}
		b.screenshot(t, "library")
	})

	t.Run("the feed's address is the list's, and Copy puts it on the clipboard", func(t *testing.T) {
		want := feedOf(s, saved, not)
		if got := eval[string](t, b, `document.getElementById("feed-url").value`); got != want {
			t.Errorf("feed address %s, want %s", got, want)
		}
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: s.URL}); err != nil {
				t.Fatalf("granting %s: %v", name, err)
			}
		}
		b.do(t, "copying", chromedp.Click(chromedp.CSS(`button.copy`)))
		waitFor(t, b, "the copy's status", `document.querySelector(".copy-status").textContent !== ""`)
		if said := eval[string](t, b, `document.querySelector(".copy-status").textContent`); said != "Copied the feed’s address." {
			t.Errorf("after Copy the page says %q", said)
		}
		pasted, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("reading the clipboard: %v", err)
		}
		if pasted != want {
			t.Errorf("the clipboard holds %q, want %q", pasted, want)
		}
		wantAtom(t, want)
	})

	t.Run("sorted by date the papers come newest first, still without the library's", func(t *testing.T) {
		b.do(t, "choosing newest first",
			chromedp.SetValue(chromedp.CSS(`form.order select[name=sort]`), "date"),
			chromedp.Click(chromedp.CSS(`form.order button[type=submit]`)),
		)
		waitFor(t, b, "the sorted page", `location.search.includes("sort=date") && document.querySelector("#like li.hit") && `+libraryReady)
		got := idsIn(t, b, "#like li.hit")
		wantNewestFirst(t, s, got)
		for _, id := range got {
			if contains(saved, id) || contains(not, id) {
				t.Errorf("%s is in the library, yet listed", id)
			}
		}
		if got := idsIn(t, b, ".shelf:not(.not-interested) .shelf-item"); !slices.Equal(got, saved) {
			t.Errorf("after sorting the saved papers are %q, want %q", got, saved)
		}
	})

	t.Run("removing a paper says the page is out of date and links to the library as it is", func(t *testing.T) {
		b.do(t, "removing the newest saved paper", chromedp.Click(chromedp.CSS(`.shelf-item[data-id="`+saved[0]+`"] button[data-library=save]`)))
		waitFor(t, b, "the notice", `!document.querySelector(".library-notice").hidden`)
		b.do(t, "following the notice's link", chromedp.Click(chromedp.CSS(`.library-notice a`)))
		waitFor(t, b, "the library without it", `!location.search.includes(`+jsString(url.QueryEscape(saved[0]))+`) && document.querySelector("#like li.hit") && `+libraryReady)
		if got := idsIn(t, b, ".shelf:not(.not-interested) .shelf-item"); !slices.Equal(got, saved[1:]) {
			t.Errorf("saved papers shown %q, want %q", got, saved[1:])
		}
		if !strings.Contains(eval[string](t, b, `location.search`), "sort=date") {
			t.Error("the order was lost")
		}
	})
	b.noExceptions(t)
}

func TestBrowserLibraryByKeyboard(t *testing.T) {
	s := newSite(t, server.Config{})
	b := newBrowser(t, 1100, 900)
	b.do(t, "opening a paper", chromedp.Navigate(s.URL+"/papers/"+arxivID))
	waitFor(t, b, "the library's buttons", libraryReady)

	// tabTo presses Tab (Shift+Tab when back) until sel has the focus, and
	// checks that the focus shows.
	tabTo := func(t *testing.T, sel string, back bool) {
		t.Helper()
		var opts []chromedp.KeyOption
		if back {
			opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
		}
		for range 120 {
			if eval[bool](t, b, `document.activeElement === document.querySelector(`+jsString(sel)+`)`) {
				if style := eval[string](t, b, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
					t.Errorf("%s has the focus but shows no outline", sel)
				}
				return
			}
			b.do(t, "pressing Tab", chromedp.KeyEvent(kb.Tab, opts...))
		}
		t.Fatalf("120 presses of Tab never reached %s; the focus is on %s", sel, eval[string](t, b, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	press := func(t *testing.T, key string) {
		t.Helper()
		b.do(t, "pressing a key", chromedp.KeyEvent(key))
	}
	similar := idsIn(t, b, "#similar li.hit")

	t.Run("Tab reaches the paper's \"Add to my library\" and Enter saves it", func(t *testing.T) {
		tabTo(t, `article.paper button[data-library=save]`, false)
		press(t, kb.Enter)
		if lib := storedLibrary(t, b); !slices.Equal(lib.Saved, []string{arxivID}) {
			t.Errorf("stored %+v, want %s saved", lib, arxivID)
		}
		if got := eval[string](t, b, `document.activeElement.textContent`); got != "Remove from my library" {
			t.Errorf("the focused button says %q", got)
		}
	})
	t.Run("Tab reaches a similar paper's \"Not interested\" and Space marks it", func(t *testing.T) {
		tabTo(t, `#similar li.hit:first-child button[data-library=not]`, false)
		press(t, " ")
		if lib := storedLibrary(t, b); !slices.Equal(lib.Not, similar[:1]) {
			t.Errorf("stored %+v, want %s not interested", lib, similar[0])
		}
	})
	t.Run("Shift+Tab back to \"My library\" and Enter opens it", func(t *testing.T) {
		tabTo(t, `.library-link`, true)
		press(t, kb.Enter)
		waitFor(t, b, "the library page", `location.pathname === "/library" && document.querySelector("#like li.hit") && `+libraryReady)
		got := idsIn(t, b, "#like li.hit")
		wantRecommended(t, s, got, []string{arxivID}, similar[:1], search.Options{Limit: 10})
	})
	t.Run("the order is chosen with the arrow keys and applied with Enter", func(t *testing.T) {
		tabTo(t, `form.order select[name=sort]`, false)
		press(t, kb.ArrowDown)
		if v := eval[string](t, b, `document.activeElement.value`); v != "date" {
			t.Fatalf("the order is %q after ArrowDown, want date", v)
		}
		tabTo(t, `form.order button[type=submit]`, false)
		press(t, kb.Enter)
		waitFor(t, b, "the sorted page", `location.search.includes("sort=date") && document.querySelector("#like li.hit") && `+libraryReady)
		wantNewestFirst(t, s, idsIn(t, b, "#like li.hit"))
	})
	t.Run("Tab reaches Copy, and Enter copies the feed's address", func(t *testing.T) {
		tabTo(t, `button.copy`, false)
		press(t, kb.Enter)
		waitFor(t, b, "the copy's status", `document.querySelector(".copy-status").textContent !== ""`)
		if got := eval[string](t, b, `document.getElementById("feed-url").value`); got != feedOf(s, []string{arxivID}, similar[:1]) {
			t.Errorf("feed address %s", got)
		}
	})
	b.noExceptions(t)
}

func TestBrowserLibraryPhoneWidth(t *testing.T) {
	s := newSite(t, server.Config{})
	b := newBrowser(t, 390, 844)
	lib := stored{Saved: []string{arxivID, s.papers[0].ID, s.papers[1].ID}, Not: []string{s.papers[2].ID}}
	raw, err := json.Marshal(lib)
	if err != nil {
		t.Fatal(err)
	}
	b.do(t, "opening the site", chromedp.Navigate(s.URL+"/"))
	waitFor(t, b, "the library's link", libraryReady)
	eval[any](t, b, `localStorage.setItem("paperlens.library", `+jsString(string(raw))+`), 0`)

	t.Run("an address without a list is filled from the browser's library", func(t *testing.T) {
		b.do(t, "opening /library", chromedp.Navigate(s.URL+"/library"))
		waitFor(t, b, "the filled page", `location.search.includes("paper=") && document.querySelector("#like li.hit") && `+libraryReady)
		if got := idsIn(t, b, ".shelf:not(.not-interested) .shelf-item"); !slices.Equal(got, lib.Saved) {
			t.Errorf("saved papers shown %q, want %q", got, lib.Saved)
		}
	})
	t.Run("the library page fits a 390px screen", func(t *testing.T) {
		noHorizontalScroll(t, b, "the library page")
		b.screenshot(t, "library-phone")
		b.screenshotWindow(t, "library-phone-window")
	})
	t.Run("a search page with the library's buttons fits a 390px screen", func(t *testing.T) {
		b.do(t, "searching", chromedp.Navigate(s.URL+"/?q=in-context+learning&sort=date"))
		waitFor(t, b, "the library's buttons", libraryReady)
		noHorizontalScroll(t, b, "the search page")
		b.screenshot(t, "search-phone-library")
	})
	b.noExceptions(t)
}

func TestBrowserWidgetReadingList(t *testing.T) {
	var api string
	list := []string{arxivID, "2603.28858"}
	host := serveHTML(t, func() string {
		return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A reading list</title>
<script src="` + api + `/widget.js" defer></script></head><body>
<h1>My reading list</h1>
<paperlens-related id="list" papers="` + strings.Join(list, ", ") + `" limit="4"></paperlens-related>
<paperlens-related id="gone" papers="` + list[0] + `,0000.00000"></paperlens-related>
<iframe id="frame" src="` + api + `/widget/?limit=3&papers=` + strings.Join(list, ",") + `" title="Related papers" width="100%" height="300" style="border:0"></iframe>
<script>addEventListener("message", e => { if (e.data && e.data.paperlens === "related") window.framed = e.data; });</script>
</body></html>`
	})
	s := newSite(t, server.Config{CORSOrigins: []string{host.URL}})
	api = s.URL
	var want paper.Page
	apiJSON(t, http.MethodPost, s.URL+"/v1/recommend", `{"positive": ["`+list[0]+`", "`+list[1]+`"], "limit": 10}`, &want)

	b := newBrowser(t, 900, 1100)
	b.do(t, "opening the host page", chromedp.Navigate(host.URL))
	got := widgets(t, b)

	t.Run("a box with papers lists the papers like the list, through POST /v1/recommend", func(t *testing.T) {
		w := got["list"]
		wantLinks(t, w, 4, want.Results)
		for _, title := range w.Titles {
			for _, p := range s.papers {
				if contains(list, p.ID) && p.Title == title {
					t.Errorf("%q is on the reading list, yet listed", title)
				}
			}
		}
	})
	t.Run("a list with a paper not in the index shows a quiet message", func(t *testing.T) {
		if w := got["gone"]; w.State != "error" || w.Message != "No related papers: a paper of the list is not in the index." {
			t.Errorf("state %q, message %q", w.State, w.Message)
		}
	})
	t.Run("the iframe variant takes the list too", func(t *testing.T) {
		waitFor(t, b, "the iframe's message", `window.framed && window.framed.state === "ready"`)
		if n := eval[int](t, b, `window.framed.links`); n != 3 {
			t.Errorf("the iframe shows %d links, want 3", n)
		}
	})
	b.screenshot(t, "widget-reading-list")
	b.noExceptions(t)
}
