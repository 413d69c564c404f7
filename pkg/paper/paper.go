// Package paper defines the domain types of paperlens: a paper, a stored
// record (a paper with its vector), the filter that narrows a ranking, a
// scored paper, a ranked hit and a page of hits, and the errors every
// package wraps (ErrNotFound, ErrInvalid, ErrUnavailable). Every other
// package speaks in these types.
package paper

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Paper is one paper abstract with its metadata. Published is a calendar
// date in the form YYYY-MM-DD, or empty when unknown.
type Paper struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Abstract   string   `json:"abstract"`
	Authors    []string `json:"authors"`
	Published  string   `json:"published,omitempty"`
	Categories []string `json:"categories"`
	URL        string   `json:"url,omitempty"`
	// Upvotes, GithubRepo and ProjectPage come from the Hugging Face Daily
	// Papers API: the readers' votes (for a "trending" sort), the paper's
	// code and its project page. They are zero for papers from elsewhere.
	Upvotes     int    `json:"upvotes,omitempty"`
	GithubRepo  string `json:"github_repo,omitempty"`
	ProjectPage string `json:"project_page,omitempty"`
}

// Hit is a paper in a ranked list, with its similarity score (higher is
// closer; cosine similarity for vector rankings).
type Hit struct {
	Paper
	Score float64 `json:"score"`
	// Highlights are short fragments of the abstract with the query's words
	// marked <mark>…</mark> and the rest HTML-escaped; only when asked for.
	Highlights []string `json:"highlights,omitempty"`
	// Explain says why the paper is where it is; only when asked for.
	Explain *Explanation `json:"explain,omitempty"`
}

// Explanation breaks a hit's place down into the lexical (BM25) and vector
// (cosine) rankings that were fused. A rank is the place in that ranking's
// candidate list, from 1, or 0 when the paper was not among the candidates;
// a lexical score of 0 means no word of the query is in the paper.
type Explanation struct {
	Mode         string  `json:"mode"`
	LexicalScore float64 `json:"lexical_score"`
	LexicalRank  int     `json:"lexical_rank"`
	VectorScore  float64 `json:"vector_score"`
	VectorRank   int     `json:"vector_rank"`
	FusedRank    int     `json:"fused_rank"`
	// Fusion, LexicalWeight and VectorWeight say how a hybrid ranking
	// fused the two ("score" or "rrf", and the weights), and Fitted whether
	// the weights were fitted to the folder; empty in the other modes.
	Fusion        string  `json:"fusion,omitempty"`
	LexicalWeight float64 `json:"lexical_weight,omitempty"`
	VectorWeight  float64 `json:"vector_weight,omitempty"`
	Fitted        bool    `json:"fitted,omitempty"`
}

// Page is one page of a ranked list. Total counts every paper the ranking
// could have returned, so Offset+len(Results) < Total means there is more.
type Page struct {
	Results []Hit `json:"results"`
	Total   int   `json:"total"`
	Limit   int   `json:"limit"`
	Offset  int   `json:"offset"`
	TookMS  int64 `json:"took_ms"`
}

var arxivVersion = regexp.MustCompile(`^((?:\d{4}\.\d{4,5})|(?:[a-z\-]+(?:\.[A-Z]{2})?/\d{7}))v\d+$`)

// NormalizeID trims an id and drops an arXiv version suffix, so that
// "2509.03687v2" and "2509.03687" name the same paper. Other ids are only
// trimmed.
func NormalizeID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimPrefix(id, "arXiv:")
	if m := arxivVersion.FindStringSubmatch(id); m != nil {
		return m[1]
	}
	return id
}

var arxivID = regexp.MustCompile(`^(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})$`)

// IsArxivID reports whether id (already normalised) looks like an arXiv id.
func IsArxivID(id string) bool { return arxivID.MatchString(id) }

// ContentHash is a short hex digest of the title and abstract: the text that
// is embedded. A re-ingested paper with the same hash need not be re-embedded.
func (p Paper) ContentHash() string {
	sum := sha256.Sum256([]byte(p.Title + "\x00" + p.Abstract))
	return hex.EncodeToString(sum[:16])
}

// Text is what embedders and lexical rankers see for a paper: its title and
// abstract.
func (p Paper) Text() string {
	switch {
	case p.Title == "":
		return p.Abstract
	case p.Abstract == "":
		return p.Title
	}
	return p.Title + ". " + p.Abstract
}

// Normalize cleans a paper in place: trims fields, normalises the id and the
// date, drops control characters other than tab and line breaks from the
// text, drops empty authors and categories, and fills an arXiv URL when the
// id is an arXiv id and no URL is given.
func (p *Paper) Normalize() {
	p.ID = NormalizeID(p.ID)
	p.Title = strings.Join(strings.Fields(dropControls(p.Title)), " ")
	p.Abstract = strings.TrimSpace(dropControls(p.Abstract))
	p.Authors = cleanList(p.Authors)
	p.Categories = cleanList(p.Categories)
	p.Published = strings.TrimSpace(p.Published)
	if d, err := ParseDate(p.Published); err == nil {
		p.Published = d
	}
	p.URL = strings.TrimSpace(p.URL)
	p.GithubRepo = strings.TrimSpace(p.GithubRepo)
	p.ProjectPage = strings.TrimSpace(p.ProjectPage)
	if p.Upvotes < 0 {
		p.Upvotes = 0
	}
	if p.URL == "" && IsArxivID(p.ID) {
		p.URL = "https://arxiv.org/abs/" + p.ID
	}
}

// InvalidError says why a paper cannot be stored. It wraps ErrInvalid.
type InvalidError struct {
	// Reason is the why, without "invalid paper: ".
	Reason string
}

// Error returns "invalid paper: " and the reason.
func (e *InvalidError) Error() string { return "invalid paper: " + e.Reason }

// Unwrap returns ErrInvalid.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalidf(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// Validate reports why a paper cannot be stored: an id checkID refuses, a
// missing abstract, a field over its cap (MaxTitleLength and the others), a
// URL that is not http or https, text that is not UTF-8, or a date that is
// not a date. Every road into a backend applies it, after Normalize.
func (p Paper) Validate() error {
	if err := checkID(p.ID); err != nil {
		return err
	}
	if strings.TrimSpace(p.Abstract) == "" {
		return invalidf("paper %q has no abstract", p.ID)
	}
	if err := p.checkSizes(); err != nil {
		return err
	}
	for name, s := range map[string]string{"id": p.ID, "title": p.Title, "abstract": p.Abstract, "url": p.URL, "github_repo": p.GithubRepo, "project_page": p.ProjectPage} {
		if !utf8.ValidString(s) {
			return invalidf("paper %q: %s is not valid UTF-8", p.ID, name)
		}
	}
	for _, s := range append(append([]string{}, p.Authors...), p.Categories...) {
		if !utf8.ValidString(s) {
			return invalidf("paper %q: author or category is not valid UTF-8", p.ID)
		}
	}
	if p.Published != "" {
		if _, err := time.Parse(time.DateOnly, p.Published); err != nil {
			return invalidf("paper %q: published %q is not a YYYY-MM-DD date", p.ID, p.Published)
		}
	}
	return nil
}

// Equal reports whether p and q hold the same fields: a paper stored again
// with Equal fields changes nothing.
func (p Paper) Equal(q Paper) bool {
	return p.ID == q.ID && p.Title == q.Title && p.Abstract == q.Abstract &&
		p.Published == q.Published && p.URL == q.URL && p.Upvotes == q.Upvotes &&
		p.GithubRepo == q.GithubRepo && p.ProjectPage == q.ProjectPage &&
		slices.Equal(p.Authors, q.Authors) && slices.Equal(p.Categories, q.Categories)
}

// ParseDay reads a day written YYYY-MM-DD, and nothing else, and returns
// it as such: what a filter by date takes.
func ParseDay(s string) (string, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return t.Format(time.DateOnly), nil
}

// ParseDate accepts a date as YYYY-MM-DD, an RFC 3339 timestamp, or a date
// written out such as "Dec 8, 2022", and returns it as YYYY-MM-DD.
func ParseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, time.RFC3339, time.RFC3339Nano, "Jan 2, 2006", "January 2, 2006", "2 Jan 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
}

func cleanList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(dropControls(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}
