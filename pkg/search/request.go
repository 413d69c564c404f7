package search

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Limits on a request.
const (
	DefaultLimit = 10
	MaxLimit     = 100
	// MaxDepth bounds offset+limit: ranking deeper than this costs memory
	// and time no reader of a results page needs.
	MaxDepth = 10000
	// MaxQueryLength bounds the bytes of a query or a text to compare.
	MaxQueryLength = 20000
	// MaxYear bounds the years a filter may name.
	MaxYear = 9999
	// MaxAuthorLength bounds the author filter, in bytes: a longer one
	// could match no stored name.
	MaxAuthorLength = paper.MaxAuthorLength
	// MaxCategories bounds the categories a filter names (any of them);
	// each is at most paper.MaxCategoryLength bytes, as a stored one is.
	MaxCategories = 50
	// maxModeLength bounds the mode a message quotes back.
	maxModeLength = 16
	// SortDepth is how many of the most relevant papers a ranking sorted
	// by date or votes orders: the papers that "match" a query. A lexical
	// ranking matches only papers holding a word of the query, so it may
	// give fewer.
	SortDepth = 1000
	// maxHighlights is how many fragments a hit carries at most.
	maxHighlights = 3
)

// Limits are a server's own bounds on requests, at most the package's
// (MaxQueryLength, MaxDepth); 0 means the package's.
type Limits struct {
	// MaxQueryBytes bounds a query or a text to compare, in bytes.
	MaxQueryBytes int
	// MaxDepth bounds offset+limit.
	MaxDepth int
}

// orDefaults fills what l leaves at 0, and caps it at the package's
// bounds.
func (l Limits) orDefaults() Limits {
	if l.MaxQueryBytes <= 0 || l.MaxQueryBytes > MaxQueryLength {
		l.MaxQueryBytes = MaxQueryLength
	}
	if l.MaxDepth <= 0 || l.MaxDepth > MaxDepth {
		l.MaxDepth = MaxDepth
	}
	return l
}

// The codes of the errors the engine gives for a bad request; the HTTP API
// answers them as they are.
const (
	// CodeInvalidParameter: a parameter out of range, of the wrong kind
	// or unknown.
	CodeInvalidParameter = "invalid_parameter"
	// CodeEmptyQuery: the query or text is missing or blank.
	CodeEmptyQuery = "empty_query"
	// CodeQueryTooLong: the query or text is longer than the limit.
	CodeQueryTooLong = "query_too_long"
)

// Error is a request the engine refuses, naming the parameter at fault and
// the error's code (Code*). It wraps paper.ErrInvalid.
type Error struct {
	// Param is the parameter as a client names it: "limit", "q",
	// "year_from"…
	Param string
	// Code is one of the Code* constants.
	Code string
	// Message says what is wrong and what to send instead.
	Message string
}

// Error returns "invalid request: " and the message.
func (e *Error) Error() string { return "invalid request: " + e.Message }

// Unwrap returns paper.ErrInvalid.
func (e *Error) Unwrap() error { return paper.ErrInvalid }

// invalid is an *Error with CodeInvalidParameter.
func invalid(param, format string, args ...any) *Error {
	return &Error{Param: param, Code: CodeInvalidParameter, Message: fmt.Sprintf(format, args...)}
}

// Params are the paging, ranking and filter parameters of a request as a
// client sends them: the fields of a JSON body, or a URL query read by
// ParamsFromQuery. Pointers tell a field left out (the default) from an
// explicit 0. Options turns them into Options; the engine checks the
// ranges.
type Params struct {
	Limit     *int       `json:"limit"`
	Offset    *int       `json:"offset"`
	Mode      string     `json:"mode"`
	YearFrom  *int       `json:"year_from"`
	YearTo    *int       `json:"year_to"`
	Category  StringList `json:"category"`
	Author    string     `json:"author"`
	Highlight bool       `json:"highlight"`
	Explain   bool       `json:"explain"`
	Since     string     `json:"since"`
	Sort      string     `json:"sort"`
}

// StringList is a JSON list of strings that may also be sent as one
// string.
type StringList []string

// UnmarshalJSON reads a string or a list of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// ParamsFromQuery reads Params from a URL query: limit, offset, year_from
// and year_to as whole numbers, highlight and explain as true or false,
// mode, author, and category, which may repeat. A value of the wrong kind
// is an *Error naming it.
func ParamsFromQuery(q url.Values) (Params, error) {
	var p Params
	for _, f := range []struct {
		name, want string
		dst        **int
	}{{"limit", "a whole number (10)", &p.Limit}, {"offset", "a whole number (20)", &p.Offset},
		{"year_from", "a year such as 2024", &p.YearFrom}, {"year_to", "a year such as 2025", &p.YearTo}} {
		v, given := q[f.name]
		if !given {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil {
			return p, invalid(f.name, "%s must be %s, got %q", f.name, f.want, v[0])
		}
		*f.dst = &n
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"highlight", &p.Highlight}, {"explain", &p.Explain}} {
		v, given := q[f.name]
		if !given {
			continue
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v[0]))
		if err != nil {
			return p, invalid(f.name, "%s must be true or false, got %q", f.name, v[0])
		}
		*f.dst = b
	}
	p.Mode = q.Get("mode")
	p.Category = q["category"]
	p.Author = q.Get("author")
	p.Since = q.Get("since")
	p.Sort = q.Get("sort")
	return p, nil
}

// Options turns p into Options: an explicit limit of 0 is refused (leave
// it out for the default), and each category value may hold several,
// comma-separated. The engine checks the ranges when it ranks.
func (p Params) Options() (Options, error) {
	var o Options
	if p.Limit != nil {
		if *p.Limit == 0 {
			return o, invalid("limit", "limit must be between 1 and %d, got 0: leave it out for %d", MaxLimit, DefaultLimit)
		}
		o.Limit = *p.Limit
	}
	if p.Offset != nil {
		o.Offset = *p.Offset
	}
	for _, y := range []struct {
		name string
		v    *int
		dst  *int
	}{{"year_from", p.YearFrom, &o.Filter.YearFrom}, {"year_to", p.YearTo, &o.Filter.YearTo}} {
		if y.v == nil {
			continue
		}
		if *y.v < 1 || *y.v > MaxYear {
			return o, invalid(y.name, "%s must be a year between 1 and %d, got %d", y.name, MaxYear, *y.v)
		}
		*y.dst = *y.v
	}
	if err := CheckList("category", p.Category, MaxCategories, 0); err != nil {
		return o, err
	}
	for _, cat := range p.Category {
		for one := range strings.SplitSeq(cat, ",") {
			if one = strings.TrimSpace(one); one == "" {
				return o, invalid("category", "category is empty: give a category such as cs.LG, or leave it out")
			}
			o.Filter.Categories = append(o.Filter.Categories, one)
			if err := CheckList("category", o.Filter.Categories, MaxCategories, paper.MaxCategoryLength); err != nil {
				return o, err // before splitting the rest of a long value
			}
		}
	}
	if err := CheckString("author", p.Author, MaxAuthorLength); err != nil {
		return o, err
	}
	o.Filter.Author = strings.TrimSpace(p.Author)
	o.Filter.Since = strings.TrimSpace(p.Since)
	o.Sort = Sort(p.Sort)
	o.Mode = Mode(p.Mode)
	o.Highlight, o.Explain = p.Highlight, p.Explain
	return o, nil
}

// Options choose and page a ranking. A zero Limit means DefaultLimit and a
// zero Mode means Hybrid.
type Options struct {
	Limit  int  `json:"limit"`
	Offset int  `json:"offset"`
	Mode   Mode `json:"mode,omitempty"`
	// Filter keeps only the papers that pass it; Total counts those.
	Filter paper.Filter `json:"-"`
	// Highlight adds abstract fragments with the matched words marked.
	Highlight bool `json:"highlight,omitempty"`
	// Explain adds each hit's lexical and vector scores and ranks.
	Explain bool `json:"explain,omitempty"`
	// Sort orders the page: by relevance (the default), or the SortDepth
	// most relevant papers by date, newest first, or by votes.
	Sort Sort `json:"sort,omitempty"`
}

// Sort names an order of a ranked list.
type Sort string

// The orders.
const (
	Relevance Sort = "relevance"
	ByDate    Sort = "date"
	ByUpvotes Sort = "upvotes"
)

// ParseSort reads an order's name; "" is Relevance.
func ParseSort(s string) (Sort, error) {
	switch o := Sort(strings.ToLower(strings.TrimSpace(s))); o {
	case "":
		return Relevance, nil
	case Relevance, ByDate, ByUpvotes:
		return o, nil
	}
	return "", invalid("sort", "sort must be relevance, date or upvotes, got %q", s)
}

// check fills the defaults and refuses values out of range, with an
// *Error naming the parameter.
func (o *Options) check(l Limits) error {
	if o.Limit == 0 {
		o.Limit = DefaultLimit
	}
	m, err := ParseMode(string(o.Mode))
	if err != nil {
		return err
	}
	o.Mode = m
	if o.Sort, err = ParseSort(string(o.Sort)); err != nil {
		return err
	}
	f := o.Filter
	switch {
	case o.Limit < 1 || o.Limit > MaxLimit:
		return invalid("limit", "limit must be between 1 and %d, got %d", MaxLimit, o.Limit)
	case o.Offset < 0:
		return invalid("offset", "offset must be 0 or more, got %d", o.Offset)
	case o.Offset > l.MaxDepth-o.Limit: // not Offset+Limit: it could overflow
		if o.Offset > l.MaxDepth {
			return invalid("offset", "offset must be at most %d, got %d", l.MaxDepth, o.Offset)
		}
		return invalid("offset", "offset+limit must be at most %d, got %d: this server pages no deeper", l.MaxDepth, o.Offset+o.Limit)
	case f.YearFrom < 0 || f.YearFrom > MaxYear:
		return invalid("year_from", "year_from must be a year between 1 and %d, got %d", MaxYear, f.YearFrom)
	case f.YearTo < 0 || f.YearTo > MaxYear:
		return invalid("year_to", "year_to must be a year between 1 and %d, got %d", MaxYear, f.YearTo)
	case f.YearFrom != 0 && f.YearTo != 0 && f.YearFrom > f.YearTo:
		return invalid("year_from", "year_from (%d) is after year_to (%d)", f.YearFrom, f.YearTo)
	}
	if err := CheckString("author", f.Author, MaxAuthorLength); err != nil {
		return err
	}
	if err := CheckList("category", f.Categories, MaxCategories, paper.MaxCategoryLength); err != nil {
		return err
	}
	if err := CheckString("since", f.Since, len("2006-01-02")+8); err != nil {
		return err
	}
	if f.Since != "" {
		d, err := paper.ParseDay(f.Since)
		if err != nil {
			return invalid("since", "since must be a date such as 2026-11-20 (YYYY-MM-DD), got %q", f.Since)
		}
		o.Filter.Since = d
	}
	if slices.ContainsFunc(f.Categories, func(c string) bool { return strings.TrimSpace(c) == "" }) {
		return invalid("category", "category is empty: give a category such as cs.LG")
	}
	return nil
}

// CheckList refuses a list parameter (param names it as a client does)
// holding more than maxValues values, or a value longer than maxBytes
// bytes (0: no bound), with an *Error that gives the limit. Every list a
// request carries is checked with it before any work, so that what a
// request costs is bounded by the limits; a list of paper ids is checked
// with paper.MaxIDLength.
func CheckList(param string, values []string, maxValues, maxBytes int) error {
	if len(values) > maxValues {
		return invalid(param, "%s has %d values, the limit is %d: ask for fewer", param, len(values), maxValues)
	}
	if maxBytes > 0 {
		for _, v := range values {
			if len(v) > maxBytes {
				return invalid(param, "a %s value is %d bytes, the limit is %d", param, len(v), maxBytes)
			}
		}
	}
	return nil
}

// CheckString refuses a string parameter longer than maxBytes bytes, with
// an *Error that gives the limit: CheckList for one value.
func CheckString(param, value string, maxBytes int) error {
	if len(value) > maxBytes {
		return invalid(param, "%s is %d bytes, the limit is %d", param, len(value), maxBytes)
	}
	return nil
}

// checkText trims a query or text (param names it) and refuses it when
// empty, longer than max bytes, not UTF-8 or holding control characters.
func checkText(param, text string, max int) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", &Error{Param: param, Code: CodeEmptyQuery, Message: param + " is empty: give the text to search with"}
	case len(text) > max:
		return "", &Error{Param: param, Code: CodeQueryTooLong, Message: fmt.Sprintf("%s is %d bytes long, the limit is %d: shorten it", param, len(text), max)}
	case !utf8.ValidString(text):
		return "", invalid(param, "%s is not valid UTF-8: send the text encoded as UTF-8", param)
	}
	if i := strings.IndexFunc(text, isControl); i >= 0 {
		return "", invalid(param, "%s holds a control character (%q): send plain text", param, text[i])
	}
	return text, nil
}

// isControl reports a control character other than tab and line breaks,
// which plain text may hold.
func isControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// ParseMode reads a mode name; "" is Hybrid.
func ParseMode(s string) (Mode, error) {
	m := Mode(strings.ToLower(strings.TrimSpace(s)))
	if m == "" {
		return Hybrid, nil
	}
	if !slices.Contains(Modes, m) {
		if len(s) > maxModeLength {
			s = s[:maxModeLength] + "…"
		}
		return "", invalid("mode", "mode must be hybrid, vector or lexical, got %q", s)
	}
	return m, nil
}
