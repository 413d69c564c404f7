// Package loader reads papers from files: canonical JSON Lines, BEIR corpora,
// the Hugging Face Daily Papers API, the text of a Daily Papers page and the
// arXiv metadata snapshot. It
// is the first step of the ingest road: every paper it hands on is already
// normalised and valid, and every record it could not use is reported with
// its line number.
package loader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Format names an input format.
type Format string

// The formats Load reads.
const (
	// Auto detects the format from the first bytes of the input.
	Auto Format = ""
	// JSONL is canonical JSON Lines: one paper object a line, with the
	// fields of paper.Paper, or "date" for "published".
	JSONL Format = "jsonl"
	// BEIR is a BEIR corpus.jsonl: {"_id","title","text","metadata"} a line.
	BEIR Format = "beir"
	// HF is the JSON of the Hugging Face Daily Papers API: an array of
	// entries, or one or more entry objects.
	HF Format = "hf"
	// HFPage is the text copy of a Hugging Face Daily Papers page.
	HFPage Format = "hfpage"
	// ArxivSnapshot is the arXiv metadata snapshot: JSON Lines with
	// "versions", authors and categories as one string each.
	ArxivSnapshot Format = "arxiv"
)

// formats lists the valid names in the order ParseFormat's error gives them.
var formats = []Format{JSONL, BEIR, HF, HFPage, ArxivSnapshot}

// ParseFormat turns a --format flag value into a Format. "" and "auto" mean
// Auto; case and surrounding space are ignored.
func ParseFormat(s string) (Format, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "auto" {
		return Auto, nil
	}
	for _, f := range formats {
		if s == string(f) {
			return f, nil
		}
	}
	names := []string{"auto"}
	for _, f := range formats {
		names = append(names, string(f))
	}
	return Auto, fmt.Errorf("unknown format %q: use one of %s", s, strings.Join(names, ", "))
}

// String returns the format's name, "auto" for Auto.
func (f Format) String() string {
	if f == Auto {
		return "auto"
	}
	return string(f)
}

// Options says how Load reads its input.
type Options struct {
	// Format is the input format; Auto detects it.
	Format Format
	// Strict makes the first malformed record stop the read.
	Strict bool
}

// LineError is a record Load could not use: where it starts, its id when
// known, and why it was skipped.
type LineError struct {
	Line int    // 1-based line on which the record starts
	ID   string // the record's id, if it could be read
	Err  error
}

// Error returns the error as "line 12: ..." or "line 12 (id X): ...".
func (e *LineError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("line %d (id %s): %v", e.Line, e.ID, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// Report sums up a read.
type Report struct {
	Format  Format       // the format read, detected when Options.Format was Auto
	Read    int          // papers passed to emit
	Skipped []*LineError // records skipped, in file order
}

// maxLineLength bounds one line of input. A longer line is skipped and
// reported as a LineError; its bytes are not held in memory.
const maxLineLength = 16 << 20

// sniffSize is how much of the input Auto detection looks at.
const sniffSize = 64 << 10

// Load reads papers from r and calls emit for each valid one, in file order,
// already normalised (paper.Paper.Normalize) and validated
// (paper.Paper.Validate).
//
// A malformed record (bad JSON, invalid UTF-8, no id, no abstract, a bad
// date, an overlong line, an id already seen in this input) is skipped and
// reported in Report.Skipped with its line number; the first occurrence of
// an id wins. With opts.Strict the first malformed record stops the read and
// Load returns it as a *LineError (also the last of Report.Skipped). An error
// from emit stops the read and is returned as is.
//
// In Daily Papers JSON a record is an entry: its error says "entry N"
// (counting from 1) and its Line is where the entry starts. Broken JSON
// syntax there ends the read and is returned as a *LineError even when not
// strict, since nothing after it can be located.
//
// JSON Lines, BEIR and HF input is streamed: memory does not grow with the
// file, except for the set of ids seen. A Daily Papers page is read whole,
// since dates without a year are resolved from the rest of the page. An
// empty input gives zero papers and no error. Lines longer than 16 MiB are
// skipped and reported.
func Load(r io.Reader, opts Options, emit func(paper.Paper) error) (Report, error) {
	f, err := ParseFormat(string(opts.Format))
	if err != nil {
		return Report{Format: opts.Format}, fmt.Errorf("load papers: %w", err)
	}
	rep := Report{Format: f}
	br := bufio.NewReaderSize(r, sniffSize)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3) // a UTF-8 byte order mark is not content
	}
	if rep.Format == Auto {
		f, err := detect(br)
		if err != nil {
			return rep, err
		}
		rep.Format = f
	}
	s := &sink{strict: opts.Strict, emit: emit, rep: &rep, seen: make(map[string]int)}
	switch rep.Format {
	case JSONL, BEIR, ArxivSnapshot:
		err = readLines(br, rep.Format, s)
	case HF:
		err = readHF(br, s)
	case HFPage:
		err = readPage(br, s)
	}
	return rep, err
}

// LoadFile is Load on the file at path. Its errors name the file, except
// errors from emit, which are returned as is.
func LoadFile(path string, opts Options, emit func(paper.Paper) error) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{Format: opts.Format}, fmt.Errorf("load papers: %w", err)
	}
	defer f.Close()
	emitFailed := false
	rep, err := Load(f, opts, func(p paper.Paper) error {
		err := emit(p)
		emitFailed = err != nil
		return err
	})
	if err != nil && !emitFailed {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return rep, err
}

// detect guesses the format from the first bytes of br without consuming
// them: "[" is HF; "{" is BEIR when the first object has an "_id" key, HF
// when it has a "paper" key, ArxivSnapshot when it has "id" and "versions",
// JSONL otherwise; anything else is page text.
func detect(br *bufio.Reader) (Format, error) {
	b, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return Auto, fmt.Errorf("detect format: %w", err)
	}
	if bytes.IndexByte(b[:min(len(b), 1024)], 0) >= 0 {
		return Auto, errors.New("detect format: input looks binary (it holds NUL bytes): " +
			"want UTF-8 JSON Lines, BEIR, Hugging Face Daily Papers JSON or page text; " +
			"re-encode a UTF-16 file as UTF-8")
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return JSONL, nil // nothing but space: zero papers whichever format
	case trimmed[0] == '[':
		return HF, nil
	case trimmed[0] != '{':
		return HFPage, nil
	}
	keys := topLevelKeys(trimmed)
	switch {
	case keys["paper"]:
		return HF, nil
	case keys["_id"] && !keys["id"]:
		return BEIR, nil
	case keys["id"] && keys["versions"]:
		return ArxivSnapshot, nil
	}
	return JSONL, nil
}

// topLevelKeys returns the keys of the JSON object at the start of b, as far
// as b goes: b may end in the middle of the object.
func topLevelKeys(b []byte) map[string]bool {
	keys := make(map[string]bool)
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return keys
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		if k, ok := tok.(string); ok {
			keys[k] = true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}

// sink checks, deduplicates and emits the papers a format reader produces.
type sink struct {
	strict bool
	emit   func(paper.Paper) error
	rep    *Report
	seen   map[string]int // id → line of its first occurrence
}

// take handles one record starting on line: parseErr is why it could not be
// read, or nil; what, if not empty, names the record in errors. It returns
// the error that must stop the read, if any.
func (s *sink) take(line int, what string, p paper.Paper, parseErr error) error {
	err := parseErr
	if err == nil {
		p.Normalize()
		err = p.Validate()
	}
	if err == nil {
		if first, dup := s.seen[p.ID]; dup {
			err = fmt.Errorf("duplicate id %s (first on line %d)", p.ID, first)
		}
	}
	if err != nil {
		if what != "" {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return s.skip(&LineError{Line: line, ID: strings.TrimSpace(p.ID), Err: err})
	}
	s.seen[p.ID] = line
	if err := s.emit(p); err != nil {
		return err
	}
	s.rep.Read++
	return nil
}

// skip reports a record that cannot be used; in strict mode it stops the
// read.
func (s *sink) skip(le *LineError) error {
	s.rep.Skipped = append(s.rep.Skipped, le)
	if s.strict {
		return le
	}
	return nil
}

// lineReader reads lines of at most maxLineLength bytes and counts them.
type lineReader struct {
	br   *bufio.Reader
	line int // number of the line last returned
	buf  []byte
}

// next returns the next line without its line ending. tooLong reports a
// line longer than maxLineLength, whose bytes are dropped. At the end of the
// input it returns io.EOF.
func (lr *lineReader) next() (b []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	read := false
	for {
		chunk, err := lr.br.ReadSlice('\n')
		read = read || len(chunk) > 0
		if !tooLong {
			if len(lr.buf)+len(chunk) > maxLineLength+2 { // room for "\r\n"
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && !read:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, fmt.Errorf("read line %d: %w", lr.line+1, err)
		}
		lr.line++
		line := bytes.TrimSuffix(bytes.TrimSuffix(lr.buf, []byte("\n")), []byte("\r"))
		if !tooLong && len(line) > maxLineLength {
			tooLong = true
		}
		if tooLong {
			line = nil
		}
		return line, tooLong, nil
	}
}

// errTooLong is the reason given for a line longer than maxLineLength.
var errTooLong = fmt.Errorf("line longer than %d MiB: split the record or check that the file is line-oriented", maxLineLength>>20)
