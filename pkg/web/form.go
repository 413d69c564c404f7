package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/paperlens/paperlens/pkg/search"
)

// searchForm is a page's query string, as the reader filled it in. Its
// parameters are those of GET /v1/search; the library page adds its
// reading list as those of GET /feeds/like.atom (paper, not).
type searchForm struct {
	Query      string
	Mode       string // a search.Mode; "" for the default
	YearFrom   string
	YearTo     string
	Categories []string
	Author     string
	Since      string // YYYY-MM-DD
	Sort       string // a search.Sort; "" for relevance
	Highlight  bool
	Limit      int
	Offset     int
	// Papers and Not are the library page's reading list: the papers a
	// reader saved, newest first, and those they are not interested in.
	Papers, Not []string
	// Votes offers sort=upvotes: the list shown has papers with votes, or
	// is sorted by them. Set by the page, not read from the query.
	Votes bool
}

// readSearchForm reads the form from a query string. category may repeat,
// and one field may hold several categories separated by spaces or commas.
func readSearchForm(q url.Values) (searchForm, error) {
	f := searchForm{
		Query:     strings.TrimSpace(q.Get("q")),
		Mode:      strings.TrimSpace(q.Get("mode")),
		YearFrom:  strings.TrimSpace(q.Get("year_from")),
		YearTo:    strings.TrimSpace(q.Get("year_to")),
		Author:    strings.TrimSpace(q.Get("author")),
		Since:     strings.TrimSpace(q.Get("since")),
		Sort:      strings.TrimSpace(q.Get("sort")),
		Highlight: q.Get("highlight") == "true" || q.Get("highlight") == "on",
		Papers:    nonBlank(q["paper"]),
		Not:       nonBlank(q["not"]),
	}
	for _, c := range q["category"] {
		f.Categories = append(f.Categories, strings.FieldsFunc(c, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	var err error
	if f.Limit, err = intParam(q, "limit", pageSize); err != nil {
		return f, err
	}
	if f.Offset, err = intParam(q, "offset", 0); err != nil {
		return f, err
	}
	return f, nil
}

// nonBlank are the values of a repeated parameter, trimmed, without blanks.
func nonBlank(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// filtered reports whether any filter narrows the results.
func (f searchForm) filtered() bool {
	return f.YearFrom != "" || f.YearTo != "" || len(f.Categories) > 0 || f.Author != "" || f.Since != ""
}

// CategoryText is the categories as the form's text field shows them.
func (f searchForm) CategoryText() string { return strings.Join(f.Categories, " ") }

// Modes lists the ranking modes for the form's select, the default first.
func (f searchForm) Modes() []search.Mode { return search.Modes }

// choice is an option of a select.
type choice struct {
	Value, Label string
	Selected     bool
}

// Sorts lists the orders for the form's select, relevance first; upvotes
// only when Votes offers it.
func (f searchForm) Sorts() []choice {
	sorts := []choice{{string(search.Relevance), "Most relevant", false}, {string(search.ByDate), "Newest first", false}}
	if f.Votes {
		sorts = append(sorts, choice{string(search.ByUpvotes), "Most upvoted", false})
	}
	for i := range sorts {
		sorts[i].Selected = sorts[i].Value == strings.ToLower(f.Sort)
	}
	if f.Sort == "" {
		sorts[0].Selected = true
	}
	return sorts
}

// FiltersOpen reports whether the filters panel starts open: when a filter
// or an option other than the default is in use.
func (f searchForm) FiltersOpen() bool {
	return f.filtered() || (f.Mode != "" && f.Mode != string(search.Hybrid)) || f.Highlight ||
		(f.Sort != "" && f.Sort != string(search.Relevance))
}

// values is the form as a query string, leaving out what is at its
// default; offset is left to the caller.
func (f searchForm) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "mode": f.Mode, "year_from": f.YearFrom, "year_to": f.YearTo,
		"author": f.Author, "since": f.Since, "sort": f.Sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for k, list := range map[string][]string{"category": f.Categories, "paper": f.Papers, "not": f.Not} {
		for _, v := range list {
			q.Add(k, v)
		}
	}
	if f.Highlight {
		q.Set("highlight", "true")
	}
	if f.Limit != pageSize && f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// link is the URL of path with this form's query at another offset.
func (f searchForm) link(path string, offset int) string {
	q := f.values()
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// feedPath is the path of the Atom feed that follows this form's list: the
// search's query or the library's reading list, with the filters. A feed
// keeps its own page (the newest papers of the last days), so the order,
// since and paging are left out.
func (f searchForm) feedPath() string {
	q := f.values()
	for _, k := range []string{"sort", "since", "limit", "highlight"} {
		q.Del(k)
	}
	if len(f.Papers) > 0 {
		q.Del("q")
		return "/feeds/like.atom?" + q.Encode()
	}
	return "/feeds/search.atom?" + q.Encode()
}

// field is a form's hidden input.
type field struct{ Name, Value string }

// Kept lists what a list's order form carries over as hidden fields: the
// form's query but its order, its since day and its offset, which the
// reader sets again.
func (f searchForm) Kept() []field {
	q := f.values()
	var out []field
	for _, k := range []string{"paper", "not", "q", "mode", "category", "year_from", "year_to", "author", "highlight", "limit"} {
		for _, v := range q[k] {
			out = append(out, field{k, v})
		}
	}
	return out
}

// orderForm is the order controls above a list, sent to Action.
type orderForm struct {
	Action string
	Form   searchForm
}

// OrderAt is the form's order controls, sent to action.
func (f searchForm) OrderAt(action string) orderForm { return orderForm{action, f} }
