package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/paperlens/paperlens/pkg/search"
)

// searchForm is the search page's query string, as the reader filled it in.
// Its parameters are those of GET /v1/search.
type searchForm struct {
	Query      string
	Mode       string // a search.Mode; "" for the default
	YearFrom   string
	YearTo     string
	Categories []string
	Author     string
	Highlight  bool
	Limit      int
	Offset     int
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
		Highlight: q.Get("highlight") == "true" || q.Get("highlight") == "on",
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

// filtered reports whether any filter narrows the results.
func (f searchForm) filtered() bool {
	return f.YearFrom != "" || f.YearTo != "" || len(f.Categories) > 0 || f.Author != ""
}

// CategoryText is the categories as the form's text field shows them.
func (f searchForm) CategoryText() string { return strings.Join(f.Categories, " ") }

// Modes lists the ranking modes for the form's select, the default first.
func (f searchForm) Modes() []search.Mode { return search.Modes }

// FiltersOpen reports whether the filters panel starts open: when a filter
// or an option other than the default is in use.
func (f searchForm) FiltersOpen() bool {
	return f.filtered() || (f.Mode != "" && f.Mode != string(search.Hybrid)) || f.Highlight
}

// link is the URL of path with this form's query at another offset.
func (f searchForm) link(path string, offset int) string {
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	for k, v := range map[string]string{"mode": f.Mode, "year_from": f.YearFrom, "year_to": f.YearTo, "author": f.Author} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for _, c := range f.Categories {
		q.Add("category", c)
	}
	if f.Highlight {
		q.Set("highlight", "true")
	}
	if f.Limit != pageSize && f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
