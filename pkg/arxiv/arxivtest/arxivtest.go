// Package arxivtest runs a local stand-in for arXiv's OAI-PMH interface
// (the live one cannot be reached from tests). It answers ListRecords with
// metadataPrefix=arXiv for one set: the first page for a from up to its
// last datestamp (noRecordsMatch after it), and the page a resumptionToken
// names, with OAI-PMH errors and faults on demand.
package arxivtest

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is the stand-in; its methods may be called while it serves.
type Server struct {
	*httptest.Server

	mu          sync.Mutex
	set         string // the one set it knows
	last        string // the latest datestamp of its records
	unavailable map[string]bool
	broken      map[string]bool
	refuse      map[string]int
	before      func(page string)
	pages       map[string]string // "first", or a token → the answer
	asked       map[string]int
	requests    []Request
}

// Unavailable makes the server answer 503 with "Retry-After: 1" the first
// time page ("first", or a token) is asked for.
func (s *Server) Unavailable(page string) { s.change(func() { s.unavailable[page] = true }) }

// Break makes the server answer page with something that is not XML, or
// mends it.
func (s *Server) Break(page string, broken bool) { s.change(func() { s.broken[page] = broken }) }

// Refuse makes the server answer badResumptionToken for token the next n
// times it is asked for, as a server whose tokens expired.
func (s *Server) Refuse(token string, n int) { s.change(func() { s.refuse[token] = n }) }

// SetLast sets the latest datestamp of the records: a harvest from a later
// day matches none.
func (s *Server) SetLast(day string) { s.change(func() { s.last = day }) }

// Before sets a function called before each answer with the page asked
// for; a test may block in it to hold the client between pages.
func (s *Server) Before(f func(page string)) { s.change(func() { s.before = f }) }

func (s *Server) change(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Request is one request the server saw.
type Request struct {
	Query     string
	Page      string // "first", a token, or "" for a request it refused
	At        time.Time
	UserAgent string
}

// New starts a server for set whose pages are the files of dir: first.xml
// for a harvest's first request, TOKEN.xml for the page a resumption token
// names. It is closed when the test ends.
func New(t testing.TB, dir, set, last string) *Server {
	t.Helper()
	s := newServer(t, set, last)
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pages in %s (%v)", dir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s.pages[strings.TrimSuffix(filepath.Base(f), ".xml")] = string(b)
	}
	return s
}

// Generated starts a server for set with n pages of perPage records each,
// ids prefix.00001 onwards, all with datestamp last.
func Generated(t testing.TB, set, last, prefix string, n, perPage int) *Server {
	t.Helper()
	s := newServer(t, set, last)
	id := 0
	for i := range n {
		var recs []string
		for range perPage {
			id++
			pid := fmt.Sprintf("%s.%05d", prefix, id)
			recs = append(recs, Record(pid, last, "Generated paper "+pid, fmt.Sprintf("Abstract of generated paper %s, about topic %d of many.", pid, id%17)))
		}
		token := ""
		if i < n-1 {
			token = fmt.Sprintf("%s|%d", set, (i+1)*perPage)
		}
		name := "first"
		if i > 0 {
			name = fmt.Sprintf("%s|%d", set, i*perPage)
		}
		s.pages[name] = Page(recs, token)
	}
	return s
}

func newServer(t testing.TB, set, last string) *Server {
	s := &Server{set: set, last: last, unavailable: map[string]bool{}, broken: map[string]bool{}, refuse: map[string]int{}, pages: map[string]string{}, asked: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	name, body := s.answer(q)
	req := Request{Query: r.URL.RawQuery, Page: name, At: time.Now(), UserAgent: r.Header.Get("User-Agent")}
	s.requests = append(s.requests, req)
	s.asked[name]++
	first := s.asked[name] == 1
	unavailable, broken, before := s.unavailable[name], s.broken[name], s.before
	s.mu.Unlock()
	if before != nil {
		before(name)
	}
	switch {
	case unavailable && first:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "Retry after 1 second")
		return
	case broken:
		fmt.Fprint(w, "<html><body>Internal error</body>")
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprint(w, body)
}

// answer picks the answer to a query; s.mu is held.
func (s *Server) answer(q map[string][]string) (string, string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if get("verb") != "ListRecords" {
		return "", errorPage("badVerb", "only ListRecords is served here")
	}
	if token := get("resumptionToken"); token != "" {
		if len(q) != 2 {
			return "", errorPage("badArgument", "resumptionToken is an exclusive argument")
		}
		if body, ok := s.pages[token]; ok && s.refuse[token] == 0 {
			return token, body
		}
		if s.refuse[token] > 0 {
			s.refuse[token]--
		}
		return "", errorPage("badResumptionToken", "The value of the resumptionToken argument is invalid or expired.")
	}
	switch {
	case get("metadataPrefix") != "arXiv":
		return "", errorPage("cannotDisseminateFormat", "only metadataPrefix=arXiv is served here")
	case get("set") != s.set:
		return "", errorPage("badArgument", fmt.Sprintf("unknown set %q", get("set")))
	case get("from") > s.last:
		return "", errorPage("noRecordsMatch", "The combination of the values of the from, until, set and metadataPrefix arguments results in an empty list.")
	}
	return "first", s.pages["first"]
}

const head = `<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2026-11-23T02:00:00Z</responseDate>
<request verb="ListRecords">http://oaipmh.arxiv.org/oai</request>
`

func errorPage(code, msg string) string {
	return head + fmt.Sprintf("<error code=%q>%s</error>\n</OAI-PMH>\n", code, html.EscapeString(msg))
}

// Page is a ListRecords answer holding records, with a resumption token
// for the next page ("" for the last page).
func Page(records []string, token string) string {
	tok := `<resumptionToken completeListSize="0" cursor="0"/>`
	if token != "" {
		tok = fmt.Sprintf(`<resumptionToken completeListSize="0" cursor="0">%s</resumptionToken>`, html.EscapeString(token))
	}
	return head + "<ListRecords>\n" + strings.Join(records, "\n") + "\n" + tok + "\n</ListRecords>\n</OAI-PMH>\n"
}

// Record is a record in the arXiv metadata format.
func Record(id, datestamp, title, abstract string) string {
	return fmt.Sprintf(`<record><header><identifier>oai:arXiv.org:%s</identifier><datestamp>%s</datestamp><setSpec>cs</setSpec></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>%s</id><created>%s</created><authors><author><keyname>Author</keyname><forenames>An</forenames></author></authors><title>%s</title><categories>cs.LG</categories><abstract>%s</abstract></arXiv></metadata></record>`,
		id, datestamp, id, datestamp, html.EscapeString(title), html.EscapeString(abstract))
}
