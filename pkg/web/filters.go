package web

import (
	"strconv"

	"github.com/paperlens/paperlens/pkg/search"
)

// searchOptions maps the form onto search.Options through the parameters
// of GET /v1/search (search.ParamsFromQuery), so the page refuses what the
// API does, with the same words.
func (f searchForm) searchOptions() (search.Options, error) {
	q := f.values()
	q.Set("highlight", strconv.FormatBool(f.Highlight))
	q.Set("limit", strconv.Itoa(f.Limit))
	q.Set("offset", strconv.Itoa(f.Offset))
	p, err := search.ParamsFromQuery(q)
	if err != nil {
		return search.Options{}, err
	}
	return p.Options()
}
