package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

func (s *server) health(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// statsBody is the answer of GET /v1/stats.
type statsBody struct {
	Count int `json:"count"`
	embeddings.Info
	// Sync lists the sources synced in the background, when there are any.
	Sync []harvest.Status `json:"sync,omitempty"`
}

func (s *server) stats(c *gin.Context) {
	st, err := s.eng.Stats(c.Request.Context())
	if err != nil {
		s.failWith(c, err)
		return
	}
	body := statsBody{Count: st.Count, Info: st.Info}
	if s.sync != nil {
		body.Sync = s.sync()
	}
	c.JSON(http.StatusOK, body)
}

func (s *server) searchGet(c *gin.Context) {
	o, ok := s.queryOptions(c)
	if !ok {
		return
	}
	s.answerPage(c, func() (paper.Page, error) { return s.eng.Search(c.Request.Context(), c.Query("q"), o) })
}

// searchBody is the body of POST /v1/search; "query" is a synonym of "q".
type searchBody struct {
	Q     string `json:"q"`
	Query string `json:"query"`
	search.Params
}

func (s *server) searchPost(c *gin.Context) {
	var req searchBody
	if !s.decodeBody(c, &req, `{"q": "graph neural networks", "limit": 10}`) {
		return
	}
	o, ok := s.options(c, req.Params, nil)
	if !ok {
		return
	}
	q := req.Q
	if strings.TrimSpace(q) == "" {
		q = req.Query
	}
	s.answerPage(c, func() (paper.Page, error) { return s.eng.Search(c.Request.Context(), q, o) })
}

// textBody is the body of POST /v1/similar.
type textBody struct {
	Text string `json:"text"`
	search.Params
}

func (s *server) similarText(c *gin.Context) {
	var req textBody
	if !s.decodeBody(c, &req, `{"text": "<an abstract>", "limit": 10}`) {
		return
	}
	o, ok := s.options(c, req.Params, nil)
	if !ok {
		return
	}
	s.answerPage(c, func() (paper.Page, error) { return s.eng.SimilarText(c.Request.Context(), req.Text, o) })
}

// getPaper serves both GET /v1/papers/{id} and GET /v1/papers/{id}/similar.
func (s *server) getPaper(c *gin.Context) {
	id := strings.TrimPrefix(c.Param("rest"), "/")
	if !s.checkID(c, id) {
		return
	}
	if base, ok := strings.CutSuffix(id, "/similar"); ok && base != "" {
		o, ok := s.queryOptions(c)
		if !ok {
			return
		}
		s.answerPage(c, func() (paper.Page, error) { return s.eng.Similar(c.Request.Context(), base, o) })
		return
	}
	p, err := s.eng.Get(c.Request.Context(), id)
	if err != nil {
		s.failWith(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *server) deletePaper(c *gin.Context) {
	id := paper.NormalizeID(strings.TrimPrefix(c.Param("rest"), "/"))
	if !s.checkID(c, id) {
		return
	}
	if err := s.ing.Delete(c.Request.Context(), id); err != nil {
		s.failWith(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"deleted": id})
}

func (s *server) upsertPapers(c *gin.Context) {
	b, ok := s.readBody(c)
	if !ok {
		return
	}
	if !utf8.Valid(b) {
		s.fail(c, http.StatusBadRequest, codeMalformedJSON, "the body is not valid UTF-8: send papers encoded as UTF-8; nothing was stored")
		return
	}
	papers, err := decodePapers(b, s.maxPapers)
	var bad *badPapers
	switch {
	case errors.As(err, &bad):
		s.fail(c, cmp.Or(bad.status, http.StatusBadRequest), bad.code, bad.message)
		return
	case err != nil:
		s.failWith(c, err)
		return
	}
	st, err := s.ing.Upsert(c.Request.Context(), papers)
	if err != nil {
		s.failWith(c, err)
		return
	}
	status := http.StatusOK
	if st.Added+st.Updated > 0 {
		status = http.StatusCreated
	}
	c.JSON(status, st)
}

// answerPage runs a ranking and answers its page or its error.
func (s *server) answerPage(c *gin.Context, rank func() (paper.Page, error)) {
	page, err := rank()
	if err != nil {
		s.failWith(c, err)
		return
	}
	if page.Results == nil {
		page.Results = []paper.Hit{}
	}
	c.JSON(http.StatusOK, page)
}

// checkID rejects a paper id that no paper can have: not UTF-8, or holding
// a control character such as NUL or tab, which paper.Validate refuses to
// store. Any other unknown id is a 404.
func (s *server) checkID(c *gin.Context, id string) bool {
	if !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
		s.fail(c, http.StatusBadRequest, codeInvalidParameter, fmt.Sprintf("the paper id %q holds a control character or is not UTF-8: no paper has such an id", id))
		return false
	}
	return true
}

// queryOptions reads paging, mode, filters, highlight and explain from
// the URL query (search.ParamsFromQuery).
func (s *server) queryOptions(c *gin.Context) (search.Options, bool) {
	p, err := search.ParamsFromQuery(c.Request.URL.Query())
	return s.options(c, p, err)
}

// options turns request parameters into search options, answering 400
// when they cannot be (the engine checks the ranges when it ranks). err is
// an error reading p, if any.
func (s *server) options(c *gin.Context, p search.Params, err error) (search.Options, bool) {
	var o search.Options
	if err == nil {
		o, err = p.Options()
	}
	if err != nil {
		s.failWith(c, err)
		return o, false
	}
	return o, true
}

// decodeBody reads a JSON object into v, answering 400 or 413 when it
// cannot: a body that is not UTF-8, not one JSON object, or that has a field
// v does not know (named in the message, so a misspelt "limt" is not
// silently ignored). example shows a good body in the error message.
func (s *server) decodeBody(c *gin.Context, v any, example string) bool {
	b, ok := s.readBody(c)
	if !ok {
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		s.fail(c, http.StatusBadRequest, codeMalformedJSON, "the body is empty: send a JSON object such as "+example)
		return false
	}
	if !utf8.Valid(b) {
		s.fail(c, http.StatusBadRequest, codeMalformedJSON, "the body is not valid UTF-8: send JSON encoded as UTF-8, such as "+example)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errTrailingData
	}
	if err != nil {
		if field, ok := unknownField(err); ok {
			s.fail(c, http.StatusBadRequest, codeUnknownField, fmt.Sprintf("the body has the unknown field %q: the fields are %s", field, fieldNames(v)))
			return false
		}
		s.fail(c, http.StatusBadRequest, codeMalformedJSON, describeJSONError(err)+": send a JSON object such as "+example)
		return false
	}
	return true
}

// errTrailingData is a body with more after its JSON object.
var errTrailingData = errors.New("more JSON follows the object: send one object")

// unknownField returns the field named by a json.Decoder's
// DisallowUnknownFields error.
func unknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return "", false
	}
	field, uerr := strconv.Unquote(strings.TrimPrefix(msg, prefix))
	if uerr != nil {
		field = strings.TrimPrefix(msg, prefix)
	}
	return field, true
}

// fieldNames lists the JSON fields of the body type v points to.
func fieldNames(v any) string {
	var names []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				names = append(names, name)
			}
		}
	}
	walk(reflect.TypeOf(v).Elem())
	return strings.Join(names, ", ")
}

// requireJSON answers 415 to a body whose Content-Type is given and is not
// some kind of JSON or plain text.
func (s *server) requireJSON(c *gin.Context) { s.checkContentType(c, true) }

// requireWriteJSON is requireJSON without plain text: a form or a fetch on
// any site may send text/plain without asking the server first (no CORS
// preflight), so a write must say it is JSON.
func (s *server) requireWriteJSON(c *gin.Context) { s.checkContentType(c, false) }

// checkContentType answers 415 unless the Content-Type is missing, some
// kind of JSON, or, with plain, text/plain.
func (s *server) checkContentType(c *gin.Context, plain bool) {
	ct := c.GetHeader("Content-Type")
	if ct == "" {
		c.Next()
		return
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		switch {
		case mt == "application/json", mt == "application/x-ndjson", mt == "application/jsonl",
			mt == "application/x-jsonlines", mt == "text/plain" && plain, strings.HasSuffix(mt, "+json"):
			c.Next()
			return
		}
	}
	s.fail(c, http.StatusUnsupportedMediaType, codeUnsupportedMediaType,
		fmt.Sprintf("Content-Type %s is not JSON: send application/json (or application/x-ndjson for JSON Lines)", quoteShort(ct)))
}

// badPapers is why a POST /v1/papers body cannot be stored: the answer's
// status (0: 400), code and message.
type badPapers struct {
	status        int
	code, message string
}

func (e *badPapers) Error() string { return e.message }

// decodePapers reads a JSON array of papers, one paper object (even spread
// over several lines), or JSON Lines. Each paper goes through package
// loader as a line of canonical JSON Lines, so the API reads papers exactly
// as 'paperlens ingest' reads a file: "date" stands for "published", and an
// author list may be one comma-separated string. The first bad paper stops
// the read with a *badPapers naming it by its place in the array (from 1)
// or its line. A body of more than max papers is refused, 413, before any
// is checked.
func decodePapers(b []byte, max int) ([]paper.Paper, error) {
	tooMany := &badPapers{http.StatusRequestEntityTooLarge, codeTooManyPapers,
		fmt.Sprintf("the body holds more than %d papers, the limit of one request: send them in several; nothing was stored", max)}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a byte-order mark
	trimmed := bytes.TrimSpace(b)
	fromArray := false
	switch {
	case len(trimmed) == 0:
		return nil, errNoPapers
	case trimmed[0] == '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(trimmed, &elems); err != nil {
			return nil, &badPapers{0, codeMalformedJSON, describeJSONError(err) + ": send a JSON array of paper objects; nothing was stored"}
		}
		if len(elems) > max {
			return nil, tooMany
		}
		var lines bytes.Buffer
		for _, e := range elems {
			_ = json.Compact(&lines, e) // valid, so it cannot fail
			lines.WriteByte('\n')
		}
		b, fromArray = lines.Bytes(), true
	case trimmed[0] == '{' && json.Valid(trimmed):
		var line bytes.Buffer
		_ = json.Compact(&line, trimmed)
		b = line.Bytes()
	}
	var papers []paper.Paper
	_, err := loader.Load(bytes.NewReader(b), loader.Options{Format: loader.JSONL, Strict: true}, func(p paper.Paper) error {
		if len(papers) == max {
			return tooMany
		}
		papers = append(papers, p)
		return nil
	})
	var le *loader.LineError
	switch {
	case err == tooMany:
		return nil, tooMany
	case errors.As(err, &le):
		where := fmt.Sprintf("line %d", le.Line)
		if fromArray {
			where = fmt.Sprintf("paper %d of the array", le.Line)
		}
		if le.ID != "" {
			where += " (id " + le.ID + ")"
		}
		code := codeInvalidPaper
		if !json.Valid(nthLine(b, le.Line)) {
			code = codeMalformedJSON
		}
		return nil, &badPapers{0, code, where + ": " + le.Err.Error() + "; nothing was stored: fix it and send the request again"}
	case err != nil:
		return nil, err
	case len(papers) == 0:
		return nil, errNoPapers
	}
	return papers, nil
}

// errNoPapers is a body without a single paper.
var errNoPapers = &badPapers{0, codeEmptyBody, "the body holds no papers: send a JSON array of papers, one paper object, or JSON Lines"}

// nthLine returns line n (from 1) of b.
func nthLine(b []byte, n int) []byte {
	for i := 1; i < n; i++ {
		_, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return nil
		}
		b = rest
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return line
}

// describeJSONError says what is wrong with a JSON body in words a client
// can act on.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("field %q must be %s, not a JSON %s", typ.Field, jsonKind(typ.Type.String()), typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("expected a JSON object, got a JSON %s", typ.Value)
	case errors.As(err, &syn):
		return fmt.Sprintf("the body is not valid JSON (at byte %d: %v)", syn.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the body ends in the middle of a JSON value"
	case errors.Is(err, errTrailingData):
		return "the body is not valid JSON (" + err.Error() + ")"
	}
	return "the body is not valid JSON (" + err.Error() + ")"
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "*int"):
		return "a whole number"
	case goType == "string":
		return "a string"
	}
	return "a " + goType
}
