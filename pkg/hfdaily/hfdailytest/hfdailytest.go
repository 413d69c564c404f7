// Package hfdailytest runs a local stand-in for the Hugging Face Daily
// Papers API (the live one cannot be reached from tests): GET
// /api/daily_papers?date=YYYY-MM-DD&limit=N&p=P answers the day's entries,
// a JSON array cut into pages as the API documents, with faults on demand.
package hfdailytest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is the stand-in; its methods may be called while it serves.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	days     map[string][]json.RawMessage
	tooMany  map[string]bool
	broken   map[string]bool
	link     bool
	before   func(day string)
	asked    map[string]int
	requests []Request
}

// TooMany makes the server answer 429 with "Retry-After: 1" the first time
// day is asked for.
func (s *Server) TooMany(day string) { s.set(func() { s.tooMany[day] = true }) }

// Break makes the server answer requests for day with an HTML page instead
// of JSON, or mends it.
func (s *Server) Break(day string, broken bool) { s.set(func() { s.broken[day] = broken }) }

// Link makes the server announce each next page in a Link header, whose URL
// carries via=link.
func (s *Server) Link() { s.set(func() { s.link = true }) }

// Before sets a function called before each answer with the day asked for;
// a test may block in it to hold the client between pages.
func (s *Server) Before(f func(day string)) { s.set(func() { s.before = f }) }

func (s *Server) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Request is one request the server saw.
type Request struct {
	URL       string
	Day       string
	Page      int
	At        time.Time
	UserAgent string
}

// New starts a server with the days in the files dir/YYYY-MM-DD.json (each a
// JSON array of entries), closed when the test ends.
func New(t testing.TB, dir string) *Server {
	t.Helper()
	s := &Server{days: map[string][]json.RawMessage{}, tooMany: map[string]bool{}, broken: map[string]bool{}, asked: map[string]int{}}
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no days in %s (%v)", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var entries []json.RawMessage
			if err := json.Unmarshal(b, &entries); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			s.days[strings.TrimSuffix(filepath.Base(f), ".json")] = entries
		}
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// SetDay sets the entries of a day.
func (s *Server) SetDay(day string, entries []json.RawMessage) {
	s.set(func() { s.days[day] = entries })
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/daily_papers" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	day := q.Get("date")
	limit, err1 := strconv.Atoi(cmp.Or(q.Get("limit"), "50"))
	page, err2 := strconv.Atoi(cmp.Or(q.Get("p"), "0"))
	if _, err := time.Parse(time.DateOnly, day); err != nil || err1 != nil || err2 != nil || limit < 1 || page < 0 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"bad date, limit or p"}`)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{URL: r.URL.String(), Day: day, Page: page, At: time.Now(), UserAgent: r.Header.Get("User-Agent")})
	s.asked[day]++
	first := s.asked[day] == 1
	entries := s.days[day]
	tooMany, broken, link, before := s.tooMany[day], s.broken[day], s.link, s.before
	s.mu.Unlock()
	if before != nil {
		before(day)
	}
	switch {
	case tooMany && first:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":"You are being rate limited"}`)
		return
	case broken:
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	}
	lo := min(page*limit, len(entries))
	hi := min(lo+limit, len(entries))
	if link && hi < len(entries) {
		next := *r.URL
		q.Set("p", strconv.Itoa(page+1))
		q.Set("via", "link") // so a test can tell the link was followed
		next.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	out := append([]json.RawMessage{}, entries[lo:hi]...)
	b, _ := json.Marshal(out)
	w.Write(b)
}

// Entry makes an entry of the API's shape for paper id.
func Entry(id, title, summary string, upvotes int) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"paper": map[string]any{
			"id": id, "title": title, "summary": summary, "upvotes": upvotes,
			"authors":     []map[string]any{{"_id": "a" + id, "name": "Author of " + id, "hidden": false}},
			"publishedAt": "2026-11-19T17:00:00.000Z",
		},
		"title": title, "summary": summary, "publishedAt": "2026-11-19T12:00:00.000Z", "numComments": 0,
	})
	return b
}
