// Package harvest keeps a data folder current from remote sources (the
// Hugging Face Daily Papers API, arXiv's OAI-PMH interface): it fetches
// their pages politely, stores each page's papers through the ingest road,
// keeps a cursor per source in the data folder that only moves past papers
// that are stored, sums up what a sync did, and runs syncs on a schedule.
// The sources themselves are in packages named after them (hfdaily, arxiv).
package harvest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Client.
const (
	// DefaultTimeout bounds one request, the body included.
	DefaultTimeout = time.Minute
	// DefaultRetries is how many times a failed request is tried again.
	DefaultRetries = 5
	// DefaultBackoff is the wait after the first failure; it doubles with
	// each retry, up to maxBackoff.
	DefaultBackoff = 2 * time.Second
	// DefaultMaxWait is the longest Retry-After a Client waits for; a
	// server asking for more ends the fetch with an error.
	DefaultMaxWait = 10 * time.Minute
	// ArxivInterval is arXiv's rule for its APIs: no more than one request
	// every three seconds, on one connection at a time.
	ArxivInterval = 3 * time.Second

	maxBackoff  = time.Minute
	maxPageSize = 256 << 20
)

// UserAgent is the User-Agent a Client sends for paperlens at version.
func UserAgent(version string) string {
	return "paperlens/" + version + " (+https://github.com/paperlens/paperlens)"
}

// Client fetches pages politely: one request at a time, each starting at
// least Interval after the previous answer ended, each bounded by Timeout, and a
// failed one tried again a bounded number of times, with exponential
// backoff, or after a 429 or 503 when the server's Retry-After says. The
// fields may be set before first use; a Client is safe for concurrent use
// (requests still go one at a time).
type Client struct {
	// HTTP sends the requests; nil means a plain http.Client (the
	// timeout comes from Timeout).
	HTTP *http.Client
	// UserAgent names the caller (see UserAgent); it should name paperlens
	// and its version.
	UserAgent string
	// Timeout bounds each request, reading the body included;
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// Interval is the least time between the end of an answer and the
	// next request (ArxivInterval for arXiv); 0 means none.
	Interval time.Duration
	// Retries is how many times a failed request is tried again; 0 means
	// DefaultRetries, a negative number none.
	Retries int
	// Backoff is the wait after the first failure, doubled after each
	// next one; 0 means DefaultBackoff.
	Backoff time.Duration
	// MaxWait is the longest Retry-After honoured; 0 means DefaultMaxWait.
	MaxWait time.Duration

	mu       sync.Mutex // held for a whole Get: one request at a time
	last     time.Time  // when the last answer ended
	requests atomic.Int64
}

// Requests returns how many HTTP requests the client has sent, retries
// included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// permanent marks an error that another try cannot cure.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks an error from an accept function that trying again cannot
// cure, such as an OAI-PMH error answer: Get returns it without retrying.
func Permanent(err error) error { return permanent{err} }

// PageError is a page that could not be fetched or used, after the retries
// it deserved: which URL, what came back, and why it is no good.
type PageError struct {
	URL      string
	Status   string // the HTTP status line, "" when no answer came
	Got      string // the start of the body, for the message
	Attempts int
	Err      error
}

// Error says in one line what was asked, what came back and why it is no
// good.
func (e *PageError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s: ", e.URL)
	if e.Status != "" {
		fmt.Fprintf(&b, "answered %s", e.Status)
		if e.Got != "" {
			fmt.Fprintf(&b, " %q", e.Got)
		}
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Err.Error()))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns why the page is no good.
func (e *PageError) Unwrap() error { return e.Err }

// Get fetches url and hands the answer's header and body to accept, which
// parses it and returns an error when the page is unusable. Get tries again,
// after waiting, when the request fails, the server answers 429 or 5xx, or
// accept returns an error not marked Permanent. Other answers (404, 400…)
// and permanent errors end it at once. Its error is a *PageError unless ctx
// ended.
func (c *Client) Get(ctx context.Context, url string, accept func(h http.Header, body []byte) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	retries := c.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	backoff := cmp.Or(c.Backoff, DefaultBackoff)
	for attempt := 1; ; attempt++ {
		if err := c.waitTurn(ctx, 0); err != nil {
			return err
		}
		status, body, header, err := c.do(ctx, url)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pe := &PageError{URL: url, Status: status, Attempts: attempt}
		wait := backoff << (attempt - 1)
		if wait > maxBackoff || wait <= 0 {
			wait = maxBackoff
		}
		retry := true
		switch code := statusCode(status); {
		case err != nil:
			pe.Err = err
		case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
			pe.Got, pe.Err = snippet(body), errors.New("the server asks to slow down")
			if d, ok := retryAfter(header.Get("Retry-After"), time.Now()); ok {
				wait = d
				if d > cmp.Or(c.MaxWait, DefaultMaxWait) {
					pe.Err = fmt.Errorf("the server asks to wait %v (Retry-After), more than the %v paperlens waits: try again later", d, cmp.Or(c.MaxWait, DefaultMaxWait))
					retry = false
				}
			}
		case code >= 500:
			pe.Got, pe.Err = snippet(body), errors.New("server error")
		case code < 200 || code > 299:
			pe.Got, pe.Err = snippet(body), errors.New("not a page: check the URL")
			retry = false
		default:
			err := accept(header, body)
			if err == nil {
				return nil
			}
			var p permanent
			if errors.As(err, &p) {
				err, retry = p.err, false
			}
			pe.Got, pe.Err = snippet(body), err
		}
		if !retry || attempt > retries {
			return pe
		}
		if err := c.waitTurn(ctx, wait); err != nil {
			return err
		}
	}
}

// waitTurn waits until at least d has passed since now and Interval since
// the last answer ended.
func (c *Client) waitTurn(ctx context.Context, d time.Duration) error {
	until := time.Now().Add(d)
	if next := c.last.Add(c.Interval); next.After(until) {
		until = next
	}
	return sleep(ctx, time.Until(until))
}

// do sends one request and reads the whole answer.
func (c *Client) do(ctx context.Context, url string) (status string, body []byte, h http.Header, err error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.Timeout, DefaultTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", nil, nil, err
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	c.requests.Add(1)
	defer func() { c.last = time.Now() }()
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", nil, nil, fmt.Errorf("no answer within %v", cmp.Or(c.Timeout, DefaultTimeout))
		}
		return "", nil, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxPageSize+1))
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("the answer did not arrive whole within %v", cmp.Or(c.Timeout, DefaultTimeout))
	case err != nil:
		err = fmt.Errorf("reading the answer: %w", err)
	case len(body) > maxPageSize:
		err = fmt.Errorf("the answer is larger than %d MiB", maxPageSize>>20)
	}
	return resp.Status, body, resp.Header, err
}

// statusCode reads the code at the start of a status line; 0 for none.
func statusCode(status string) int {
	n, _ := strconv.Atoi(strings.SplitN(status, " ", 2)[0])
	return n
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// snippet is the start of a body, for an error message.
func snippet(b []byte) string {
	const n = 120
	s := strings.ToValidUTF8(string(b[:min(len(b), n)]), "?")
	s = oneLine(s)
	if len(b) > n {
		s += "…"
	}
	return s
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
