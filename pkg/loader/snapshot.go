package loader

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/paper"
)

// snapshotRecord is one line of the arXiv metadata snapshot, the bulk JSON
// Lines file arXiv publishes (as on Kaggle): authors and categories are one
// string each, and the version history dates the paper.
type snapshotRecord struct {
	ID         json.RawMessage `json:"id"`
	Title      string          `json:"title"`
	Abstract   string          `json:"abstract"`
	Authors    string          `json:"authors"`
	Categories string          `json:"categories"`
	Versions   []struct {
		Version string `json:"version"`
		Created string `json:"created"`
	} `json:"versions"`
	UpdateDate string `json:"update_date"`
	// AuthorsParsed, when present, is the authors string cut into
	// [keyname, forenames, suffix, affiliation…]: cleaner than cutting it
	// here, since the string may hold affiliations in parentheses.
	AuthorsParsed [][]string `json:"authors_parsed"`
}

// snapshotPaper maps one line of the arXiv metadata snapshot to a paper: the
// published date is the creation date of version 1, title, abstract and
// authors lose TeX's line breaks. The paper carries its id whenever one
// could be read.
func snapshotPaper(line []byte) (paper.Paper, error) {
	var rec snapshotRecord
	err := json.Unmarshal(line, &rec)
	if err != nil || !utf8.Valid(line) {
		p := paper.Paper{ID: partialID(line, "id")}
		if !utf8.Valid(line) {
			return p, fmt.Errorf("invalid UTF-8 at byte %d: re-encode the file as UTF-8", invalidAt(line))
		}
		return p, jsonError(err)
	}
	id, err := idString(rec.ID)
	p := paper.Paper{ID: id, Title: PlainText(rec.Title), Abstract: PlainText(rec.Abstract), Categories: strings.Fields(rec.Categories)}
	if err != nil {
		return p, err
	}
	if len(rec.AuthorsParsed) > 0 {
		for _, a := range rec.AuthorsParsed {
			a = append(a, "", "", "")
			p.Authors = append(p.Authors, ArxivName(a[0], a[1], a[2]))
		}
	} else {
		p.Authors = splitAuthors(PlainText(rec.Authors))
	}
	for _, v := range rec.Versions {
		if v.Version != "v1" {
			continue
		}
		t, err := parseRFC1123(v.Created)
		if err != nil {
			return p, fmt.Errorf("versions: v1 created %q is not an RFC 1123 date such as \"Mon, 2 Apr 2007 19:18:42 GMT\"", v.Created)
		}
		p.Published = t.UTC().Format(time.DateOnly)
	}
	if p.Published == "" { // no v1: the last update is the best date known
		p.Published = rec.UpdateDate
	}
	return p, nil
}

// parseRFC1123 reads an RFC 1123 date, with a day of one or two digits.
func parseRFC1123(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var err error
	for _, layout := range []string{"Mon, 2 Jan 2006 15:04:05 MST", time.RFC1123, time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 -0700"} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// texBreak is a TeX forced line break (\\) with the space around it.
var texBreak = regexp.MustCompile(`\s*\\\\\s*`)

// PlainText turns arXiv's TeX-flavoured text into one line of plain text:
// forced line breaks (\\), newlines and runs of spaces become one space.
// Other TeX (accents, math) is kept as written.
func PlainText(s string) string {
	return strings.Join(strings.Fields(texBreak.ReplaceAllString(s, " ")), " ")
}

// ArxivName writes an arXiv author, given as keyname (surname), forenames
// and suffix, as one name: "Jane Doe Jr".
func ArxivName(keyname, forenames, suffix string) string {
	return PlainText(strings.Join([]string{forenames, keyname, suffix}, " "))
}
