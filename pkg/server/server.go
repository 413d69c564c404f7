// Package server is the HTTP API of paperlens: JSON in, JSON out, over the
// query road (package search) and the write road (package ingest). It is
// built on gin, which stays inside this package: New returns a plain
// http.Handler.
//
// # Routes
//
//	GET    /healthz                       {"status":"ok"}
//	GET    /metrics                       Prometheus text format
//	GET    /openapi.json                  the OpenAPI 3 description of the API
//	GET    /v1/stats                      {"count","embedder","model","dimension"}, and "sync" (Config.Sync)
//	GET    /v1/search?q=…&limit=&offset=  a page of hits for a query
//	POST   /v1/search                     the same, from {"q"|"query","limit","offset"}
//	POST   /v1/similar                    a page of hits like {"text","limit","offset"}
//	POST   /v1/recommend                  a page of hits like {"positive":[…]} and not {"negative":[…]}
//	GET    /v1/papers/{id}                one paper
//	GET    /v1/papers/{id}/similar        a page of hits like a stored paper, without it
//	DELETE /v1/papers/{id}                {"deleted":"ID"}
//	POST   /v1/papers                     upsert papers: {"added","updated","unchanged","embedded"}
//
//	GET    /feeds/search.atom?q=…         Atom: the newest papers matching a query
//	GET    /feeds/like.atom?paper=ID&…    Atom: the newest papers like a reading list (not=ID: unlike)
//
// The pages for people (/, /papers/{id}, /library, /widget.js, /widget/{id},
// /static/…) are package web's, mounted beside the API.
//
// # Feeds
//
// A feed takes the parameters of a search (mode, filters, limit), with
// other defaults: the newest FeedLimit papers published in the last
// FeedDays days (since=YYYY-MM-DD to reach elsewhere, since= for no
// bound), newest first (sort=date). Its id, and each entry's id
// (urn:paperlens:paper:ID), are the same from request to request; it
// carries an ETag and a Last-Modified and answers 304 to a reader whose
// copy is current. A bad parameter is a JSON 400, as anywhere in the API.
// Feeds are reads: they need no key.
//
// # CORS
//
// Config.CORSOrigins names the sites whose pages may call the API from a
// browser (the related-papers widget does). By default none may; same-origin
// pages need no permission. Only the read routes are shared (GET, and POST
// /v1/search and /v1/similar); a preflight from another site or for another
// route is answered 403 cors_forbidden.
//
// A page is paper.Page: {"results":[…],"total","limit","offset","took_ms"},
// with results [] rather than null when empty. limit defaults to
// search.DefaultLimit and must be 1..search.MaxLimit; offset must be 0 or
// more, and offset+limit at most Config.MaxDepth.
//
// # Paper ids with a slash
//
// Old-style arXiv ids contain a slash (hep-th/9901001). The /v1/papers/…
// routes are one catch-all route, so such an id may be sent as it is
// (/v1/papers/hep-th/9901001) or escaped (/v1/papers/hep-th%2F9901001). A
// path ending in "/similar" always means the similar-papers route, so a paper
// whose id itself ends in "/similar" cannot be fetched by id. Ids are
// normalised with paper.NormalizeID: a version suffix such as "v2" is
// dropped.
//
// # Bodies
//
// POST bodies are JSON in UTF-8 and at most Config.MaxBodyBytes long (256
// KiB at most for a search or a text to compare). A Content-Type, when
// present, must be JSON-like: application/json (or any +json type),
// application/x-ndjson, application/jsonl, or, for the read routes only,
// text/plain. The
// bodies of POST /v1/search and /v1/similar are one JSON object whose fields
// are those above and the query options (mode, year_from, year_to, category,
// author, highlight, explain); an unknown field is answered 400
// unknown_field naming it, so a misspelt option is never silently ignored.
// POST /v1/papers takes a JSON array of papers, a single paper object, or
// JSON Lines (one object per line); a paper has id, title, abstract, authors
// (list), published (YYYY-MM-DD; "date" is accepted as a synonym),
// categories (list) and url. Papers are read by package loader, as
// 'paperlens ingest' reads a JSON Lines file. Unknown paper fields are
// ignored, since papers come from many sources with fields of their own. It
// answers 201 when a paper was added or updated, 200 when all were
// unchanged; if one paper is invalid or an id comes twice, none is stored
// and the error names the paper by its place in the array or its line.
//
// # Limits
//
// Config.MaxBodyBytes bounds a body, Config.MaxPapers the papers of one
// POST /v1/papers, Config.MaxQueryBytes a query or text, and
// Config.MaxDepth how deep (offset+limit) a client may page; package
// search caps the lists and strings of a request (search.MaxCategories…)
// and package paper the fields of a paper (paper.MaxAbstractLength…). A
// query or text must be UTF-8 without control characters other than tab
// and line breaks; a paper id with a control character (such as NUL or
// tab) is answered 400.
//
// # Keys for writes, and where writes may come from
//
// With Config.APIKey set, POST /v1/papers and DELETE /v1/papers/{id} need
// "Authorization: Bearer KEY" (the scheme in any case); without it they
// answer 401 unauthorized with "WWW-Authenticate: Bearer". Reads, including
// POST /v1/search and /v1/similar, stay open. With or without a key, a
// write a browser sends from a page of another site (Sec-Fetch-Site, or
// Origin from an older browser) answers 403 cross_site_write, and papers
// sent as text/plain answer 415: a form or a fetch on any site can send
// those without asking first. With Config.CheckHost (serve sets it when it
// listens on loopback), a request whose Host names neither this machine
// nor one of Config.AllowedHosts answers 421 misdirected_request, which
// stops DNS rebinding.
//
// # Metrics and description
//
// GET /metrics answers Config.Metrics in the Prometheus text format: request
// counts and latencies by method, route pattern and status, embedder latency
// and errors (when the embedder was wrapped with Metrics.Embedder), the
// number of papers stored, and with Config.Sync the syncs of each source
// (Metrics.SyncSources). GET /openapi.json answers the OpenAPI 3
// description of every route (the OpenAPI variable).
//
// # Errors
//
// Every error is {"error":{"code":"…","message":"…"}}, where the message
// says what was wrong and what to do. The codes are:
//
//	invalid_parameter      400  limit, offset or another parameter out of range or not a number
//	empty_query            400  q (or text) is missing or blank
//	query_too_long         400  q (or text) is longer than Config.MaxQueryBytes
//	malformed_json         400  the body is not valid UTF-8 JSON, or a field has the wrong type
//	unknown_field          400  a search or similar body has a field the API does not know
//	empty_body             400  POST /v1/papers without any paper
//	invalid_paper          400  a paper cannot be stored (no id, no abstract, bad date…); names it
//	unauthorized           401  a write without the API key (Config.APIKey)
//	cors_forbidden         403  a preflight from a site not in Config.CORSOrigins, or for a write route
//	cross_site_write       403  a write a browser sent from a page of another site
//	not_found              404  unknown paper id or unknown route
//	method_not_allowed     405  the route exists for other methods (see the Allow header)
//	body_too_large         413  the body is longer than Config.MaxBodyBytes
//	too_many_papers        413  more papers than Config.MaxPapers in one POST /v1/papers
//	unsupported_media_type 415  a POST whose Content-Type is not JSON
//	misdirected_request    421  a Host that is not this machine's, with Config.CheckHost
//	embedder_unavailable   503  the embedder cannot be reached; retry when it is back
//	internal               500  anything else, including a recovered panic; the log has the error
//
// A request whose client left before its answer is logged and counted with
// the status 499 (client_closed_request), below ERROR: no one reads it.
package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/metrics"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/web"
)

// DefaultMaxBodyBytes bounds a request body when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes int64 = 16 << 20

// DefaultMaxPapers bounds the papers of one POST /v1/papers when
// Config.MaxPapers is 0: about what a body of DefaultMaxBodyBytes holds
// of real abstracts (arXiv's average 1.5 KB each with their metadata).
const DefaultMaxPapers = 10000

// maxQueryBody bounds the body of POST /v1/search and /v1/similar (or
// Config.MaxBodyBytes, if smaller): room for the longest text
// (search.MaxQueryLength) written in JSON escapes six bytes a byte, and
// every option, with room to spare.
const maxQueryBody int64 = 256 << 10

// Config tunes the handler. The zero value works.
type Config struct {
	// MaxBodyBytes bounds a request body; a longer one is answered 413.
	// 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxQueryBytes bounds q (or text) in bytes; a longer one is answered
	// 400 query_too_long. 0, or more than search.MaxQueryLength, means
	// search.MaxQueryLength.
	MaxQueryBytes int
	// MaxDepth bounds offset+limit, how deep into a ranking a client may
	// page. 0, or more than search.MaxDepth, means search.MaxDepth.
	MaxDepth int
	// APIKey, when not empty, is the bearer token that POST /v1/papers and
	// DELETE /v1/papers/{id} need ("Authorization: Bearer KEY"). Reads stay
	// open. Empty leaves writes open too.
	APIKey string
	// Logger receives one record per request (Info; Error for a 5xx or a
	// recovered panic). nil discards them.
	Logger *slog.Logger
	// Metrics counts requests and serves them at GET /metrics. nil makes a
	// fresh metrics.New(); pass your own to count the embedder as well
	// (wrap it with Metrics.Embedder before building the engine).
	Metrics *metrics.Metrics
	// CORSOrigins are the origins (scheme://host[:port], or "*" for any)
	// whose pages may call the read routes from a browser. Empty allows
	// same-origin pages only. Check values with ParseOrigin.
	CORSOrigins []string
	// MaxPapers bounds the papers of one POST /v1/papers; more are
	// answered 413 too_many_papers. 0 means DefaultMaxPapers.
	MaxPapers int
	// CheckHost answers only requests whose Host header names this machine
	// (localhost, a name under .localhost, a loopback address) or one of
	// AllowedHosts, and any other 421 misdirected_request. A server
	// listening on loopback should set it: it stops DNS rebinding, by
	// which a page on another site reaches a server on 127.0.0.1 under
	// that site's name.
	CheckHost bool
	// AllowedHosts are the host names (a port is ignored) answered besides
	// this machine's when CheckHost is set, such as the name a reverse
	// proxy on this machine passes on.
	AllowedHosts []string
	// Sync, if set, tells how the sources synced in the background fare
	// (harvest.Scheduler.Status): GET /v1/stats lists them under "sync",
	// and /metrics has their paperlens_sync_* series.
	Sync func() []harvest.Status
}

// server holds what the handlers need.
type server struct {
	eng        *search.Engine
	ing        *ingest.Ingester
	maxBody    int64
	maxPapers  int
	keyHash    []byte // sha256 of Config.APIKey; nil when writes are open
	log        *slog.Logger
	metrics    *metrics.Metrics
	sync       func() []harvest.Status
	sameOrigin *http.CrossOriginProtection // for writes; it trusts no other origin
}

// New returns the HTTP API over eng (queries) and ing (writes). Both must
// share one store. gin runs in release mode and prints nothing; requests are
// logged through cfg.Logger only.
func New(cfg Config, eng *search.Engine, ing *ingest.Ingester) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if eng != nil { // the engine checks requests against this server's limits
		eng = eng.WithLimits(search.Limits{MaxQueryBytes: cfg.MaxQueryBytes, MaxDepth: cfg.MaxDepth})
	}
	s := &server{eng: eng, ing: ing, maxBody: cfg.MaxBodyBytes, maxPapers: cfg.MaxPapers, log: cfg.Logger, metrics: cfg.Metrics,
		sync: cfg.Sync, sameOrigin: http.NewCrossOriginProtection()}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.maxPapers <= 0 {
		s.maxPapers = DefaultMaxPapers
	}
	if cfg.APIKey != "" {
		h := sha256.Sum256([]byte(cfg.APIKey))
		s.keyHash = h[:]
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.metrics == nil {
		s.metrics = metrics.New()
	}
	if eng != nil {
		s.metrics.StoredPapers(eng.Count)
	}
	if s.sync != nil {
		s.metrics.SyncSources(s.sync)
	}

	r := gin.New()
	// Answer the path asked for, never a redirect to a guessed one.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.Use(s.logRequests, s.recoverPanics, noSniff)
	if cfg.CheckHost {
		r.Use(newHosts(cfg.AllowedHosts).handle(s))
	}
	r.Use(newCORS(cfg.CORSOrigins).handle(s), s.limitBody)
	pages := gin.WrapH(web.New(eng, web.Config{Logger: s.log}))
	r.NoRoute(func(c *gin.Context) {
		if m := c.Request.Method; (m == http.MethodGet || m == http.MethodHead) && !apiPath(c.Request.URL.Path) {
			pages(c) // a page for people: its 404 is a page too
			return
		}
		s.fail(c, http.StatusNotFound, codeNotFound, "no route "+c.Request.Method+" "+c.Request.URL.Path+": the API serves /healthz, /v1/stats, /v1/search, /v1/similar, /v1/papers, /metrics and /openapi.json")
	})
	r.NoMethod(func(c *gin.Context) {
		s.fail(c, http.StatusMethodNotAllowed, codeMethodNotAllowed, c.Request.Method+" is not allowed on "+c.Request.URL.Path+": use "+c.Writer.Header().Get("Allow"))
	})

	r.GET("/healthz", s.health)
	r.GET("/metrics", gin.WrapH(s.metrics.Handler()))
	r.GET("/openapi.json", serveOpenAPI)
	v1 := r.Group("/v1")
	v1.GET("/stats", s.stats)
	v1.GET("/search", s.searchGet)
	v1.POST("/search", s.requireJSON, s.searchPost)
	v1.POST("/similar", s.requireJSON, s.similarText)
	v1.POST("/recommend", s.requireJSON, s.recommend)
	v1.POST("/papers", s.crossSite, s.requireKey, s.requireWriteJSON, s.upsertPapers)
	// One catch-all for /v1/papers/{id} and /v1/papers/{id}/similar, since
	// ids may contain a slash.
	v1.GET("/papers/*rest", s.getPaper)
	v1.DELETE("/papers/*rest", s.crossSite, s.requireKey, s.deletePaper)

	for path, feed := range map[string]gin.HandlerFunc{"/feeds/search.atom": s.searchFeed, "/feeds/like.atom": s.likeFeed} {
		r.GET(path, feed)
		r.HEAD(path, feed)
	}
	for _, path := range []string{"/", "/papers/*id", "/library", "/widget.js", "/widget/*id", "/static/*file"} {
		r.GET(path, pages)
		r.HEAD(path, pages)
	}
	return r
}

// apiPath reports whether path is the API's (a version such as /v1/, or
// one of its unversioned routes) rather than a page's, so an unknown one
// is answered in JSON.
func apiPath(path string) bool {
	switch path {
	case "/healthz", "/metrics", "/openapi.json":
		return true
	}
	return len(path) > 2 && path[1] == 'v' && path[2] >= '0' && path[2] <= '9'
}

// requireKey answers 401 unless the request carries the API key as a bearer
// token. It lets everything through when no key is configured. The key is
// compared in constant time, as sha256 digests so that its length does not
// leak either.
func (s *server) requireKey(c *gin.Context) {
	if s.keyHash == nil {
		c.Next()
		return
	}
	auth := c.GetHeader("Authorization")
	scheme, token, ok := strings.Cut(strings.TrimSpace(auth), " ")
	ok = ok && strings.EqualFold(scheme, "Bearer") // the scheme is case-insensitive (RFC 9110 11.1)
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if ok && subtle.ConstantTimeCompare(got[:], s.keyHash) == 1 {
		c.Next()
		return
	}
	c.Header("WWW-Authenticate", `Bearer realm="paperlens"`)
	msg := "this route changes the index and needs the API key: send the header Authorization: Bearer <key>"
	if auth != "" {
		msg = "the Authorization header does not hold the API key: send Authorization: Bearer <key> with the key the server was started with"
	}
	s.fail(c, http.StatusUnauthorized, codeUnauthorized, msg)
}

// route names the route a request matched as a pattern, never the raw path,
// so that metric labels stay few.
func route(c *gin.Context) string {
	switch p := c.FullPath(); p {
	case "":
		return "unmatched"
	case "/v1/papers/*rest":
		if strings.HasSuffix(c.Request.URL.Path, "/similar") && c.Request.Method == http.MethodGet {
			return "/v1/papers/{id}/similar"
		}
		return "/v1/papers/{id}"
	default:
		return p
	}
}

// logRequests logs each request once it is answered.
func (s *server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	took := time.Since(start)
	s.metrics.ObserveRequest(c.Request.Method, route(c), status, took)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("route", route(c)),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Int("bytes", c.Writer.Size()),
		slog.Duration("took", took),
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, slog.String("error", c.Errors.Last().Error()))
	}
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

// recoverPanics turns a panic in a handler into a JSON 500 and a log record.
func (s *server) recoverPanics(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler { // let net/http abort the response as asked
			panic(v)
		}
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "panic",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Any("value", v),
			slog.String("stack", string(debug.Stack())))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		s.fail(c, http.StatusInternalServerError, codeInternal, "the server failed while answering this request; the server log has the details")
	}()
	c.Next()
}

// limitBody caps every request body at bodyLimit bytes.
func (s *server) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.bodyLimit(c))
	}
	c.Next()
}

// bodyLimit is the longest body the request's route takes: s.maxBody, or
// less for a search or a text to compare, which never need as much.
func (s *server) bodyLimit(c *gin.Context) int64 {
	switch c.Request.URL.Path {
	case "/v1/search", "/v1/similar":
		return min(s.maxBody, maxQueryBody)
	case "/v1/recommend": // every example a text as long as a query may be
		return min(s.maxBody, 2*search.MaxExamples*search.MaxQueryLength+maxQueryBody)
	}
	return s.maxBody
}

// readBody reads the whole (capped) body, answering 413 when it is too long
// or 400 when it cannot be read. It reports whether the handler may go on.
func (s *server) readBody(c *gin.Context) ([]byte, bool) {
	if c.Request.ContentLength > s.bodyLimit(c) {
		s.tooLarge(c)
		return nil, false
	}
	if c.Request.Body == nil {
		return nil, true
	}
	b, err := io.ReadAll(c.Request.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.tooLarge(c)
		return nil, false
	case err != nil:
		s.fail(c, http.StatusBadRequest, codeMalformedJSON, "cannot read the request body ("+err.Error()+"): send it again")
		return nil, false
	}
	return b, true
}
