package loader

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/paper"
)

// hfEntry is one entry of the Daily Papers API. The paper is under "paper";
// the entry's own title, summary and date are fallbacks.
type hfEntry struct {
	Paper *struct {
		ID      json.RawMessage `json:"id"`
		Title   string          `json:"title"`
		Summary string          `json:"summary"`
		Authors []struct {
			Name string `json:"name"`
		} `json:"authors"`
		PublishedAt string `json:"publishedAt"`
		Upvotes     int    `json:"upvotes"`
		GithubRepo  string `json:"githubRepo"`
		ProjectPage string `json:"projectPage"`
	} `json:"paper"`
	Title       string `json:"title"`
	Summary     string `json:"summary"`
	PublishedAt string `json:"publishedAt"`
}

// readHF reads Daily Papers API JSON: an array of entries, or entry objects
// one after another. Entries are decoded one at a time. A syntax error ends
// the read, since nothing after it can be located: it is reported, and
// returned even when not strict.
func readHF(br *bufio.Reader, s *sink) error {
	lc := &lineCounter{r: br}
	dec := json.NewDecoder(lc)
	first, err := firstByte(br)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	inArray := first == '['
	if inArray {
		if _, err := dec.Token(); err != nil {
			return err
		}
	} else if first != '{' {
		return s.fatal(&LineError{Line: 1, Err: fmt.Errorf("the input starts with %q, not as Daily Papers JSON does: want an array of entries or an entry object; pick another format if this is not Daily Papers JSON", first)})
	}
	for n := 1; ; n++ {
		if inArray && !dec.More() {
			break
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF && !inArray {
			return nil
		} else if err != nil {
			return s.fatal(syntaxError(lc, dec, err, fmt.Sprintf("entry %d", n)))
		}
		start := dec.InputOffset() - int64(len(raw))
		p, err := hfPaper(raw)
		if err := s.take(lc.lineAt(start), fmt.Sprintf("entry %d", n), p, err); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return s.fatal(syntaxError(lc, dec, err, "end of array"))
	}
	if _, err := dec.Token(); err != io.EOF {
		return s.fatal(&LineError{Line: lc.lineAt(dec.InputOffset()), Err: errors.New("unexpected data after the array of entries: check that the file holds one JSON array")})
	}
	return nil
}

// hfPaper maps one entry to a paper. The paper carries its id whenever one
// could be read.
func hfPaper(raw json.RawMessage) (paper.Paper, error) {
	var e hfEntry
	err := json.Unmarshal(raw, &e)
	var p paper.Paper
	if e.Paper != nil {
		p.ID, _ = idString(e.Paper.ID)
	}
	if !utf8.Valid(raw) {
		return p, fmt.Errorf("invalid UTF-8 at byte %d of the entry: re-encode the file as UTF-8", invalidAt(raw))
	}
	if err != nil {
		return p, jsonError(err)
	}
	if e.Paper == nil {
		return p, errors.New(`entry has no "paper" object`)
	}
	if _, err := idString(e.Paper.ID); err != nil {
		return p, err
	}
	p.Title, p.Abstract, p.Published = e.Paper.Title, e.Paper.Summary, e.Paper.PublishedAt
	p.Upvotes, p.GithubRepo, p.ProjectPage = e.Paper.Upvotes, e.Paper.GithubRepo, e.Paper.ProjectPage
	if p.Title == "" {
		p.Title = e.Title
	}
	if p.Abstract == "" {
		p.Abstract = e.Summary
	}
	if p.Published == "" {
		p.Published = e.PublishedAt
	}
	for _, a := range e.Paper.Authors {
		p.Authors = append(p.Authors, a.Name)
	}
	return p, nil
}

// fatal reports an error that ends the read and returns it.
func (s *sink) fatal(le *LineError) error {
	s.rep.Skipped = append(s.rep.Skipped, le)
	return le
}

// syntaxError places a decoding error that stopped the decoder.
func syntaxError(lc *lineCounter, dec *json.Decoder, err error, what string) *LineError {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return &LineError{Line: lc.lineAt(syn.Offset), Err: fmt.Errorf("%s: malformed JSON: %v; nothing after it can be read", what, err)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &LineError{Line: lc.lineAt(lc.off), Err: fmt.Errorf("%s: JSON ends early: the file is truncated", what)}
	}
	return &LineError{Line: lc.lineAt(dec.InputOffset()), Err: fmt.Errorf("%s: %w", what, err)}
}

// firstByte returns the first byte of br that is not JSON space, without
// consuming it.
func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			if err == nil {
				err = io.EOF
			}
			return 0, err
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
			if n == br.Size() {
				return 0, fmt.Errorf("input starts with more than %d KiB of space: trim it", n>>10)
			}
		default:
			return c, nil
		}
	}
}

// lineCounter passes reads through and remembers where lines end, so that a
// byte offset can be turned into a line number. Offsets must be asked for in
// increasing order; line ends before the last one asked for are forgotten.
type lineCounter struct {
	r    io.Reader
	off  int64   // bytes read so far
	ends []int64 // offsets of newlines not yet passed
	line int     // newlines passed
}

// Read implements io.Reader.
func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.ends = append(c.ends, c.off+int64(i))
		}
	}
	c.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line holding the byte at offset off.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.ends) && c.ends[i] < off {
		i++
	}
	c.line += i
	c.ends = c.ends[i:]
	return c.line + 1
}
