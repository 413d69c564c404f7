package loader

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/paperlens/paperlens/pkg/paper"
)

// A Daily Papers page, copied as text, shows each paper as paragraphs
// separated by blank lines:
//
//	Title of the paper
//
//	The abstract, one paragraph.
//
//	  • 4 authors
//	Organisation (optional)
//	·
//	Dec 8, 2022
//
// The last paragraph is the paper's metadata: it is recognised by its "·"
// separator or its "N authors" line, and carries the date. The date may be
// followed by a count ("Sep 26 4"), and has no year when it falls in the
// year the page was made. The page carries chrome (navigation, its own date)
// before the first paper and may carry some between and after papers.

var (
	authorsLine = regexp.MustCompile(`^[•·*\-\s]*\d+\s+authors?$`)
	dateLine    = regexp.MustCompile(`^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?(?:\s+\d+)?$`)
)

// paragraph is a run of non-blank lines.
type paragraph struct {
	line  int // line of its first line
	lines []string
}

// text joins the paragraph's lines with spaces.
func (p paragraph) text() string { return strings.Join(p.lines, " ") }

// isMeta reports whether p is the metadata that closes a paper.
func (p paragraph) isMeta() bool {
	for _, l := range p.lines {
		if l == "·" || authorsLine.MatchString(l) {
			return true
		}
	}
	return false
}

// isDate reports whether p is a lone date, such as the page's own date.
func (p paragraph) isDate() bool {
	return len(p.lines) == 1 && dateLine.MatchString(p.lines[0])
}

// pageDate is a date as the page writes it; year is 0 when the page leaves
// it out.
type pageDate struct {
	month string
	day   int
	year  int
}

// date returns the last date line of p.
func (p paragraph) date() (pageDate, bool) {
	for i := len(p.lines) - 1; i >= 0; i-- {
		if m := dateLine.FindStringSubmatch(p.lines[i]); m != nil {
			day, _ := strconv.Atoi(m[2])
			year, _ := strconv.Atoi(m[3])
			return pageDate{month: m[1], day: day, year: year}, true
		}
	}
	return pageDate{}, false
}

// pageRecord is a paper found on the page, before its date is resolved.
type pageRecord struct {
	line    int
	paper   paper.Paper
	date    pageDate
	hasDate bool
	err     error
}

// readPage reads the text of a Daily Papers page. The page is read whole:
// dates without a year are given the year after the latest year the page
// writes out, since the page writes the year of every date but those of
// its own year; a page that writes no year at all is taken to be from the
// current year.
func readPage(br *bufio.Reader, s *sink) error {
	paras, err := pageParagraphs(br, s)
	if err != nil {
		return err
	}
	var records []pageRecord
	var segment []paragraph // paragraphs since the last paper
	for i := 0; i < len(paras); i++ {
		p := paras[i]
		if !p.isMeta() {
			if !p.isDate() { // a lone date is page chrome, never a title
				segment = append(segment, p)
			}
			continue
		}
		rec := pageRecord{line: p.line}
		rec.date, rec.hasDate = p.date()
		if !rec.hasDate && i+1 < len(paras) && paras[i+1].isDate() {
			i++ // the date was cut off from the metadata by a blank line
			rec.date, rec.hasDate = paras[i].date()
		}
		switch n := len(segment); n {
		case 0:
			rec.err = errors.New("paper metadata (authors, date) follows no title: check that the input is a Daily Papers page")
		case 1:
			rec.line = segment[0].line
			rec.paper.Title = segment[0].text()
			rec.err = fmt.Errorf("paper %q has no abstract: want the title, a blank line, then the abstract", rec.paper.Title)
		default:
			// Paragraphs before the title are chrome: the page's header,
			// or text copied between two papers.
			rec.line = segment[n-2].line
			rec.paper.Title = segment[n-2].text()
			rec.paper.Abstract = segment[n-1].text()
		}
		rec.paper.ID = pageID(rec.paper.Title)
		records = append(records, rec)
		segment = nil
	}

	year := time.Now().Year()
	if latest := latestYear(records); latest > 0 {
		year = latest + 1
	}
	for _, rec := range records {
		if rec.hasDate && rec.err == nil {
			d := rec.date
			if d.year == 0 {
				d.year = year
			}
			text := fmt.Sprintf("%s %d, %d", d.month, d.day, d.year)
			if rec.paper.Published, err = paper.ParseDate(text); err != nil {
				rec.err = fmt.Errorf("paper %q: date line %q is not a date", rec.paper.Title, text)
			}
		}
		if err := s.take(rec.line, "", rec.paper, rec.err); err != nil {
			return err
		}
	}
	return nil
}

// pageParagraphs splits the page into paragraphs of trimmed lines.
// Overlong lines are reported and left out.
func pageParagraphs(br *bufio.Reader, s *sink) ([]paragraph, error) {
	lr := &lineReader{br: br}
	var paras []paragraph
	var cur *paragraph
	for {
		b, tooLong, err := lr.next()
		if err == io.EOF {
			return paras, nil
		}
		if err != nil {
			return nil, err
		}
		if tooLong {
			if err := s.skip(&LineError{Line: lr.line, Err: errTooLong}); err != nil {
				return nil, err
			}
			continue
		}
		line := strings.TrimSpace(string(b))
		if line == "" {
			cur = nil
			continue
		}
		if cur == nil {
			paras = append(paras, paragraph{line: lr.line})
			cur = &paras[len(paras)-1]
		}
		cur.lines = append(cur.lines, line)
	}
}

// latestYear returns the latest year written out on the page, or 0.
func latestYear(records []pageRecord) int {
	latest := 0
	for _, r := range records {
		if r.hasDate && r.date.year > latest {
			latest = r.date.year
		}
	}
	return latest
}

// maxSlug bounds the slug part of a page id.
const maxSlug = 80

// pageID gives a paper from a Daily Papers page, which shows no arXiv id, a
// stable id made from its title: "hf-" and the title's ASCII letters and
// digits, lower-cased, words joined by "-", cut to whole words within 80
// bytes; "hf-" and a 12-digit hash of the title when the title has no ASCII
// letter or digit. The same title always gives the same id.
func pageID(title string) string {
	if strings.TrimSpace(title) == "" {
		return ""
	}
	words := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	var slug strings.Builder
	for i, w := range words {
		if i == 0 {
			slug.WriteString(w[:min(len(w), maxSlug)])
			continue
		}
		if slug.Len()+1+len(w) > maxSlug {
			break
		}
		slug.WriteString("-" + w)
	}
	if slug.Len() == 0 {
		sum := sha256.Sum256([]byte(strings.Join(strings.Fields(title), " ")))
		return "hf-" + hex.EncodeToString(sum[:6])
	}
	return "hf-" + slug.String()
}
