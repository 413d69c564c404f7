// These tests run against fakeOllama, an httptest stand-in for POST
// /api/embed of Ollama v0.17.4, because no real Ollama server runs here yet.
// The tests against a real server come with the issue "A real Ollama server
// in the tests and in CI". Only the unreachable-host test talks to a real
// socket.
package ollama_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/ollama"
)

// fakeOllama answers POST /api/embed the way `ollama serve` v0.17.4 does
// (server/routes.go, EmbedHandler): {"model","input":[...]} in,
// {"model","embeddings":[[...]]} out, and {"error":"..."} with a status on
// failure, including its 404 text for a model that was not pulled.
type fakeOllama struct {
	// models are the names the server has; nil means only nomic-embed-text.
	models []string
	// reply, when set, answers call n (from 0) instead of embedding.
	reply func(n int, input []string) (status int, body any)
	// delay holds every answer back this long.
	delay time.Duration

	mu    sync.Mutex
	calls [][]string
}

func (f *fakeOllama) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/embed" {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Model string `json:"model"`
		Input any    `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	var input []string
	switch in := req.Input.(type) {
	case string:
		input = []string{in}
	case []any:
		for _, v := range in {
			s, ok := v.(string)
			if !ok {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid input type"})
				return
			}
			input = append(input, s)
		}
	}

	f.mu.Lock()
	n := len(f.calls)
	f.calls = append(f.calls, input)
	f.mu.Unlock()

	select {
	case <-time.After(f.delay):
	case <-r.Context().Done():
		return
	}
	if f.reply != nil {
		status, body := f.reply(n, input)
		writeJSON(w, status, body)
		return
	}
	models := f.models
	if models == nil {
		models = []string{"nomic-embed-text", "nomic-embed-text:latest"}
	}
	if !slices.Contains(models, req.Model) {
		writeJSON(w, http.StatusNotFound, map[string]string{
			"error": fmt.Sprintf("model %q not found, try pulling it first", req.Model),
		})
		return
	}
	writeJSON(w, http.StatusOK, embedAnswer(req.Model, input))
}

// callInputs returns the input of every call the server has seen.
func (f *fakeOllama) callInputs() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if raw, ok := body.([]byte); ok {
		w.Write(raw)
		return
	}
	json.NewEncoder(w).Encode(body)
}

// embedAnswer is the server's success answer: fakeVector of each input.
func embedAnswer(model string, input []string) map[string]any {
	vecs := make([][]float32, len(input))
	for i, s := range input {
		vecs[i] = fakeVector(s)
	}
	return map[string]any{"model": model, "embeddings": vecs}
}

// fakeVector is a 4-dimensional, deliberately not normalised vector that
// differs from text to text, so tests can tell which text a vector is for.
func fakeVector(text string) []float32 {
	h := fnv.New32a()
	h.Write([]byte(text))
	sum := h.Sum32()
	v := make([]float32, 4)
	for i := range v {
		v[i] = float32(sum>>(8*i)&0xff) + 1
	}
	return v
}

// unit returns v scaled to length 1.
func unit(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(sum))
	}
	return out
}

func closeTo(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}

// startFake serves f on a fresh httptest server and returns its URL.
func startFake(t *testing.T, f *fakeOllama) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("abstract number %d", i)
	}
	return out
}

func ptr(s string) *string { return &s }

func TestPrefixes(t *testing.T) {
	const passages = "Represent this sentence for searching relevant passages: "
	tests := []struct {
		name      string
		model     string
		wantQuery string
		wantDoc   string
	}{
		{"nomic-embed-text asks for search_query and search_document", "nomic-embed-text", "search_query: ", "search_document: "},
		{"a tag does not change the prefixes", "nomic-embed-text:latest", "search_query: ", "search_document: "},
		{"registry and namespace do not change the prefixes", "registry.ollama.ai/library/nomic-embed-text:v1.5", "search_query: ", "search_document: "},
		{"case does not change the prefixes", "Nomic-Embed-Text", "search_query: ", "search_document: "},
		{"mxbai-embed-large prefixes queries only", "mxbai-embed-large:335m", passages, ""},
		{"snowflake-arctic-embed prefixes queries only", "snowflake-arctic-embed", passages, ""},
		{"all-minilm has no prefixes", "all-minilm", "", ""},
		{"bge-m3 has no prefixes", "bge-m3", "", ""},
		{"an unknown model has no prefixes", "my-own-embedder:7b", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, d := ollama.Prefixes(tt.model)
			if q != tt.wantQuery || d != tt.wantDoc {
				t.Errorf("Prefixes(%q) = %q, %q; want %q, %q", tt.model, q, d, tt.wantQuery, tt.wantDoc)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     ollama.Config
		wantErr string // "" means New succeeds
	}{
		{"a model is all it needs", ollama.Config{Model: "nomic-embed-text"}, ""},
		{"it refuses an empty model", ollama.Config{}, "Config.Model is empty"},
		{"it refuses a negative batch size", ollama.Config{Model: "m", BatchSize: -1}, "Config.BatchSize is -1"},
		{"it refuses a negative timeout", ollama.Config{Model: "m", Timeout: -time.Second}, "Config.Timeout is -1s"},
		{"it refuses a host that is not http", ollama.Config{Model: "m", Host: "ftp://example.com"}, `has scheme "ftp"`},
		{"it refuses a port out of range", ollama.Config{Model: "m", Host: "example.com:99999"}, `has port "99999"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ollama.New(tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New error = %v; want one containing %q", err, tt.wantErr)
			case err == nil:
				info := e.Info()
				want := embeddings.Info{Embedder: "ollama", Model: tt.cfg.Model, Dimension: 0}
				if info != want {
					t.Errorf("Info() = %+v; want %+v", info, want)
				}
			}
		})
	}
}

func TestHost(t *testing.T) {
	tests := []struct {
		name string
		host string
		env  string
		want string
	}{
		{"no host and no OLLAMA_HOST means the local default", "", "", "http://127.0.0.1:11434"},
		{"OLLAMA_HOST is used when Host is empty", "", "example.com:8080", "http://example.com:8080"},
		{"quotes around OLLAMA_HOST are ignored", "", `"0.0.0.0"`, "http://0.0.0.0:11434"},
		{"Host wins over OLLAMA_HOST", "http://10.0.0.2:1234", "example.com:8080", "http://10.0.0.2:1234"},
		{"https without a port means 443", "https://example.com", "", "https://example.com:443"},
		{"a bare host name gets Ollama's port", "gpu-box", "", "http://gpu-box:11434"},
		{"a path is kept", "http://example.com:80/ollama", "", "http://example.com:80/ollama"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OLLAMA_HOST", tt.env)
			e, err := ollama.New(ollama.Config{Host: tt.host, Model: "m"})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := e.Host(); got != tt.want {
				t.Errorf("Host() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestEmbed(t *testing.T) {
	const passages = "Represent this sentence for searching relevant passages: "
	tests := []struct {
		name      string
		cfg       ollama.Config
		models    []string
		reply     func(n int, input []string) (int, any)
		texts     []string
		purpose   embeddings.Purpose
		wantCalls [][]string // what the server is sent, call by call
	}{
		{
			name:      "it sends 70 documents in 3 calls of at most 32 and keeps their order",
			cfg:       ollama.Config{Model: "all-minilm"},
			models:    []string{"all-minilm"},
			texts:     texts(70),
			wantCalls: [][]string{texts(70)[:32], texts(70)[32:64], texts(70)[64:]},
		},
		{
			name:      "it sends 5 texts with batch size 2 in 3 calls",
			cfg:       ollama.Config{Model: "all-minilm", BatchSize: 2},
			models:    []string{"all-minilm"},
			texts:     texts(5),
			wantCalls: [][]string{texts(5)[:2], texts(5)[2:4], texts(5)[4:]},
		},
		{
			name:   "it makes no call for no texts",
			cfg:    ollama.Config{Model: "all-minilm"},
			models: []string{"all-minilm"},
		},
		{
			name:      "it puts search_query in front of nomic-embed-text queries",
			cfg:       ollama.Config{Model: "nomic-embed-text"},
			texts:     []string{"graph neural networks"},
			purpose:   embeddings.Query,
			wantCalls: [][]string{{"search_query: graph neural networks"}},
		},
		{
			name:      "it puts search_document in front of nomic-embed-text:latest documents",
			cfg:       ollama.Config{Model: "nomic-embed-text:latest"},
			texts:     []string{"We study graphs.", "We study proteins."},
			purpose:   embeddings.Document,
			wantCalls: [][]string{{"search_document: We study graphs.", "search_document: We study proteins."}},
		},
		{
			name:      "it puts the passage instruction in front of mxbai-embed-large queries",
			cfg:       ollama.Config{Model: "mxbai-embed-large"},
			models:    []string{"mxbai-embed-large"},
			texts:     []string{"protein folding"},
			purpose:   embeddings.Query,
			wantCalls: [][]string{{passages + "protein folding"}},
		},
		{
			name:      "it sends mxbai-embed-large documents as they are",
			cfg:       ollama.Config{Model: "mxbai-embed-large"},
			models:    []string{"mxbai-embed-large"},
			texts:     []string{"We fold proteins."},
			purpose:   embeddings.Document,
			wantCalls: [][]string{{"We fold proteins."}},
		},
		{
			name:      "it sends all-minilm queries as they are",
			cfg:       ollama.Config{Model: "all-minilm"},
			models:    []string{"all-minilm"},
			texts:     []string{"protein folding"},
			purpose:   embeddings.Query,
			wantCalls: [][]string{{"protein folding"}},
		},
		{
			name:      "an overridden query prefix replaces the model's",
			cfg:       ollama.Config{Model: "nomic-embed-text", QueryPrefix: ptr("query: ")},
			texts:     []string{"protein folding"},
			purpose:   embeddings.Query,
			wantCalls: [][]string{{"query: protein folding"}},
		},
		{
			name:      "an empty overridden document prefix sends documents as they are",
			cfg:       ollama.Config{Model: "nomic-embed-text", DocumentPrefix: ptr("")},
			texts:     []string{"We fold proteins."},
			wantCalls: [][]string{{"We fold proteins."}},
		},
		{
			name:   "it retries after a 500 and then succeeds",
			cfg:    ollama.Config{Model: "nomic-embed-text", DocumentPrefix: ptr(""), Backoff: time.Millisecond},
			texts:  []string{"a", "b"},
			models: []string{"nomic-embed-text"},
			reply: func(n int, input []string) (int, any) {
				if n < 2 {
					return http.StatusInternalServerError, map[string]string{"error": "llama runner process has terminated"}
				}
				return http.StatusOK, embedAnswer("nomic-embed-text", input)
			},
			wantCalls: [][]string{{"a", "b"}, {"a", "b"}, {"a", "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeOllama{models: tt.models, reply: tt.reply}
			tt.cfg.Host = startFake(t, fake)
			e, err := ollama.New(tt.cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}

			got, err := e.Embed(context.Background(), tt.texts, tt.purpose)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}

			calls := fake.callInputs()
			if !slices.EqualFunc(calls, tt.wantCalls, slices.Equal) {
				t.Errorf("server was sent %q; want %q", calls, tt.wantCalls)
			}
			if len(got) != len(tt.texts) {
				t.Fatalf("Embed returned %d vectors for %d texts", len(got), len(tt.texts))
			}
			var sent []string
			for _, c := range tt.wantCalls {
				sent = append(sent, c...)
			}
			for i, v := range got {
				if want := unit(fakeVector(sent[i])); !closeTo(v, want) {
					t.Errorf("vector %d = %v; want %v, the unit vector of %q", i, v, want, sent[i])
				}
			}
			wantDim := 0
			if len(tt.texts) > 0 {
				wantDim = 4
			}
			if d := e.Info().Dimension; d != wantDim {
				t.Errorf("Info().Dimension = %d; want %d", d, wantDim)
			}
		})
	}
}

func TestEmbedNormalises(t *testing.T) {
	tests := []struct {
		name   string
		server [][]float32
		want   [][]float32
	}{
		{"it scales vectors to unit length", [][]float32{{3, 4}, {0, -2}}, [][]float32{{0.6, 0.8}, {0, -1}}},
		{"it leaves a zero vector zero instead of dividing by zero", [][]float32{{0, 0}, {1, 0}}, [][]float32{{0, 0}, {1, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeOllama{reply: func(int, []string) (int, any) {
				return http.StatusOK, map[string]any{"model": "all-minilm", "embeddings": tt.server}
			}}
			e, err := ollama.New(ollama.Config{Host: startFake(t, fake), Model: "all-minilm"})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			got, err := e.Embed(context.Background(), []string{"a", "b"}, embeddings.Document)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			if !slices.EqualFunc(got, tt.want, closeTo) {
				t.Errorf("Embed = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestEmbedErrors(t *testing.T) {
	status := func(code int, text string) func(int, []string) (int, any) {
		return func(int, []string) (int, any) { return code, map[string]string{"error": text} }
	}
	tests := []struct {
		name      string
		cfg       ollama.Config // Host is filled in; Backoff defaults to 1ms
		reply     func(n int, input []string) (int, any)
		delay     time.Duration
		wantCalls int
		wantMsg   string // with HOST for the server's URL
		wantIs    []error
		wantNotIs []error
	}{
		{
			name:      "a missing model says to pull it and is not retried",
			cfg:       ollama.Config{Model: "nomic-embed-txt"},
			wantCalls: 1,
			wantMsg:   `ollama: model "nomic-embed-txt" not found at HOST — run ` + "`ollama pull nomic-embed-txt`",
			wantIs:    []error{ollama.ErrModelNotFound},
			wantNotIs: []error{embeddings.ErrUnavailable},
		},
		{
			name:      "a 400 is not retried and its text is shown",
			cfg:       ollama.Config{Model: "nomic-embed-text"},
			reply:     status(http.StatusBadRequest, "input exceeds maximum context length"),
			wantCalls: 1,
			wantMsg:   "ollama: HOST answered 400 Bad Request: input exceeds maximum context length",
			wantNotIs: []error{embeddings.ErrUnavailable, ollama.ErrModelNotFound},
		},
		{
			name:      "a 404 that is not about a model asks whether the host is Ollama",
			cfg:       ollama.Config{Model: "nomic-embed-text"},
			reply:     status(http.StatusNotFound, "no such page"),
			wantCalls: 1,
			wantMsg:   "ollama: HOST answered 404 Not Found: no such page — is HOST an Ollama server?",
			wantNotIs: []error{ollama.ErrModelNotFound},
		},
		{
			name:      "a 500 is retried Retries times and then shown with the attempts",
			cfg:       ollama.Config{Model: "nomic-embed-text", Retries: 2},
			reply:     status(http.StatusInternalServerError, "llama runner process has terminated"),
			wantCalls: 3,
			wantMsg:   "ollama: HOST answered 500 Internal Server Error: llama runner process has terminated (3 attempts)",
			wantNotIs: []error{embeddings.ErrUnavailable},
		},
		{
			name:      "a 500 is tried once when Retries is negative",
			cfg:       ollama.Config{Model: "nomic-embed-text", Retries: -1},
			reply:     status(http.StatusInternalServerError, "boom"),
			wantCalls: 1,
			wantMsg:   "ollama: HOST answered 500 Internal Server Error: boom",
		},
		{
			name:      "a 503 from a full queue is retried and means unavailable",
			cfg:       ollama.Config{Model: "nomic-embed-text"},
			reply:     status(http.StatusServiceUnavailable, "server busy, please try again.  maximum pending requests exceeded"),
			wantCalls: 4,
			wantMsg:   "ollama: HOST answered 503 Service Unavailable: server busy, please try again.  maximum pending requests exceeded (4 attempts)",
			wantIs:    []error{embeddings.ErrUnavailable},
		},
		{
			name:      "a server slower than Timeout is unavailable and not retried",
			cfg:       ollama.Config{Model: "nomic-embed-text", Timeout: 50 * time.Millisecond},
			delay:     5 * time.Second,
			wantCalls: 1,
			wantMsg:   "ollama: no answer from HOST within 50ms",
			wantIs:    []error{embeddings.ErrUnavailable, context.DeadlineExceeded},
		},
		{
			name: "an answer with fewer vectors than texts is refused",
			cfg:  ollama.Config{Model: "nomic-embed-text"},
			reply: func(_ int, input []string) (int, any) {
				return http.StatusOK, embedAnswer("nomic-embed-text", input[1:])
			},
			wantCalls: 1,
			wantMsg:   `ollama: asked HOST for 2 embeddings with model "nomic-embed-text", got 1`,
		},
		{
			name: "an answer with vectors of different dimensions is refused",
			cfg:  ollama.Config{Model: "nomic-embed-text"},
			reply: func(int, []string) (int, any) {
				return http.StatusOK, map[string]any{"embeddings": [][]float32{{1, 2, 3}, {1, 2}}}
			},
			wantCalls: 1,
			wantMsg:   `returned vectors of 3 and 2 dimensions in one answer`,
		},
		{
			name: "an answer that is not JSON asks whether the host is Ollama",
			cfg:  ollama.Config{Model: "nomic-embed-text"},
			reply: func(int, []string) (int, any) {
				return http.StatusOK, []byte("<html><body>It works!</body></html>")
			},
			wantCalls: 1,
			wantMsg:   "is it an Ollama server?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeOllama{reply: tt.reply, delay: tt.delay}
			host := startFake(t, fake)
			tt.cfg.Host = host
			if tt.cfg.Backoff == 0 {
				tt.cfg.Backoff = time.Millisecond
			}
			e, err := ollama.New(tt.cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}

			_, err = e.Embed(context.Background(), []string{"a", "b"}, embeddings.Document)
			if err == nil {
				t.Fatal("Embed succeeded; want an error")
			}
			if want := strings.ReplaceAll(tt.wantMsg, "HOST", host); !strings.Contains(err.Error(), want) {
				t.Errorf("error = %q\nwant it to contain %q", err, want)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = false; want true", target)
				}
			}
			for _, target := range tt.wantNotIs {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = true; want false", target)
				}
			}
			if n := len(fake.callInputs()); n != tt.wantCalls {
				t.Errorf("server got %d calls; want %d", n, tt.wantCalls)
			}
			if d := e.Info().Dimension; d != 0 {
				t.Errorf("Info().Dimension = %d after a failure; want 0", d)
			}
		})
	}
}

// closedPort returns the address of a 127.0.0.1 port that nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestEmbedUnreachable(t *testing.T) {
	tests := []struct {
		name     string
		retries  int
		backoff  time.Duration
		wantWait time.Duration // at least the sum of the back-offs
		wantTail string
	}{
		{"it retries with growing waits and then says to start ollama serve", 3, 10 * time.Millisecond, 70 * time.Millisecond, "; 4 attempts)"},
		{"it tries once when Retries is negative", -1, 10 * time.Millisecond, 0, ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := closedPort(t)
			e, err := ollama.New(ollama.Config{Host: host, Model: "nomic-embed-text", Retries: tt.retries, Backoff: tt.backoff})
			if err != nil {
				t.Fatalf("New: %v", err)
			}

			start := time.Now()
			_, err = e.Embed(context.Background(), []string{"a"}, embeddings.Query)
			took := time.Since(start)

			if err == nil {
				t.Fatal("Embed succeeded against a closed port")
			}
			msg := err.Error()
			wantStart := "cannot reach Ollama at " + host + ": is `ollama serve` running? ("
			if !strings.HasPrefix(msg, wantStart) || !strings.HasSuffix(msg, tt.wantTail) || !strings.Contains(msg, "connection refused") {
				t.Errorf("error = %q\nwant it to start %q, name the refused connection and end %q", msg, wantStart, tt.wantTail)
			}
			if !errors.Is(err, embeddings.ErrUnavailable) {
				t.Errorf("errors.Is(err, embeddings.ErrUnavailable) = false; want true")
			}
			if took < tt.wantWait || took > 5*time.Second {
				t.Errorf("Embed took %v; want between %v and 5s", took, tt.wantWait)
			}
		})
	}
}

func TestEmbedStopsWithItsContext(t *testing.T) {
	tests := []struct {
		name      string
		host      func(t *testing.T) string
		wantIs    []error
		wantNotIs []error
	}{
		{
			name:   "it stops waiting to retry an unreachable server",
			host:   closedPort,
			wantIs: []error{context.Canceled, embeddings.ErrUnavailable},
		},
		{
			name:      "it stops waiting for a slow server",
			host:      func(t *testing.T) string { return startFake(t, &fakeOllama{delay: 5 * time.Second}) },
			wantIs:    []error{context.Canceled},
			wantNotIs: []error{embeddings.ErrUnavailable},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ollama.New(ollama.Config{Host: tt.host(t), Model: "nomic-embed-text", Backoff: 5 * time.Second})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)

			start := time.Now()
			_, err = e.Embed(ctx, []string{"a"}, embeddings.Query)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Embed took %v after its context was cancelled at 100ms", took)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false; want true", err, target)
				}
			}
			for _, target := range tt.wantNotIs {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = true; want false", err, target)
				}
			}
		})
	}
}

func TestEmbedRefusesADimensionThatChanged(t *testing.T) {
	fake := &fakeOllama{reply: func(n int, input []string) (int, any) {
		if n == 0 {
			return http.StatusOK, embedAnswer("nomic-embed-text", input)
		}
		return http.StatusOK, map[string]any{"embeddings": [][]float32{{1, 2}}}
	}}
	e, err := ollama.New(ollama.Config{Host: startFake(t, fake), Model: "nomic-embed-text"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := e.Embed(context.Background(), []string{"a"}, embeddings.Document); err != nil {
		t.Fatalf("first Embed: %v", err)
	}
	_, err = e.Embed(context.Background(), []string{"b"}, embeddings.Document)
	if err == nil || !strings.Contains(err.Error(), "returned 2-dimensional vectors, earlier 4") {
		t.Errorf("second Embed error = %v; want one about 2-dimensional vectors after 4", err)
	}
	if d := e.Info().Dimension; d != 4 {
		t.Errorf("Info().Dimension = %d; want 4, learned from the first answer", d)
	}
}

func TestEmbedIsSafeForConcurrentUse(t *testing.T) {
	fake := &fakeOllama{}
	e, err := ollama.New(ollama.Config{Host: startFake(t, fake), Model: "nomic-embed-text", BatchSize: 3})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			in := texts(i + 1)
			got, err := e.Embed(context.Background(), in, embeddings.Document)
			if err != nil {
				t.Errorf("Embed: %v", err)
				return
			}
			for j, v := range got {
				if want := unit(fakeVector("search_document: " + in[j])); !closeTo(v, want) {
					t.Errorf("vector %d of %d is for another text", j, len(in))
				}
			}
			_ = e.Info()
		})
	}
	wg.Wait()
	if d := e.Info().Dimension; d != 4 {
		t.Errorf("Info().Dimension = %d; want 4", d)
	}
}
