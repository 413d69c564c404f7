// Package ollama is the Embedder that asks an Ollama server for vectors
// through its /api/embed endpoint. It is the only package that imports the
// Ollama client.
package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/paperlens/paperlens/embeddings"
)

// Defaults used when the matching Config field is zero.
const (
	DefaultHost      = "http://127.0.0.1:11434"
	DefaultBatchSize = 32
	DefaultTimeout   = 60 * time.Second
	DefaultRetries   = 3
	DefaultBackoff   = 200 * time.Millisecond
)

// maxBackoff caps the wait between two attempts.
const maxBackoff = 5 * time.Second

// ErrModelNotFound is wrapped by the error Embed returns when the server
// does not have the model; `ollama pull MODEL` fixes it.
var ErrModelNotFound = errors.New("ollama: model not found")

// Config says which server and model to use. The zero value of every field
// but Model picks a default that works with a local `ollama serve`.
type Config struct {
	// Host is the server's base URL, e.g. "http://127.0.0.1:11434". Empty
	// means the OLLAMA_HOST environment variable, read the way the ollama
	// command reads it ("0.0.0.0", "myhost:8080" and "https://host" all
	// work), or DefaultHost when that is unset too.
	Host string
	// Model is the embedding model, e.g. "nomic-embed-text". Required.
	Model string
	// BatchSize is how many texts go into one /api/embed call; 0 means
	// DefaultBatchSize.
	BatchSize int
	// Timeout bounds each /api/embed call; 0 means DefaultTimeout. A call
	// that times out is not retried: the server is busy or the model is
	// still loading, and asking again would only add to its queue.
	Timeout time.Duration
	// Retries is how many more times a call is tried when the server cannot
	// be reached or answers 5xx; 0 means DefaultRetries, negative means
	// none. Answers 4xx are never retried.
	Retries int
	// Backoff is the wait before the first retry; it doubles on each retry,
	// up to 5s. 0 means DefaultBackoff.
	Backoff time.Duration
	// QueryPrefix and DocumentPrefix, when not nil, replace the prefixes
	// that Prefixes gives for Model. Point them at "" to send texts as they
	// are.
	QueryPrefix, DocumentPrefix *string
}

// Embedder embeds texts with an Ollama server. It implements
// embeddings.Embedder and is safe for concurrent use.
type Embedder struct {
	client    *api.Client
	host      string // base URL as shown in errors
	model     string
	batchSize int
	timeout   time.Duration
	retries   int
	backoff   time.Duration
	query     string // prefix for embeddings.Query
	document  string // prefix for embeddings.Document
	dimension atomic.Int64
}

var _ embeddings.Embedder = (*Embedder)(nil)

// New checks cfg and returns an Embedder for it. It does not contact the
// server: the first Embed does, and learns the model's dimension from it.
func New(cfg Config) (*Embedder, error) {
	model := strings.TrimSpace(cfg.Model)
	if model == "" {
		return nil, errors.New(`ollama: Config.Model is empty — name an embedding model, e.g. "nomic-embed-text"`)
	}
	if cfg.BatchSize < 0 {
		return nil, fmt.Errorf("ollama: Config.BatchSize is %d — use a positive number, or 0 for %d", cfg.BatchSize, DefaultBatchSize)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("ollama: Config.Timeout is %v — use a positive duration, or 0 for %v", cfg.Timeout, DefaultTimeout)
	}
	if cfg.Backoff < 0 {
		return nil, fmt.Errorf("ollama: Config.Backoff is %v — use a positive duration, or 0 for %v", cfg.Backoff, DefaultBackoff)
	}
	base, err := baseURL(cfg.Host)
	if err != nil {
		return nil, err
	}

	e := &Embedder{
		client:    api.NewClient(base, &http.Client{}),
		host:      base.String(),
		model:     model,
		batchSize: orDefault(cfg.BatchSize, DefaultBatchSize),
		timeout:   orDefault(cfg.Timeout, DefaultTimeout),
		retries:   orDefault(cfg.Retries, DefaultRetries),
		backoff:   orDefault(cfg.Backoff, DefaultBackoff),
	}
	e.retries = max(e.retries, 0)
	e.query, e.document = Prefixes(model)
	if cfg.QueryPrefix != nil {
		e.query = *cfg.QueryPrefix
	}
	if cfg.DocumentPrefix != nil {
		e.document = *cfg.DocumentPrefix
	}
	return e, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Info names the embedder "ollama" and its model. Dimension is 0 until the
// first successful Embed.
func (e *Embedder) Info() embeddings.Info {
	return embeddings.Info{
		Embedder:  "ollama",
		Model:     e.model,
		Dimension: int(e.dimension.Load()),
	}
}

// Host returns the base URL the embedder talks to, after defaults and
// OLLAMA_HOST were applied.
func (e *Embedder) Host() string { return e.host }

// Embed returns one L2-normalised vector per text, in order. It puts the
// model's prefix for purpose in front of each text and sends the texts in
// batches of Config.BatchSize, one batch after the other, each call bounded
// by Config.Timeout and retried as Config.Retries says. Errors wrap
// embeddings.ErrUnavailable when the server cannot be reached or does not
// answer in time, and ErrModelNotFound when the model is not pulled.
func (e *Embedder) Embed(ctx context.Context, texts []string, purpose embeddings.Purpose) ([][]float32, error) {
	prefix := e.document
	if purpose == embeddings.Query {
		prefix = e.query
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.batchSize {
		if err := ctx.Err(); err != nil {
			return nil, stopped(err, nil)
		}
		chunk := texts[start:min(start+e.batchSize, len(texts))]
		input := make([]string, len(chunk))
		for i, t := range chunk {
			input[i] = prefix + t
		}
		vecs, err := e.embedWithRetries(ctx, input)
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// embedWithRetries makes one /api/embed call for input, trying again with
// exponential back-off while the error is worth retrying.
func (e *Embedder) embedWithRetries(ctx context.Context, input []string) ([][]float32, error) {
	wait := e.backoff
	for attempt := 1; ; attempt++ {
		vecs, err := e.embedOnce(ctx, input)
		if err == nil {
			return vecs, nil
		}
		var ce *callError
		if !errors.As(err, &ce) || !ce.retry || attempt > e.retries {
			if ce != nil && attempt > 1 {
				ce.attempts = attempt
			}
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, stopped(ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

// embedOnce makes one /api/embed call and checks and normalises its answer.
func (e *Embedder) embedOnce(ctx context.Context, input []string) ([][]float32, error) {
	callCtx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	resp, err := e.client.Embed(callCtx, &api.EmbedRequest{Model: e.model, Input: input})
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, stopped(ctx.Err(), nil)
		case callCtx.Err() != nil:
			return nil, &callError{
				msg: fmt.Sprintf("ollama: no answer from %s within %s — the model may still be loading or the batch is too large; try again, raise the timeout or send smaller batches",
					e.host, seconds(e.timeout)),
				wraps: []error{embeddings.ErrUnavailable, context.DeadlineExceeded},
			}
		}
		return nil, e.classify(err)
	}
	return e.check(resp, len(input))
}

// classify turns an error from the Ollama client into one that says what to
// do about it.
func (e *Embedder) classify(err error) error {
	var status api.StatusError
	var auth api.AuthorizationError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &status):
		code := status.StatusCode
		text := strings.TrimSpace(status.ErrorMessage)
		if code == http.StatusNotFound && strings.Contains(strings.ToLower(text), "not found") && strings.Contains(strings.ToLower(text), "model") {
			return &callError{
				msg:   fmt.Sprintf("ollama: model %q not found at %s — run `ollama pull %s`", e.model, e.host, e.model),
				wraps: []error{ErrModelNotFound, err},
			}
		}
		ce := &callError{
			msg:   fmt.Sprintf("ollama: %s answered %d %s: %s", e.host, code, http.StatusText(code), text),
			retry: code >= 500,
			wraps: []error{err},
		}
		switch code {
		case http.StatusNotFound:
			ce.msg += " — is " + e.host + " an Ollama server?"
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			ce.wraps = append(ce.wraps, embeddings.ErrUnavailable)
		}
		return ce
	case errors.As(err, &auth):
		msg := fmt.Sprintf("ollama: %s answered %d %s — it wants you signed in", e.host, auth.StatusCode, http.StatusText(auth.StatusCode))
		if auth.SigninURL != "" {
			msg += " at " + auth.SigninURL
		}
		return &callError{msg: msg, wraps: []error{err}}
	case errors.As(err, &syntax), errors.As(err, &typ):
		return &callError{
			msg:   fmt.Sprintf("ollama: %s sent an answer that is not an /api/embed response (%v) — is it an Ollama server?", e.host, err),
			wraps: []error{err},
		}
	}
	// Anything else failed on the way: dialing, sending, or reading the
	// answer. The url.Error around it only repeats the URL.
	cause := err
	var uerr *url.Error
	if errors.As(err, &uerr) {
		cause = uerr.Err
	}
	return &callError{
		msg:    fmt.Sprintf("cannot reach Ollama at %s: is `ollama serve` running?", e.host),
		detail: cause.Error(),
		retry:  true,
		wraps:  []error{embeddings.ErrUnavailable, err},
	}
}

// check makes sure resp holds n vectors of one dimension, the same as
// earlier answers, and returns them L2-normalised.
func (e *Embedder) check(resp *api.EmbedResponse, n int) ([][]float32, error) {
	if len(resp.Embeddings) != n {
		return nil, fmt.Errorf("ollama: asked %s for %d embeddings with model %q, got %d — the server or model is misbehaving; check the Ollama logs",
			e.host, n, e.model, len(resp.Embeddings))
	}
	if n == 0 {
		return resp.Embeddings, nil
	}
	dim := len(resp.Embeddings[0])
	if dim == 0 {
		return nil, fmt.Errorf("ollama: model %q at %s returned an empty vector — is it an embedding model?", e.model, e.host)
	}
	for _, v := range resp.Embeddings {
		if len(v) != dim {
			return nil, fmt.Errorf("ollama: model %q at %s returned vectors of %d and %d dimensions in one answer — the server or model is misbehaving; check the Ollama logs",
				e.model, e.host, dim, len(v))
		}
	}
	if !e.dimension.CompareAndSwap(0, int64(dim)) {
		if known := e.dimension.Load(); known != int64(dim) {
			return nil, fmt.Errorf("ollama: model %q at %s returned %d-dimensional vectors, earlier %d — did the model behind that name change? Vectors of different sizes cannot share an index",
				e.model, e.host, dim, known)
		}
	}
	for _, v := range resp.Embeddings {
		normalize(v)
	}
	return resp.Embeddings, nil
}

// normalize scales v to unit length in place; a zero vector stays zero.
func normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
}

// callError is an error from one /api/embed call, with whether it is worth
// trying again.
type callError struct {
	msg      string
	detail   string // shown in parentheses after msg, with the attempts
	retry    bool
	attempts int // set when more than one attempt was made
	wraps    []error
}

func (e *callError) Error() string {
	var notes []string
	if e.detail != "" {
		notes = append(notes, e.detail)
	}
	if e.attempts > 1 {
		notes = append(notes, strconv.Itoa(e.attempts)+" attempts")
	}
	if len(notes) == 0 {
		return e.msg
	}
	return e.msg + " (" + strings.Join(notes, "; ") + ")"
}

func (e *callError) Unwrap() []error { return e.wraps }

// stopped is the error for a caller's context that ended; last, when not
// nil, is the error of the attempt before, so that errors.Is still finds
// embeddings.ErrUnavailable when the server was down all along.
func stopped(ctxErr, last error) error {
	if last == nil {
		return fmt.Errorf("ollama: embedding stopped: %w", ctxErr)
	}
	return &callError{
		msg:   fmt.Sprintf("ollama: stopped waiting to retry (%v); last error: %v", ctxErr, last),
		wraps: []error{ctxErr, last},
	}
}

// seconds formats d as "60s" rather than time.Duration's "1m0s".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// baseURL resolves host the way api.ClientFromEnvironment resolves
// OLLAMA_HOST, reading OLLAMA_HOST when host is empty.
func baseURL(host string) (*url.URL, error) {
	field := "Config.Host"
	if host == "" {
		field = "OLLAMA_HOST"
		host = strings.Trim(strings.TrimSpace(os.Getenv("OLLAMA_HOST")), `"'`)
	}
	host = strings.TrimSpace(host)
	defaultPort := "11434"
	scheme, hostport, ok := strings.Cut(host, "://")
	switch {
	case !ok:
		scheme, hostport = "http", host
		if host == "ollama.com" {
			scheme, hostport = "https", "ollama.com:443"
		}
	case scheme == "http":
		defaultPort = "80"
	case scheme == "https":
		defaultPort = "443"
	default:
		return nil, fmt.Errorf("ollama: %s %q has scheme %q — use http:// or https://", field, host, scheme)
	}
	hostport, path, _ := strings.Cut(hostport, "/")
	h, port, err := net.SplitHostPort(hostport)
	if err != nil {
		h, port = "127.0.0.1", defaultPort
		if ip := net.ParseIP(strings.Trim(hostport, "[]")); ip != nil {
			h = ip.String()
		} else if hostport != "" {
			h = hostport
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, fmt.Errorf("ollama: %s %q has port %q — use a number from 1 to 65535, e.g. %s", field, host, port, DefaultHost)
	}
	return &url.URL{Scheme: scheme, Host: net.JoinHostPort(h, port), Path: path}, nil
}
