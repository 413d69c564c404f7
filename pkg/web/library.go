package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

// libraryView is the library page: a reader's reading list and the papers
// like it.
type libraryView struct {
	view
	// Like is the reading list (Papers, Not) with the list's order and
	// paging.
	Like searchForm
	// Saved and Not are the papers of the reading list found in the index;
	// Missing the ids that are not (any more).
	Saved, Not []paper.Paper
	Missing    []string
	List       listView
}

// libraryPage answers GET /library?paper=ID&paper=ID&not=ID: a reading
// list and the papers like it (search.Engine.Recommend), with the sort,
// since and filters of a search. The list lives in the reader's browser
// (static/library.js writes it into the query), so this page keeps
// nothing; without ids it says how to start one.
func (h *handler) libraryPage(w http.ResponseWriter, r *http.Request) {
	f, err := readSearchForm(r.URL.Query())
	f.Query = ""
	v := libraryView{view: view{Title: "My library"}, Like: f}
	switch {
	case err != nil:
		v.List.Message = err.Error()
		h.render(w, r, http.StatusBadRequest, "library", v)
		return
	case len(f.Papers) > search.MaxExamples || len(f.Not) > search.MaxExamples:
		v.List.Message = fmt.Sprintf("A library page takes at most %d saved papers and %d others: leave out the oldest.", search.MaxExamples, search.MaxExamples)
		h.render(w, r, http.StatusBadRequest, "library", v)
		return
	}
	var missing []string
	if v.Saved, v.Missing, err = h.shelf(r.Context(), f.Papers); err == nil {
		v.Not, missing, err = h.shelf(r.Context(), f.Not)
		v.Missing = append(v.Missing, missing...)
	}
	if err != nil {
		var status int
		status, v.List.Message = h.describe(r, err, "library")
		h.render(w, r, status, "library", v)
		return
	}
	if len(v.Saved) == 0 {
		h.render(w, r, http.StatusOK, "library", v)
		return
	}
	// The list, its links and its feed name only the papers found, so one
	// paper gone from the index does not break the rest.
	f.Papers, f.Not = idsOf(v.Saved), idsOf(v.Not)
	v.Like, v.Feed = f, origin(r)+f.feedPath()
	status := http.StatusOK
	opts, err := f.searchOptions()
	var page paper.Page
	if err == nil {
		page, err = h.eng.Recommend(r.Context(), search.ExampleIDs(f.Papers), search.ExampleIDs(f.Not), opts)
		v.List = h.list(&page, f, "/library")
		v.Like.Votes = offerVotes(f, page)
	}
	switch {
	case err != nil:
		status, v.List.Message = h.describe(r, err, "library")
	case len(page.Results) == 0 && page.Offset > 0:
		v.List.Message = fmt.Sprintf("This page is past the last paper (there are %d).", page.Total)
	case len(page.Results) == 0:
		v.List.Message = "No papers like your library pass these filters. Remove one to see more."
	}
	h.render(w, r, status, "library", v)
}

// shelf fetches the papers of ids, in order; the ids of no stored paper
// are missing.
func (h *handler) shelf(ctx context.Context, ids []string) (found []paper.Paper, missing []string, err error) {
	for _, id := range ids {
		p, err := h.eng.Get(ctx, id)
		switch {
		case errors.Is(err, paper.ErrNotFound) || errors.Is(err, paper.ErrInvalid):
			missing = append(missing, id)
		case err != nil:
			return nil, nil, err
		default:
			found = append(found, p)
		}
	}
	return found, missing, nil
}

// idsOf lists the papers' ids.
func idsOf(papers []paper.Paper) []string {
	out := make([]string, len(papers))
	for i, p := range papers {
		out[i] = p.ID
	}
	return out
}

// offerVotes reports whether a list's order may be by votes: it is, or a
// paper on it has votes (papers from Hugging Face Daily Papers do).
func offerVotes(f searchForm, page paper.Page) bool {
	if search.Sort(f.Sort) == search.ByUpvotes {
		return true
	}
	for _, h := range page.Results {
		if h.Upvotes > 0 {
			return true
		}
	}
	return false
}

// origin is scheme://host of this server as the request reached it, for
// the addresses a reader copies out of a page.
func origin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
