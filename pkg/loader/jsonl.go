package loader

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/paper"
)

// record is one line of JSON Lines or BEIR input. It holds the fields of
// both, so that a line in the other format can be recognised and named in
// the error.
type record struct {
	ID         json.RawMessage `json:"id"`
	BEIRID     json.RawMessage `json:"_id"`
	Title      string          `json:"title"`
	Abstract   string          `json:"abstract"`
	Text       string          `json:"text"`
	Authors    json.RawMessage `json:"authors"`
	Categories json.RawMessage `json:"categories"`
	Published  string          `json:"published"`
	Date       string          `json:"date"`
	URL        string          `json:"url"`
	// The Daily Papers fields, as the API (camelCase) or paperlens's own
	// JSON (snake_case) names them.
	Upvotes      int    `json:"upvotes"`
	GithubRepo   string `json:"github_repo"`
	ProjectPage  string `json:"project_page"`
	GithubRepoC  string `json:"githubRepo"`
	ProjectPageC string `json:"projectPage"`
}

// readLines reads JSON Lines or BEIR input, one record a line; blank lines
// are ignored.
func readLines(br *bufio.Reader, f Format, s *sink) error {
	lr := &lineReader{br: br}
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if tooLong {
			if err := s.skip(&LineError{Line: lr.line, Err: errTooLong}); err != nil {
				return err
			}
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		p, err := parseLine(line, f)
		if err := s.take(lr.line, "", p, err); err != nil {
			return err
		}
	}
}

// parseLine turns one line into a paper. The paper carries its id whenever
// one could be read, even when the error is not nil, so that the error can
// name it.
func parseLine(line []byte, f Format) (paper.Paper, error) {
	if f == ArxivSnapshot {
		return snapshotPaper(line)
	}
	var rec record
	err := json.Unmarshal(line, &rec)
	valid := utf8.Valid(line)
	if err == nil && valid {
		if f == BEIR {
			return beirPaper(rec)
		}
		return jsonlPaper(rec)
	}
	key := "id"
	if f == BEIR {
		key = "_id"
	}
	p := paper.Paper{ID: partialID(line, key)}
	if !valid {
		return p, fmt.Errorf("invalid UTF-8 at byte %d: re-encode the file as UTF-8", invalidAt(line))
	}
	return p, jsonError(err)
}

// jsonlPaper maps a canonical JSON Lines record to a paper.
func jsonlPaper(rec record) (paper.Paper, error) {
	id, err := idString(rec.ID)
	p := paper.Paper{ID: id, Title: rec.Title, Abstract: rec.Abstract, Published: rec.Published, URL: rec.URL,
		Upvotes: rec.Upvotes, GithubRepo: cmp.Or(rec.GithubRepo, rec.GithubRepoC), ProjectPage: cmp.Or(rec.ProjectPage, rec.ProjectPageC)}
	switch {
	case err != nil:
		return p, err
	case id == "" && len(rec.BEIRID) > 0:
		return p, errors.New(`missing "id" but the line has "_id": this looks like a BEIR corpus, use format beir`)
	}
	if p.Published == "" {
		p.Published = rec.Date
	}
	if p.Authors, err = stringList(rec.Authors, "authors", splitAuthors); err != nil {
		return p, err
	}
	if p.Categories, err = stringList(rec.Categories, "categories", splitCategories); err != nil {
		return p, err
	}
	return p, nil
}

// beirPaper maps a BEIR corpus record to a paper: _id is the id, text the
// abstract. BEIR metadata is ignored.
func beirPaper(rec record) (paper.Paper, error) {
	id, err := idString(rec.BEIRID)
	p := paper.Paper{ID: id, Title: rec.Title, Abstract: rec.Text}
	switch {
	case err != nil:
		return p, err
	case id == "" && len(rec.ID) > 0:
		return p, errors.New(`missing "_id" but the line has "id": this looks like canonical JSON Lines, use format jsonl`)
	}
	return p, nil
}

// partialID returns the string or number under key at the top level of the
// JSON object that line starts, reading no further than needed, so that a
// truncated or otherwise broken record can still be named.
func partialID(line []byte, key string) string {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return ""
		}
		if k != key {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return ""
			}
			continue
		}
		switch v, _ := dec.Token(); v := v.(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		}
		return ""
	}
	return ""
}

// idString reads an id given as a JSON string or number; a number keeps its
// literal text, so "2509.03680" keeps its last zero.
func idString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", jsonError(err)
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", errors.New("id must be a string or a number")
	}
	return n.String(), nil
}

// stringList reads a field given as a list of strings, a list of objects
// with a "name", or one string that split cuts into items.
func stringList(raw json.RawMessage, field string, split func(string) []string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonError(err)
		}
		return split(s), nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var named []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return nil, fmt.Errorf("%s must be a list of strings or one comma-separated string", field)
	}
	list = make([]string, len(named))
	for i, n := range named {
		list[i] = n.Name
	}
	return list, nil
}

// splitAuthors cuts "A, B and C" into names.
func splitAuthors(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		part = strings.TrimSpace(part)
		part = strings.TrimPrefix(part, "and ")
		out = append(out, strings.Split(part, " and ")...)
	}
	return out
}

// splitCategories cuts "cs.CL cs.AI" or "cs.CL, cs.AI" into categories.
func splitCategories(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' })
}

// jsonError rewords a decoding error so that it says what is wrong with the
// record rather than with a Go type.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("malformed JSON at byte %d: %v (is the record truncated?)", syn.Offset, err)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Errorf("field %q is a JSON %s, want %s", typ.Field, typ.Value, kindName(typ.Type.Kind().String()))
	case errors.As(err, &typ):
		return fmt.Errorf("record is a JSON %s, want an object", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: unexpected end (is the record truncated?)")
	}
	return fmt.Errorf("malformed JSON: %v", err)
}

// kindName names a Go kind in JSON terms.
func kindName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	}
	return "a " + kind
}

// invalidAt returns the offset of the first byte of b that is not UTF-8.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}
