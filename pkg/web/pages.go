package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

// StatusClientClosed is the status a page whose reader left is counted
// with (nginx's 499): no one reads the answer, and it is not the
// server's failure. The JSON API counts such requests with it too.
const StatusClientClosed = 499

// Page sizes: the search and paper pages, and the widget's default.
const (
	pageSize      = 10
	widgetDefault = 5
	widgetMax     = 20
)

// view is what every page of the layout shows: the title, the search
// form as the reader left it, and the Atom feed that follows the page's
// list, if it has one.
type view struct {
	Title string
	Form  searchForm
	Count int
	Feed  string
}

// listView is a ranked page of hits with its paging links.
type listView struct {
	Page       *paper.Page
	From, To   int
	Prev, Next string
	// Message is a sentence shown instead of the list: no results, or why
	// the list could not be made.
	Message string
}

type searchView struct {
	view
	List listView
}

type paperView struct {
	view
	Paper paper.Paper
	// Like is the order and paging of the papers like it.
	Like searchForm
	List listView
}

type errorView struct {
	view
	Message string
}

type widgetView struct {
	Theme   string
	ID      string
	Hits    []paper.Hit
	Message string
}

// searchPage answers GET /?q=…: the form, and a page of hits when there is
// a query.
func (h *handler) searchPage(w http.ResponseWriter, r *http.Request) {
	f, err := readSearchForm(r.URL.Query())
	v := searchView{view: view{Title: "Search", Form: f, Count: h.eng.Count()}}
	switch {
	case err != nil:
		v.List.Message = err.Error()
		h.render(w, r, http.StatusBadRequest, "search", v)
		return
	case strings.TrimSpace(f.Query) == "":
		h.render(w, r, http.StatusOK, "search", v)
		return
	}
	v.Title = f.Query
	v.Feed = origin(r) + f.feedPath()
	opts, err := f.searchOptions()
	if err == nil {
		var page paper.Page
		page, err = h.eng.Search(r.Context(), f.Query, opts)
		v.List = h.list(&page, f, "/")
		v.Form.Votes = offerVotes(f, page)
	}
	status := http.StatusOK
	if err != nil {
		status, v.List.Message = h.describe(r, err, "search")
	} else if len(v.List.Page.Results) == 0 {
		v.List.Message = noResults(f, v.List.Page)
	}
	h.render(w, r, status, "search", v)
}

// paperPage answers GET /papers/{id}: the paper and the papers like it, in
// the order and since the day the query asks (sort, since and the other
// parameters of GET /v1/papers/{id}/similar).
func (h *handler) paperPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f, err := readSearchForm(r.URL.Query())
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "error", errorView{view: view{Title: "Bad request"}, Message: err.Error()})
		return
	}
	f.Query = ""
	p, err := h.eng.Get(r.Context(), id)
	if err != nil {
		status, msg := h.describe(r, err, "paper")
		h.render(w, r, status, "error", errorView{view: view{Title: "Paper not found"}, Message: msg})
		return
	}
	v := paperView{view: view{Title: p.Title}, Paper: p, Like: f}
	status := http.StatusOK
	opts, err := f.searchOptions()
	var page paper.Page
	if err == nil {
		page, err = h.eng.Similar(r.Context(), p.ID, opts)
		v.List = h.list(&page, f, "/papers/"+url.PathEscape(p.ID))
		v.Like.Votes = offerVotes(f, page)
	}
	switch {
	case err != nil:
		if status, v.List.Message = h.describe(r, err, "similar"); status >= 500 {
			status = http.StatusOK // the paper is shown, only its list failed
		}
	case len(page.Results) == 0 && page.Total == 0 && f.filtered():
		v.List.Message = "No papers like this one pass these filters. Remove one to see more."
	case len(page.Results) == 0 && page.Total == 0:
		v.List.Message = "This is the only paper in the index, so there is nothing to compare it with."
	case len(page.Results) == 0:
		v.List.Message = fmt.Sprintf("There are only %d papers like this one; this page is past the end.", page.Total)
	}
	h.render(w, r, status, "paper", v)
}

// widgetPage answers GET /widget/{id}?limit=5&theme=dark: the related-papers
// box as a page of its own, for sites that embed it with an <iframe>; and
// GET /widget/?papers=ID,ID, the papers like a reading list.
func (h *handler) widgetPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := widgetView{Theme: "light", ID: r.PathValue("id")}
	if q.Get("theme") == "dark" {
		v.Theme = "dark"
	}
	limit, err := intParam(q, "limit", widgetDefault)
	if err != nil || limit < 1 {
		limit = widgetDefault
	}
	o := search.Options{Limit: min(limit, widgetMax)}
	list := readingList(q["papers"])
	var page paper.Page
	switch {
	case v.ID == "" && len(list) == 0:
		v.Message = "No related papers: the box names no paper."
	case v.ID == "":
		page, err = h.eng.Recommend(r.Context(), search.ExampleIDs(list), nil, o)
	default:
		page, err = h.eng.Similar(r.Context(), v.ID, o)
	}
	var bad *search.Error
	switch {
	case v.Message != "":
	case errors.Is(err, paper.ErrNotFound) && v.ID == "":
		v.Message = "No related papers: a paper of the list is not in the index."
	case errors.Is(err, paper.ErrNotFound):
		v.Message = "No related papers: this paper is not in the index."
	case errors.As(err, &bad):
		v.Message = "No related papers: " + bad.Message + "."
	case err != nil:
		h.describe(r, err, "widget") // logs it
		v.Message = "Related papers are unavailable right now."
	case len(page.Results) == 0:
		v.Message = "No related papers yet."
	}
	v.Hits = page.Results
	// The page is only ever framed; a 200 keeps browsers from showing their
	// own error page inside the frame.
	h.render(w, r, http.StatusOK, "widget", v)
}

// readingList reads the widget's papers: ids separated by commas or
// spaces, each once.
func readingList(values []string) []string {
	var list []string
	for _, v := range values {
		for _, id := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			if !slices.Contains(list, id) {
				list = append(list, id)
			}
		}
	}
	return list
}

// list adds the range shown and the paging links to a page of hits.
func (h *handler) list(page *paper.Page, f searchForm, path string) listView {
	lv := listView{Page: page, From: page.Offset + 1, To: page.Offset + len(page.Results)}
	if page.Offset > 0 {
		lv.Prev = f.link(path, max(page.Offset-page.Limit, 0))
	}
	if page.Offset+len(page.Results) < page.Total && len(page.Results) == page.Limit {
		lv.Next = f.link(path, page.Offset+page.Limit)
	}
	return lv
}

// describe turns an error of the engine into a status and a sentence a
// reader can act on, logging the ones that are the server's fault.
func (h *handler) describe(r *http.Request, err error, what string) (int, string) {
	var bad *search.Error
	switch {
	case errors.Is(err, paper.ErrNotFound):
		return http.StatusNotFound, "There is no paper with the id “" + r.PathValue("id") + "” in this index. Search for it by title instead."
	case errors.As(err, &bad):
		return http.StatusBadRequest, "The search could not run: " + bad.Message + "."
	case errors.Is(err, embeddings.ErrUnavailable):
		h.log.Warn("embedder unavailable", "page", what, "path", r.URL.Path, "error", err)
		return http.StatusServiceUnavailable, "The embedder that turns queries into vectors is unavailable right now. Try again in a moment."
	}
	if r.Context().Err() != nil { // the reader left: no one sees the page, and it is not the server's failure
		h.log.Info("page abandoned", "page", what, "path", r.URL.Path, "error", err)
		return StatusClientClosed, "The request was cancelled."
	}
	h.log.Error("page failed", "page", what, "path", r.URL.Path, "error", err)
	return http.StatusInternalServerError, "Something went wrong while answering. The server log has the details."
}

// noResults says why a page has no hits.
func noResults(f searchForm, page *paper.Page) string {
	switch {
	case page.Total > 0 && page.Offset >= page.Total:
		return fmt.Sprintf("This page is past the last result (there are %d).", page.Total)
	case f.filtered():
		return "No papers match “" + f.Query + "” with these filters. Remove a filter to see more."
	}
	return "No papers match “" + f.Query + "”. Try other words."
}

// intParam reads a whole-number parameter, or def when it is absent.
func intParam(q url.Values, name string, def int) (int, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s must be a whole number, got “%s”", name, s)
	}
	return n, nil
}
