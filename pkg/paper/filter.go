package paper

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Filter narrows a ranking to papers by year, category and author, and
// leaves out papers by id. The zero value lets every paper through.
type Filter struct {
	// YearFrom and YearTo bound the publication year, inclusive; 0 means
	// unbounded. A paper without a date fails a year bound.
	YearFrom, YearTo int
	// Categories keeps papers in any of these categories (case-insensitive).
	Categories []string
	// Author keeps papers with an author whose name contains it
	// (case-insensitive).
	Author string
	// Since keeps papers published on or after this day (YYYY-MM-DD); ""
	// means unbounded. A paper without a date fails it.
	Since string
	// Exclude leaves these papers out, whether they pass the rest or not:
	// "papers like this one" leaves the paper itself out.
	Exclude []string
}

// IsZero reports whether f lets every paper through.
func (f Filter) IsZero() bool { return !f.HasConditions() && len(f.Exclude) == 0 }

// HasConditions reports whether f tests a paper's fields (year, category,
// author), as opposed to only leaving ids out.
func (f Filter) HasConditions() bool {
	return f.YearFrom != 0 || f.YearTo != 0 || len(f.Categories) > 0 || strings.TrimSpace(f.Author) != "" || f.Since != ""
}

// Fields is f without its excluded ids: the part that depends on a
// paper's fields, which a backend may work out once and share between
// requests.
func (f Filter) Fields() Filter {
	f.Exclude = nil
	return f
}

// Key is the same string for filters whose field tests let the same
// papers through (categories in any order and case), for caching what
// passes them; excluded ids play no part.
func (f Filter) Key() string {
	cats := make([]string, len(f.Categories))
	for i, cat := range f.Categories {
		cats[i] = strings.ToLower(strings.TrimSpace(cat))
	}
	slices.Sort(cats)
	return strconv.Itoa(f.YearFrom) + " " + strconv.Itoa(f.YearTo) + " " + strconv.Quote(strings.Join(cats, "\x00")) +
		" " + strconv.Quote(strings.ToLower(strings.TrimSpace(f.Author))) + " " + strconv.Quote(f.Since)
}

// Match reports whether p passes f, excluded ids included. Matcher is
// faster for many papers.
func (f Filter) Match(p *Paper) bool { return f.Matcher()(p) }

// Matcher returns Match with the filter's words prepared once: a test
// that allocates nothing for ASCII names, since a ranking applies it to
// every paper it finds.
func (f Filter) Matcher() func(p *Paper) bool {
	author := strings.ToLower(strings.TrimSpace(f.Author))
	// A set of the categories in lower case: one lookup a category of the
	// paper, however many the filter names.
	cats := make(map[string]bool, len(f.Categories))
	for _, cat := range f.Categories {
		cats[strings.ToLower(strings.TrimSpace(cat))] = true
	}
	inCats := func(c string) bool {
		// In lower case without allocating, for the ASCII names categories
		// have: a vector scan tests every paper it meets.
		var buf [MaxCategoryLength]byte
		if len(c) > len(buf) {
			return cats[strings.ToLower(c)]
		}
		for i := 0; i < len(c); i++ {
			b := c[i]
			if b >= utf8.RuneSelf {
				return cats[strings.ToLower(c)]
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			buf[i] = b
		}
		return cats[string(buf[:len(c)])]
	}
	var excluded map[string]bool
	if len(f.Exclude) > 0 {
		excluded = make(map[string]bool, len(f.Exclude))
		for _, id := range f.Exclude {
			excluded[id] = true
		}
	}
	yearFrom, yearTo, since := f.YearFrom, f.YearTo, f.Since
	return func(p *Paper) bool {
		if excluded[p.ID] {
			return false
		}
		// Dates are YYYY-MM-DD (Normalize), so they compare as strings.
		if since != "" && (p.Published == "" || p.Published < since) {
			return false
		}
		if yearFrom != 0 || yearTo != 0 {
			y := Year(p.Published)
			if y == 0 || (yearFrom != 0 && y < yearFrom) || (yearTo != 0 && y > yearTo) {
				return false
			}
		}
		if len(cats) > 0 && !slices.ContainsFunc(p.Categories, inCats) {
			return false
		}
		if author != "" {
			return slices.ContainsFunc(p.Authors, func(name string) bool { return containsFold(name, author) })
		}
		return true
	}
}

// containsFold reports whether strings.ToLower(s) contains sub, which is
// in lower case, without allocating when s is ASCII.
func containsFold(s, sub string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), sub)
		}
	}
	n := len(sub)
outer:
	for i := 0; i+n <= len(s); i++ {
		for j := 0; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

// Year is the year of a YYYY-MM-DD date, or 0: what the year filters
// compare.
func Year(date string) int {
	if len(date) < 4 {
		return 0
	}
	y, err := strconv.Atoi(date[:4])
	if err != nil {
		return 0
	}
	return y
}
