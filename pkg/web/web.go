// Package web serves paperlens to people in a browser: a search page, a
// page per paper with the papers like it, a reader's library with the
// papers like it, and the embeddable "related papers" widget for other
// sites. Pages are rendered on the server with html/template and work
// without JavaScript; the templates, the CSS and the scripts are compiled
// into the binary, so nothing is fetched from elsewhere. It reads through
// search.Engine only, as the JSON API does.
//
// # Routes
//
//	GET /                     the search page (q, offset, limit, sort, since and the filters)
//	GET /papers/{id}          one paper and the papers like it (offset, limit, sort, since, filters)
//	GET /library              papers like a reading list (paper=ID…, not=ID…, and the same)
//	GET /widget.js            the <paperlens-related> custom element
//	GET /widget/{id}          the related-papers box as a page, for an <iframe>
//	GET /widget/?papers=ID,ID the box for a reading list
//	GET /static/{file}        style.css, widget.css, library.js, frame.js, icon.svg
//
// # The library
//
// static/library.js keeps a reader's library (the papers they saved and
// those they are not interested in) in the browser's localStorage; the
// server keeps nothing. It adds "Add to my library" and "Not interested"
// buttons to the papers of a page, and writes the library into the
// address of /library, which the server renders like any page. Without
// JavaScript there is no library, and every page works as before.
//
// The widget fetches /v1/papers/{id}/similar (or POSTs /v1/similar or
// /v1/recommend) from the server it was loaded from, so a site on another
// origin needs that server to allow it by CORS (package server,
// --cors-origin).
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paperlens/paperlens/pkg/search"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config tunes the handler. The zero value works.
type Config struct {
	// Logger receives a record for each page that failed with a 5xx. nil
	// discards them.
	Logger *slog.Logger
}

// handler serves the pages over one engine.
type handler struct {
	eng      *search.Engine
	log      *slog.Logger
	pages    map[string]*template.Template
	widgetJS []byte
	started  time.Time
}

// New returns the web pages over eng. It panics only if the embedded
// templates do not parse, which the package's tests catch.
func New(eng *search.Engine, cfg Config) http.Handler {
	h := &handler{eng: eng, log: cfg.Logger, pages: parsePages(), widgetJS: buildWidgetJS(), started: time.Now()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.searchPage)
	mux.HandleFunc("GET /papers/{id...}", h.paperPage)
	mux.HandleFunc("GET /library", h.libraryPage)
	mux.HandleFunc("GET /widget/{id...}", h.widgetPage)
	mux.HandleFunc("GET /widget.js", h.widgetScript)
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.HandleFunc("GET /static/{file}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("file") == "widget.js" { // only whole, from /widget.js
			h.notFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("/", h.notFound)
	return securityHeaders(mux)
}

// notFound answers a path that is no page, such as /static/ (no listing).
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "error", errorView{
		view:    view{Title: "Not found"},
		Message: "There is no page at " + r.URL.Path + ". Search for papers from the box above.",
	})
}

// securityHeaders keeps pages to their own origin's scripts and styles, and
// lets only the widget page be framed by other sites.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		frame := "'none'"
		if strings.HasPrefix(r.URL.Path, "/widget/") {
			frame = "*"
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors "+frame)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "strict-origin-when-cross-origin")
		next.ServeHTTP(w, r)
	})
}

// parsePages parses each page template together with the shared layout.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"paperPath": func(id string) string { return "/papers/" + url.PathEscape(id) },
		"short":     shorten,
		"authors":   shortAuthors,
		"join":      strings.Join,
		"highlight": func(s string) template.HTML {
			// Highlights are HTML fragments made by package search, which
			// escapes the paper's text and adds only <mark> elements.
			return template.HTML(s)
		},
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"search", "paper", "library", "error", "widget"} {
		files := []string{"templates/layout.html", "templates/hits.html", "templates/" + name + ".html"}
		if name == "widget" {
			files = []string{"templates/widget.html"}
		}
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, files...))
	}
	return pages
}

// buildWidgetJS puts widget.css into widget.js, so the custom element
// carries its own styles into its shadow root and the iframe page shares
// them.
func buildWidgetJS() []byte {
	js, err := staticFS.ReadFile("static/widget.js")
	if err != nil {
		panic(err)
	}
	css, err := staticFS.ReadFile("static/widget.css")
	if err != nil {
		panic(err)
	}
	quoted, err := json.Marshal(string(css))
	if err != nil {
		panic(err)
	}
	return bytes.Replace(js, []byte(`"__WIDGET_CSS__"`), quoted, 1)
}

// widgetScript serves widget.js. Sites load it cross-origin with a plain
// <script> tag, which needs no CORS.
func (h *handler) widgetScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.ServeContent(w, r, "widget.js", h.started, bytes.NewReader(h.widgetJS))
}

// render executes a page template, answering a plain 500 if that fails
// before anything was written.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, page, data); err != nil {
		h.log.Error("render", "page", page, "path", r.URL.Path, "error", err)
		http.Error(w, "paperlens could not render this page; the server log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// shorten splits s into a lead of about n bytes, cut at a word boundary,
// and the rest; the rest is empty when s is short enough to show whole.
func shorten(s string, n int) []string {
	if len(s) <= n+n/4 { // not worth a "more" for a few words
		return []string{s, ""}
	}
	cut := strings.LastIndexAny(s[:n], " \n\t")
	if cut < n/2 {
		cut = n
		for cut < len(s) && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut++
		}
	}
	return []string{strings.TrimRight(s[:cut], " ,;:"), s[cut:]}
}

// shortAuthors names up to n authors, then "et al.".
func shortAuthors(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + " et al."
}
