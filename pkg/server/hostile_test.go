package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
)

// nested returns n JSON arrays inside one another.
func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// TestHostileRequests sends what a stranger on the open web might: bodies
// built to exhaust a parser, bytes that are not text, numbers too big for
// any int, paths that try to climb out of the API. Each must be answered
// with a 4xx and a JSON error, store nothing, and leave the server healthy.
func TestHostileRequests(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{MaxBodyBytes: 1 << 20}, builtinEmbedder(t), seed)
	id := seed[0].ID
	huge := strings.Repeat("a", 100_000)
	overLimit := `{"q": "` + strings.Repeat("x", 1<<20) + `"}`

	tests := []struct {
		name                string
		method, path, ctype string
		body                string
		status              int
		code                string
		says                string // a part of the message
	}{
		{"10,000 nested arrays as a search body are refused", "POST", "/v1/search", "application/json", nested(10_000), 400, "malformed_json", "JSON"},
		{"100,000 nested arrays as a search body are refused", "POST", "/v1/search", "application/json", nested(100_000), 400, "malformed_json", "JSON"},
		{"10,000 nested arrays as q are refused", "POST", "/v1/search", "application/json", `{"q": ` + nested(10_000) + `}`, 400, "malformed_json", "JSON"},
		{"10,000 nested objects as a similar body are refused", "POST", "/v1/similar", "application/json", strings.Repeat(`{"text":`, 10_000) + `"x"` + strings.Repeat("}", 10_000), 400, "malformed_json", "JSON"},
		{"10,000 nested arrays of papers are refused as not papers", "POST", "/v1/papers", "application/json", nested(10_000), 400, "invalid_paper", "want an object"},
		{"100,000 nested arrays of papers are refused as too deep", "POST", "/v1/papers", "application/json", nested(100_000), 400, "malformed_json", "depth"},
		{"a search body with a second object after the first is refused", "POST", "/v1/search", "application/json", `{"q": "x"} {"q": "y"}`, 400, "malformed_json", "one object"},
		{"a search body over the limit answers 413", "POST", "/v1/search", "application/json", overLimit, 413, "body_too_large", "bytes"},
		{"papers over the limit answer 413", "POST", "/v1/papers", "application/x-ndjson", strings.Repeat(`{"id": "x", "abstract": "y"}`+"\n", 40_000), 413, "body_too_large", "bytes"},

		{"a search body that is not UTF-8 is refused", "POST", "/v1/search", "application/json", "{\"q\": \"\xff\xfe\"}", 400, "malformed_json", "UTF-8"},
		{"a similar body that is not UTF-8 is refused", "POST", "/v1/similar", "application/json", "{\"text\": \"caf\xe9\"}", 400, "malformed_json", "UTF-8"},
		{"papers that are not UTF-8 are refused", "POST", "/v1/papers", "application/json", "{\"id\": \"latin1\", \"abstract\": \"caf\xe9\"}", 400, "malformed_json", "UTF-8"},
		{"a q that is not UTF-8 in the URL is refused", "GET", "/v1/search?q=caf%e9", "", "", 400, "invalid_parameter", "UTF-8"},
		{"a NUL byte in q is refused", "GET", "/v1/search?q=a%00b", "", "", 400, "invalid_parameter", "control character"},
		{"an escaped NUL in a body q is refused", "POST", "/v1/search", "application/json", `{"q": "a\u0000b"}`, 400, "invalid_parameter", "control character"},
		{"a raw NUL byte inside a JSON string is refused", "POST", "/v1/search", "application/json", "{\"q\": \"a\x00b\"}", 400, "malformed_json", "JSON"},
		{"a NUL byte in a text to compare is refused", "POST", "/v1/similar", "application/json", `{"text": "an abstract\u0000"}`, 400, "invalid_parameter", "control character"},
		{"a 100,000-character q in the URL is refused", "GET", "/v1/search?q=" + huge, "", "", 400, "query_too_long", "100000"},
		{"a 100,000-character q in a body is refused", "POST", "/v1/search", "application/json", `{"q": "` + huge + `"}`, 400, "query_too_long", "100000"},
		{"a 100,000-character text is refused", "POST", "/v1/similar", "application/json", `{"text": "` + huge + `"}`, 400, "query_too_long", "100000"},

		{"a limit of 1e30 is refused", "GET", "/v1/search?q=x&limit=1e30", "", "", 400, "invalid_parameter", "limit"},
		{"a limit of 2^63 is refused", "GET", "/v1/search?q=x&limit=9223372036854775808", "", "", 400, "invalid_parameter", "limit"},
		{"a limit of 2^63-1 is refused", "GET", "/v1/search?q=x&limit=9223372036854775807", "", "", 400, "invalid_parameter", "limit"},
		{"a limit of -2^63 is refused", "GET", "/v1/search?q=x&limit=-9223372036854775808", "", "", 400, "invalid_parameter", "limit"},
		{"an offset of 2^63 is refused", "GET", "/v1/search?q=x&offset=9223372036854775808", "", "", 400, "invalid_parameter", "offset"},
		{"an offset of -2^63 is refused", "GET", "/v1/search?q=x&offset=-9223372036854775808", "", "", 400, "invalid_parameter", "offset"},
		{"an offset of 1e30 on similar is refused", "GET", "/v1/papers/" + id + "/similar?offset=1e30", "", "", 400, "invalid_parameter", "offset"},
		{"a limit of 1e30 in a body is refused", "POST", "/v1/search", "application/json", `{"q": "x", "limit": 1e30}`, 400, "malformed_json", `"limit"`},
		{"a limit of 2^63 in a body is refused", "POST", "/v1/search", "application/json", `{"q": "x", "limit": 9223372036854775808}`, 400, "malformed_json", `"limit"`},
		{"an offset of 2^63-1 in a body is refused", "POST", "/v1/similar", "application/json", `{"text": "x", "offset": 9223372036854775807}`, 400, "invalid_parameter", "offset"},
		{"an offset of -2^63 in a body is refused", "POST", "/v1/search", "application/json", `{"q": "x", "offset": -9223372036854775808}`, 400, "invalid_parameter", "offset"},
		{"a year of 2^63 is refused", "GET", "/v1/search?q=x&year_from=9223372036854775808", "", "", 400, "invalid_parameter", "year_from"},
		{"an unknown mode is refused", "GET", "/v1/search?q=x&mode=%00", "", "", 400, "invalid_parameter", "mode"},

		{"an unknown field in a search body is refused by name", "POST", "/v1/search", "application/json", `{"q": "x", "limt": 5}`, 400, "unknown_field", `"limt"`},
		{"an unknown field in a similar body is refused by name", "POST", "/v1/similar", "application/json", `{"txt": "an abstract"}`, 400, "unknown_field", `"txt"`},
		{"the unknown-field error lists the known fields", "POST", "/v1/search", "application/json", `{"query": "x", "order": "date"}`, 400, "unknown_field", "year_from"},

		{"an XML body answers 415", "POST", "/v1/search", "application/xml", `<q>x</q>`, 415, "unsupported_media_type", "application/xml"},
		{"a multipart body answers 415", "POST", "/v1/papers", "multipart/form-data; boundary=x", "--x\r\n\r\nid\r\n--x--", 415, "unsupported_media_type", "multipart/form-data"},
		{"an octet stream answers 415", "POST", "/v1/similar", "application/octet-stream", `{"text": "x"}`, 415, "unsupported_media_type", "octet-stream"},

		{"an id climbing out with ../ answers 404", "GET", "/v1/papers/../../etc/passwd", "", "", 404, "not_found", "passwd"},
		{"an id climbing out with %2e%2e%2f answers 404", "GET", "/v1/papers/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "", "", 404, "not_found", "passwd"},
		{"papers like a climbing id answer 404", "GET", "/v1/papers/..%2f..%2fetc%2fpasswd/similar", "", "", 404, "not_found", "passwd"},
		{"deleting a climbing id answers 404", "DELETE", "/v1/papers/../../etc/passwd", "", "", 404, "not_found", "passwd"},
		{"an id with a NUL byte is refused", "GET", "/v1/papers/%00", "", "", 400, "invalid_parameter", "control character"},
		{"papers like an id with a NUL byte are refused", "GET", "/v1/papers/a%00b/similar", "", "", 400, "invalid_parameter", "control character"},
		{"deleting an id with a NUL byte is refused", "DELETE", "/v1/papers/a%00b", "", "", 400, "invalid_parameter", "control character"},
		{"an id that is not UTF-8 is refused", "GET", "/v1/papers/%ff", "", "", 400, "invalid_parameter", "UTF-8"},
		{"an id with an ESC is refused", "GET", "/v1/papers/a%1Bb", "", "", 400, "invalid_parameter", "control character"},
		{"deleting an id with a tab is refused", "DELETE", "/v1/papers/a%09b", "", "", 400, "invalid_parameter", "control character"},

		{"a paper whose id holds an ESC is refused, as reading it is", "POST", "/v1/papers", "application/json", `{"id": "a\u001bb", "abstract": "x"}`, 400, "invalid_paper", "control characters"},
		{"a paper whose id holds a DEL is refused", "POST", "/v1/papers", "application/json", `{"id": "a\u007fb", "abstract": "x"}`, 400, "invalid_paper", "control characters"},
		{"a paper whose id holds a tab is refused", "POST", "/v1/papers", "application/json", `{"id": "a\tb", "abstract": "x"}`, 400, "invalid_paper", "control characters"},
		{"a paper with the id .. is refused, since no link reaches it", "POST", "/v1/papers", "application/json", `{"id": "..", "abstract": "x"}`, 400, "invalid_paper", "path segment"},
		{"a paper with an id climbing up is refused", "POST", "/v1/papers", "application/json", `{"id": "a/../b", "abstract": "x"}`, 400, "invalid_paper", "path segment"},
		{"a paper with a javascript: URL is refused", "POST", "/v1/papers", "application/json", `{"id": "js", "abstract": "x", "url": "javascript:alert(document.cookie)"}`, 400, "invalid_paper", "url"},
		{"a paper with a data: project page is refused", "POST", "/v1/papers", "application/json", `{"id": "data", "abstract": "x", "project_page": "data:text/html,<script>alert(1)</script>"}`, 400, "invalid_paper", "project_page"},
		{"a paper with a 10 MB abstract is refused", "POST", "/v1/papers", "application/json", `{"id": "big", "abstract": "` + strings.Repeat("word ", 2<<20) + `"}`, 413, "body_too_large", "bytes"},
		{"a paper with an abstract over the cap is refused", "POST", "/v1/papers", "application/json", `{"id": "big", "abstract": "` + strings.Repeat("w", paper.MaxAbstractLength+1) + `"}`, 400, "invalid_paper", fmt.Sprintf("limit is %d", paper.MaxAbstractLength)},
		{"a paper with a title over the cap is refused", "POST", "/v1/papers", "application/json", `{"id": "t", "abstract": "x", "title": "` + strings.Repeat("t", paper.MaxTitleLength+1) + `"}`, 400, "invalid_paper", "title"},
		{"a paper with too many authors is refused", "POST", "/v1/papers", "application/json", `{"id": "au", "abstract": "x", "authors": [` + strings.Repeat(`"A B",`, paper.MaxAuthors) + `"A B"]}`, 400, "invalid_paper", "authors"},
		{"a paper with too many categories is refused", "POST", "/v1/papers", "application/json", `{"id": "ca", "abstract": "x", "categories": [` + strings.Repeat(`"cs.LG",`, paper.MaxCategories) + `"cs.LG"]}`, 400, "invalid_paper", "categories"},

		{"a search with a category over the limit is refused", "GET", "/v1/search?q=x" + strings.Repeat("&category=cs.LG", search.MaxCategories+1), "", "", 400, "invalid_parameter", fmt.Sprintf("limit is %d", search.MaxCategories)},
		{"a search body with 40,000 categories is refused", "POST", "/v1/search", "application/json", `{"q": "x", "category": [` + strings.Repeat(`"a",`, 40_000) + `"a"]}`, 400, "invalid_parameter", fmt.Sprintf("limit is %d", search.MaxCategories)},
		{"a search with 100,000 comma-separated categories is refused", "GET", "/v1/search?q=x&category=" + strings.Repeat("a,", 100_000), "", "", 400, "invalid_parameter", fmt.Sprintf("limit is %d", search.MaxCategories)},
		{"a search body with 120,000 categories is too large", "POST", "/v1/search", "application/json", `{"q": "x", "category": [` + strings.Repeat(`"cs.LG",`, 120_000) + `"a"]}`, 413, "body_too_large", "a search needs no more"},
		{"a search with an author over the limit is refused", "GET", "/v1/search?q=x&author=" + strings.Repeat("a", search.MaxAuthorLength+1), "", "", 400, "invalid_parameter", "author"},
		{"a 200 KB mode is refused without being echoed", "POST", "/v1/search", "application/json", `{"q": "x", "mode": "` + strings.Repeat("m", 200_000) + `"}`, 400, "invalid_parameter", "mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := ts.do(t, tt.method, tt.path, tt.ctype, body)
			e := r.wantError(t, tt.status, tt.code)
			if !strings.Contains(e.Error.Message, tt.says) {
				t.Errorf("message %q does not mention %q", e.Error.Message, tt.says)
			}
			if len(r.body) > 2000 {
				t.Errorf("the answer is %d bytes: an error message need not echo the request", len(r.body))
			}
			ts.wantHealthy(t)
		})
	}
	if n := ts.stored(); n != len(seed) {
		t.Errorf("after the hostile requests the store holds %d papers, want %d", n, len(seed))
	}
	t.Run("the server still answers a good search afterwards", func(t *testing.T) {
		var page paper.Page
		ts.get(t, "/v1/search?q="+urlQuery(seed[0].Title)).decode(t, http.StatusOK, &page)
		if len(page.Results) == 0 || page.Results[0].ID != seed[0].ID {
			t.Errorf("results %v, want led by %s", ids(page.Results), seed[0].ID)
		}
	})
}

func TestConfiguredLimits(t *testing.T) {
	seed, _ := seedPapers(t)
	ts := newServer(t, server.Config{MaxQueryBytes: 50, MaxDepth: 30}, builtinEmbedder(t), seed)
	q51 := strings.Repeat("a", 51)

	refused := []struct {
		name, method, path, body string
		code, says               string
	}{
		{"a q one byte over MaxQueryBytes is refused", "GET", "/v1/search?q=" + q51, "", "query_too_long", "limit is 50"},
		{"a text one byte over MaxQueryBytes is refused", "POST", "/v1/similar", `{"text": "` + q51 + `"}`, "query_too_long", "limit is 50"},
		{"paging past MaxDepth is refused", "GET", "/v1/search?q=x&offset=25&limit=10", "", "invalid_parameter", "at most 30"},
		{"paging past MaxDepth with the default limit is refused", "GET", "/v1/search?q=x&offset=21", "", "invalid_parameter", "at most 30"},
		{"an offset past MaxDepth in a body is refused", "POST", "/v1/search", `{"q": "x", "offset": 31, "limit": 1}`, "invalid_parameter", "at most 30"},
		{"similar paging past MaxDepth is refused", "GET", "/v1/papers/" + seed[0].ID + "/similar?offset=30&limit=1", "", "invalid_parameter", "at most 30"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			e := ts.do(t, tt.method, tt.path, "application/json", body).wantError(t, http.StatusBadRequest, tt.code)
			if !strings.Contains(e.Error.Message, tt.says) {
				t.Errorf("message %q does not mention %q", e.Error.Message, tt.says)
			}
		})
	}
	t.Run("a q of exactly MaxQueryBytes and paging to exactly MaxDepth are answered", func(t *testing.T) {
		var page paper.Page
		ts.get(t, "/v1/search?q="+strings.Repeat("a", 50)+"&offset=20&limit=10").decode(t, http.StatusOK, &page)
		if page.Offset != 20 || page.Limit != 10 {
			t.Errorf("page offset %d limit %d, want 20 and 10", page.Offset, page.Limit)
		}
	})
	t.Run("limits above the engine's are held to the engine's", func(t *testing.T) {
		big := newServer(t, server.Config{MaxDepth: 1 << 40, MaxQueryBytes: 1 << 40}, builtinEmbedder(t), seed[:2])
		e := big.get(t, "/v1/search?q=x&offset=9995&limit=10").wantError(t, http.StatusBadRequest, "invalid_parameter")
		if !strings.Contains(e.Error.Message, fmt.Sprint(10000)) {
			t.Errorf("message %q does not name the engine's depth 10000", e.Error.Message)
		}
	})
}

// Papers come from many sources with fields of their own, so POST
// /v1/papers ignores unknown paper fields, unlike the search bodies.
func TestUnknownPaperFieldsAreIgnored(t *testing.T) {
	ts := newServer(t, server.Config{}, builtinEmbedder(t), nil)
	var st struct {
		Added int `json:"added"`
	}
	ts.postJSON(t, "/v1/papers", `{"id": "2601.00020", "abstract": "Has extras.", "doi": "10.1/x", "journal-ref": "J. 1"}`).decode(t, http.StatusCreated, &st)
	if st.Added != 1 || ts.stored() != 1 {
		t.Errorf("added %d, store holds %d; want the paper stored despite its unknown fields", st.Added, ts.stored())
	}
}
