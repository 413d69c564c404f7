package paper

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The caps on a paper, in bytes or items, which Validate enforces on every
// road a paper takes into a backend (the HTTP API, 'paperlens ingest',
// 'paperlens sync', an import). They bound what one paper costs to embed,
// index, highlight and send back, and sit far above real papers: the
// 20,426 arXiv papers of 2026-Q2 have titles of at most 216 bytes,
// abstracts of at most 2,781, at most 574 authors with names of at most
// 147 bytes (several names run together) and at most 7 categories of at
// most 18 bytes; SciFact's longest text is 10,000 bytes; the longest
// author list published has 5,154 names.
const (
	// MaxIDLength bounds a paper id.
	MaxIDLength = 200
	// MaxTitleLength bounds a title.
	MaxTitleLength = 1000
	// MaxAbstractLength bounds an abstract.
	MaxAbstractLength = 64 << 10
	// MaxAuthors bounds the authors of a paper, and MaxAuthorLength each
	// name.
	MaxAuthors      = 10000
	MaxAuthorLength = 200
	// MaxCategories bounds the categories of a paper, and
	// MaxCategoryLength each category.
	MaxCategories     = 100
	MaxCategoryLength = 64
	// MaxURLLength bounds each of a paper's URLs (url, github_repo,
	// project_page).
	MaxURLLength = 2048
)

// checkID reports why id cannot name a stored paper: it is empty, longer
// than MaxIDLength bytes, not UTF-8, holds a control character (tab and
// line breaks included, as a read refuses them), or has a path segment
// that is "." or "..", which a link cannot reach: browsers resolve
// /papers/.. to / before asking. Validate applies it to every paper
// written.
func checkID(id string) error {
	switch {
	case id == "":
		return invalidf("missing id")
	case len(id) > MaxIDLength:
		return invalidf("id longer than %d bytes", MaxIDLength)
	case !utf8.ValidString(id):
		return invalidf("id %q is not valid UTF-8", id)
	case strings.ContainsFunc(id, unicode.IsControl):
		return invalidf("id %q contains control characters", id)
	}
	for seg := range strings.SplitSeq(id, "/") {
		if seg == "." || seg == ".." {
			return invalidf("id %q has a %q path segment, which links cannot reach: choose another id", id, seg)
		}
	}
	return nil
}

// isWebURL reports whether s is an absolute http or https URL with a
// host: the only URLs a paper keeps, since a page or a client may make a
// link of them (javascript: and data: URLs run or show what the writer
// chose).
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")
}

// checkSizes reports the first field of p over its cap, or a URL that is
// not a web URL.
func (p *Paper) checkSizes() error {
	switch {
	case len(p.Title) > MaxTitleLength:
		return invalidf("paper %q: the title is %d bytes, the limit is %d", p.ID, len(p.Title), MaxTitleLength)
	case len(p.Abstract) > MaxAbstractLength:
		return invalidf("paper %q: the abstract is %d bytes, the limit is %d", p.ID, len(p.Abstract), MaxAbstractLength)
	case len(p.Authors) > MaxAuthors:
		return invalidf("paper %q has %d authors, the limit is %d", p.ID, len(p.Authors), MaxAuthors)
	case len(p.Categories) > MaxCategories:
		return invalidf("paper %q has %d categories, the limit is %d", p.ID, len(p.Categories), MaxCategories)
	}
	for _, a := range p.Authors {
		if len(a) > MaxAuthorLength {
			return invalidf("paper %q: an author's name is %d bytes, the limit is %d", p.ID, len(a), MaxAuthorLength)
		}
	}
	for _, c := range p.Categories {
		if len(c) > MaxCategoryLength {
			return invalidf("paper %q: a category is %d bytes, the limit is %d", p.ID, len(c), MaxCategoryLength)
		}
	}
	for _, f := range []struct{ name, url string }{{"url", p.URL}, {"github_repo", p.GithubRepo}, {"project_page", p.ProjectPage}} {
		switch {
		case f.url == "":
		case len(f.url) > MaxURLLength:
			return invalidf("paper %q: %s is %d bytes, the limit is %d", p.ID, f.name, len(f.url), MaxURLLength)
		case !isWebURL(f.url):
			return invalidf("paper %q: %s %q is not an http or https URL: give one, or leave it out", p.ID, f.name, f.url)
		}
	}
	return nil
}

// dropControls removes the control characters of s other than tab and
// line breaks: they carry nothing a reader wants, and ESC and its kin
// would reach the terminal of whoever prints the paper.
func dropControls(s string) string {
	if !strings.ContainsFunc(s, isStrayControl) || !utf8.ValidString(s) { // Validate refuses the latter
		return s
	}
	return strings.Map(func(r rune) rune {
		if isStrayControl(r) {
			return -1
		}
		return r
	}, s)
}

func isStrayControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}
