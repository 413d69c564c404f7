package web

import (
	"fmt"
	"strconv"

	"github.com/paperlens/paperlens/pkg/search"
)

// searchOptions maps the form onto search.Options. Ranges and mode names
// are checked by Options.Validate, so the page refuses what the API does.
func (f searchForm) searchOptions() (search.Options, error) {
	o := search.Options{
		Limit:     f.Limit,
		Offset:    f.Offset,
		Mode:      search.Mode(f.Mode),
		Highlight: f.Highlight,
		Filter:    search.Filter{Categories: f.Categories, Author: f.Author},
	}
	var err error
	if o.Filter.YearFrom, err = year("year_from", f.YearFrom); err != nil {
		return o, err
	}
	if o.Filter.YearTo, err = year("year_to", f.YearTo); err != nil {
		return o, err
	}
	return o, nil
}

// year reads an optional year field; "" is 0, no bound.
func year(name, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s must be a year such as 2023, got “%s”", search.ErrInvalid, name, s)
	}
	return y, nil
}
