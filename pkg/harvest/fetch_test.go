package harvest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// server answers with the answers given, one per request (the last one
// again once they run out), and records when each request came and with
// which User-Agent.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	times []time.Time
	uas   []string
}

type answer struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration // before answering
}

func serve(t *testing.T, answers ...answer) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.times)
		s.times = append(s.times, time.Now())
		s.uas = append(s.uas, r.Header.Get("User-Agent"))
		s.mu.Unlock()
		a := answers[min(n, len(answers)-1)]
		if a.delay > 0 {
			select {
			case <-time.After(a.delay):
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times...)
}

// isJSON accepts a body that starts with "[".
func isJSON(_ http.Header, b []byte) error {
	if !strings.HasPrefix(string(b), "[") {
		return errors.New("not a JSON array")
	}
	return nil
}

func TestGetRetriesWhatMayPass(t *testing.T) {
	ok := answer{status: 200, body: "[]"}
	tests := []struct {
		name     string
		answers  []answer
		requests int
		minGap   time.Duration // between the first two requests
	}{
		{"a 429 is tried again after its Retry-After", []answer{{status: 429, header: map[string]string{"Retry-After": "1"}}, ok}, 2, time.Second},
		{"a 503 is tried again after its Retry-After", []answer{{status: 503, header: map[string]string{"Retry-After": "1"}, body: "busy"}, ok}, 2, time.Second},
		{"a 503 without Retry-After is tried again after the backoff", []answer{{status: 503}, ok}, 2, 20 * time.Millisecond},
		{"a 500 is tried again with a doubling backoff", []answer{{status: 500}, {status: 502}, ok}, 3, 20 * time.Millisecond},
		{"a malformed page is tried again", []answer{{status: 200, body: "<html>"}, ok}, 2, 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serve(t, tt.answers...)
			c := &Client{Backoff: 20 * time.Millisecond, UserAgent: UserAgent("1.2.3")}
			if err := c.Get(context.Background(), s.URL, isJSON); err != nil {
				t.Fatalf("Get: %v", err)
			}
			times := s.requests()
			if len(times) != tt.requests || c.Requests() != int64(tt.requests) {
				t.Fatalf("the server saw %d requests, the client counts %d; want %d", len(times), c.Requests(), tt.requests)
			}
			if gap := times[1].Sub(times[0]); gap < tt.minGap {
				t.Errorf("the retry came %v after the first request, want at least %v", gap, tt.minGap)
			}
			if len(times) == 3 {
				if g1, g2 := times[1].Sub(times[0]), times[2].Sub(times[1]); g2 < 40*time.Millisecond {
					t.Errorf("the second retry came %v after the first (which waited %v), want the backoff doubled to at least 40ms", g2, g1)
				}
			}
		})
	}
}

func TestGetStopsOnWhatCannotPass(t *testing.T) {
	tests := []struct {
		name     string
		answers  []answer
		accept   func(http.Header, []byte) error
		retries  int
		timeout  time.Duration
		requests int
		want     []string // in the one-line error
	}{
		{
			name: "a malformed page after the retries names the URL and what came back", answers: []answer{{status: 200, body: "<html>\n<body>Oops</body>"}},
			accept: isJSON, retries: 2, requests: 3,
			want: []string{"GET http://", "answered 200 OK", `"<html> <body>Oops</body>"`, "not a JSON array", "(3 attempts)"},
		},
		{
			name: "a 404 is not tried again", answers: []answer{{status: 404, body: "no such route"}},
			accept: isJSON, retries: 5, requests: 1,
			want: []string{"answered 404 Not Found", "no such route", "check the URL"},
		},
		{
			name: "a permanent error is not tried again", answers: []answer{{status: 200, body: "[error]"}},
			accept:  func(http.Header, []byte) error { return Permanent(errors.New("badArgument: set is unknown")) },
			retries: 5, requests: 1,
			want: []string{"badArgument: set is unknown"},
		},
		{
			name: "a Retry-After beyond the longest wait ends it", answers: []answer{{status: 503, header: map[string]string{"Retry-After": "3600"}}},
			accept: isJSON, retries: 5, requests: 1,
			want: []string{"answered 503 Service Unavailable", "asks to wait 1h0m0s", "try again later"},
		},
		{
			name: "a server that keeps failing is given up on", answers: []answer{{status: 500}},
			accept: isJSON, retries: 1, requests: 2,
			want: []string{"answered 500 Internal Server Error", "server error", "(2 attempts)"},
		},
		{
			name: "an answer slower than the timeout is a failure", answers: []answer{{status: 200, body: "[]", delay: 5 * time.Second}},
			accept: isJSON, retries: -1, timeout: 50 * time.Millisecond, requests: 1,
			want: []string{"no answer within 50ms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serve(t, tt.answers...)
			c := &Client{Backoff: time.Millisecond, Retries: tt.retries, MaxWait: time.Minute, Timeout: tt.timeout}
			err := c.Get(context.Background(), s.URL+"/api/x?date=2026-11-21", tt.accept)
			var pe *PageError
			if !errors.As(err, &pe) {
				t.Fatalf("Get error = %v, want a *PageError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("the error is not one line: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if n := len(s.requests()); n != tt.requests {
				t.Errorf("the server saw %d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestGetIsPolite(t *testing.T) {
	s := serve(t, answer{status: 200, body: "[]"})
	c := &Client{Interval: 150 * time.Millisecond, UserAgent: UserAgent("1.2.3")}
	var wg sync.WaitGroup
	for range 4 { // from several goroutines at once: still one at a time
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Get(context.Background(), s.URL, isJSON); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	times := s.requests()
	t.Run("each request starts at least the interval after the answer before", func(t *testing.T) {
		if len(times) != 4 {
			t.Fatalf("%d requests, want 4", len(times))
		}
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap < 150*time.Millisecond {
				t.Errorf("request %d came %v after the one before, want at least 150ms", i+1, gap)
			}
		}
	})
	t.Run("the User-Agent names paperlens and its version", func(t *testing.T) {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, ua := range s.uas {
			if !strings.HasPrefix(ua, "paperlens/1.2.3 ") {
				t.Errorf("User-Agent %q, want paperlens/1.2.3 …", ua)
			}
		}
	})
}

func TestGetStopsWhenTheContextEnds(t *testing.T) {
	s := serve(t, answer{status: 503, header: map[string]string{"Retry-After": "60"}})
	c := &Client{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Get(ctx, s.URL, isJSON) }()
	deadline := time.Now().Add(30 * time.Second)
	for len(s.requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Get = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Get kept waiting out the Retry-After after its context ended")
	}
}

func TestRetryAfterReadsSecondsAndDates(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
		ok       bool
	}{
		{"seconds", "7", 7 * time.Second, true},
		{"an HTTP date", "Sat, 21 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"a date gone by is no wait", "Sat, 21 Nov 2026 09:00:00 GMT", 0, true},
		{"nothing", "", 0, false},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retryAfter(tt.in, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
