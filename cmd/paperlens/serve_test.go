package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// serveWithEnv runs serve in-process with the environment vars until the
// test ends, and returns its base URL and its stderr.
func serveWithEnv(t *testing.T, vars map[string]string, args ...string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan int, 1)
	errb := &lockedBuffer{}
	e := &env{stdout: io.Discard, stderr: errb, ready: func(a string) { addr <- a }, getenv: func(k string) string { return vars[k] }}
	go func() { done <- run(ctx, e, append([]string{"serve"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errb)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a, errb
	case code := <-done:
		t.Fatalf("serve exited %d before serving: %s", code, errb)
	case <-time.After(time.Minute):
		t.Fatalf("serve did not start: %s", errb)
	}
	return "", nil
}

// call sends a request and returns the status, a header and the body.
func call(t *testing.T, method, url, auth, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestServeAPIKey(t *testing.T) {
	const key = "a key from a file"
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	paperBody := `{"id": "2601.00010", "abstract": "Guarded by a key."}`
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		key  string
	}{
		{"a key from --api-key-file guards writes", nil, []string{"--api-key-file", keyFile}, key},
		{"a key from PAPERLENS_API_KEY guards writes", map[string]string{"PAPERLENS_API_KEY": "env key"}, nil, "env key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tc.args...)
			base, _ := serveWithEnv(t, tc.vars, args...)
			code, h, body := call(t, "POST", base+"/v1/papers", "", paperBody)
			if code != 401 || !strings.Contains(body, `"unauthorized"`) || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("POST without the key: %d %v %s, want 401 unauthorized with WWW-Authenticate: Bearer", code, h.Get("WWW-Authenticate"), body)
			}
			if code, _, body := call(t, "DELETE", base+"/v1/papers/2601.00010", "Bearer wrong", ""); code != 401 {
				t.Errorf("DELETE with a wrong key: %d %s, want 401", code, body)
			}
			if code, _, body := call(t, "POST", base+"/v1/papers", "Bearer "+tc.key, paperBody); code != 201 {
				t.Errorf("POST with the key: %d %s, want 201", code, body)
			}
			if code, _, body := call(t, "POST", base+"/v1/search", "", `{"q": "key"}`); code != 200 {
				t.Errorf("a search without the key: %d %s, want 200", code, body)
			}
		})
	}
}

func TestServeWarnsWhenOpenBeyondThisMachine(t *testing.T) {
	tests := []struct {
		name, addr string
		vars       map[string]string
		warns      bool
	}{
		{"listening on every address without a key warns", "0.0.0.0:0", nil, true},
		{"listening on every address with a key is quiet", "0.0.0.0:0", map[string]string{"PAPERLENS_API_KEY": "k"}, false},
		{"listening on 127.0.0.1 without a key is quiet", "127.0.0.1:0", nil, false},
		{"listening on localhost without a key is quiet", "localhost:0", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := serveWithEnv(t, tt.vars, "--data", t.TempDir(), "--addr", tt.addr)
			if got := strings.Contains(stderr.String(), "warning: listening on"); got != tt.warns {
				t.Errorf("warned %v, want %v; stderr:\n%s", got, tt.warns, stderr)
			}
		})
	}
}

func TestServeLimitFlags(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := paperlens(t, context.Background(), nil, "ingest", "--data", data, seeds); code != 0 {
		t.Fatal(stderr)
	}
	base, _ := serveWithEnv(t, nil, "--data", data, "--addr", "127.0.0.1:0", "--max-body", "200", "--max-query-bytes", "10", "--max-depth", "20")
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"a q over --max-query-bytes is refused", "GET", "/v1/search?q=" + strings.Repeat("a", 11), "", 400, "query_too_long"},
		{"paging past --max-depth is refused", "GET", "/v1/search?q=x&offset=15&limit=10", "", 400, "invalid_parameter"},
		{"a body over --max-body is refused", "POST", "/v1/search", `{"q": "` + strings.Repeat("a", 200) + `"}`, 413, "body_too_large"},
		{"a search inside every limit is answered", "GET", "/v1/search?q=" + strings.Repeat("a", 10) + "&offset=10&limit=10", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := call(t, tt.method, base+tt.path, "", tt.body)
			if code != tt.status || !strings.Contains(body, tt.code) {
				t.Errorf("%d %s, want %d %s", code, body, tt.status, tt.code)
			}
		})
	}
	t.Run("metrics count the embedder's calls", func(t *testing.T) {
		_, _, text := call(t, "GET", base+"/metrics", "", "")
		if !regexp.MustCompile(`paperlens_embedder_duration_seconds_count\{purpose="query"\} [1-9]`).MatchString(text) ||
			!strings.Contains(text, "paperlens_papers_stored 38") {
			t.Errorf("/metrics lacks the embedder's query calls or the 38 papers:\n%.2000s", text)
		}
	})
}

func TestServeRefusesBadLimitsAndKeys(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"a --max-depth of 0 is a usage error", []string{"--max-depth", "0"}, "--max-depth must be 1 or more"},
		{"a negative --max-query-bytes is a usage error", []string{"--max-query-bytes", "-1"}, "--max-query-bytes must be 1 or more"},
		{"a --shutdown-timeout of 0 is a usage error", []string{"--shutdown-timeout", "0s"}, "--shutdown-timeout must be more than 0"},
		{"a missing key file is a usage error", []string{"--api-key-file", filepath.Join(t.TempDir(), "nope")}, "--api-key-file"},
		{"an empty key file is a usage error", []string{"--api-key-file", empty}, "is empty"},
		{"a --max-papers of 0 is a usage error", []string{"--max-papers", "0"}, "--max-papers must be 1 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := paperlens(t, context.Background(), nil, append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.says) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and one line saying %q", code, stderr, tt.says)
			}
		})
	}
	// A key of white space is a key meant and lost (a quoting slip in a
	// unit file): writes must not silently stay open.
	for _, cmd := range []string{"serve", "demo"} {
		t.Run("a PAPERLENS_API_KEY of white space stops "+cmd, func(t *testing.T) {
			var errb bytes.Buffer
			e := &env{stdout: io.Discard, stderr: &errb, getenv: func(k string) string {
				return map[string]string{"PAPERLENS_API_KEY": " \t\n "}[k]
			}}
			args := []string{cmd, "--data", t.TempDir(), "--addr", "127.0.0.1:0"}
			if cmd == "demo" {
				args = append(args, "--file", seeds)
			}
			code := run(context.Background(), e, args)
			if code != 2 || !strings.Contains(errb.String(), "PAPERLENS_API_KEY holds only white space") {
				t.Errorf("exit %d, stderr %q; want 2 saying the key is white space", code, errb.String())
			}
		})
	}
}

// TestServeOnLoopbackAnswersOnlyItsOwnNames plays DNS rebinding against a
// real serve: a request naming another host is refused while serve
// listens on loopback, unless --allowed-host (or PAPERLENS_ALLOWED_HOSTS)
// names it.
func TestServeOnLoopbackAnswersOnlyItsOwnNames(t *testing.T) {
	hostGet := func(t *testing.T, base, host string) int {
		t.Helper()
		req, err := http.NewRequest("GET", base+"/v1/stats", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		name string
		vars map[string]string
		args []string
		want map[string]int
	}{
		{"on 127.0.0.1 only localhost names are answered", nil, []string{"--addr", "127.0.0.1:0"},
			map[string]int{"evil.example": 421, "localhost": 200, "127.0.0.1": 200, "papers.example.org": 421}},
		{"--allowed-host adds a name", nil, []string{"--addr", "127.0.0.1:0", "--allowed-host", "papers.example.org"},
			map[string]int{"evil.example": 421, "papers.example.org:443": 200}},
		{"PAPERLENS_ALLOWED_HOSTS adds names", map[string]string{"PAPERLENS_ALLOWED_HOSTS": "a.example,papers.example.org"}, []string{"--addr", "localhost:0"},
			map[string]int{"evil.example": 421, "papers.example.org": 200, "a.example": 200}},
		{"on every address (with a key) any name is answered", map[string]string{"PAPERLENS_API_KEY": "k"}, []string{"--addr", "0.0.0.0:0"},
			map[string]int{"evil.example": 200}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, _ := serveWithEnv(t, tt.vars, append([]string{"--data", t.TempDir()}, tt.args...)...)
			base = strings.Replace(base, "0.0.0.0", "127.0.0.1", 1)
			for host, want := range tt.want {
				if got := hostGet(t, base, host); got != want {
					t.Errorf("Host %s: %d, want %d", host, got, want)
				}
			}
		})
	}
}

// TestServeSIGTERMKeepsEveryAcknowledgedPaper runs serve as a real process,
// posts papers to it from several clients at once, sends SIGTERM mid-way,
// and then reopens the data folder: every paper whose POST was answered 2xx
// must be there, and no POST may have been answered 5xx.
func TestServeSIGTERMKeepsEveryAcknowledgedPaper(t *testing.T) {
	bin := buildPaperlens(t)
	data := t.TempDir()
	cmd, base, stderr := startServe(t, bin, data, "--shutdown-timeout", "1m")

	const workers, batch = 4, 10
	var (
		mu        sync.Mutex
		acked     []string // ids whose POST was answered 2xx
		afterSig  int      // POSTs answered 2xx after SIGTERM was sent
		failures  []string
		signalled = make(chan struct{})
		wg        sync.WaitGroup
	)
	client := &http.Client{Timeout: 2 * time.Minute}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				var body bytes.Buffer
				ids := make([]string, batch)
				for i := range batch {
					ids[i] = fmt.Sprintf("sigterm-%d-%d-%d", w, n, i)
					line, _ := json.Marshal(map[string]any{"id": ids[i], "title": "Paper " + ids[i],
						"abstract": fmt.Sprintf("Worker %d sends batch %d, paper %d, about graceful shutdown of search servers.", w, n, i)})
					body.Write(append(line, '\n'))
				}
				resp, err := client.Post(base+"/v1/papers", "application/x-ndjson", &body)
				if err != nil {
					return // the server has stopped accepting: this POST was never acknowledged
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				switch {
				case resp.StatusCode/100 == 2:
					acked = append(acked, ids...)
					select {
					case <-signalled:
						afterSig++
					default:
					}
				default:
					failures = append(failures, fmt.Sprintf("%d %s", resp.StatusCode, b))
				}
				mu.Unlock()
			}
		}()
	}
	// Let some batches land, then stop the server while others are in flight.
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 8*batch || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(signalled)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := cmd.Wait()
	wg.Wait()
	if waitErr != nil {
		t.Fatalf("serve did not exit cleanly on SIGTERM: %v; stderr:\n%s", waitErr, stderr)
	}
	if !strings.Contains(stderr.String(), "paperlens: stopped") {
		t.Errorf("serve did not say it stopped; stderr:\n%s", stderr)
	}
	if len(failures) > 0 {
		t.Errorf("%d POSTs were answered with an error during shutdown, first: %s", len(failures), failures[0])
	}
	if len(acked) == 0 {
		t.Fatal("no POST was acknowledged: the test did not exercise anything")
	}

	emb, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(data, emb.Info())
	if err != nil {
		t.Fatalf("reopening the data folder: %v", err)
	}
	defer st.Close()
	stored := map[string]bool{}
	for r, err := range st.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		stored[r.Paper.ID] = true
	}
	var lost []string
	for _, id := range acked {
		if !stored[id] {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged papers are missing after SIGTERM, such as %v", len(lost), len(acked), lost[:min(5, len(lost))])
	}
	t.Logf("%d papers acknowledged (%d batches answered after SIGTERM was sent), %d stored", len(acked), afterSig, len(stored))
}

func TestServeRanksWithTheFusionFittedToTheFolder(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	// Enough papers for a fit (ingest fits a new folder), from the arXiv set.
	part := filepath.Join(t.TempDir(), "part.jsonl")
	if err := os.WriteFile(part, []byte(strings.Join(firstLinesOf(t, "../../../shared/data/arxiv-2026q2/papers.jsonl", 400), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, part); code != 0 || !strings.Contains(stderr, "fitted the hybrid ranking") {
		t.Fatalf("ingest: exit %d, stderr %q; want the fusion fitted", code, stderr)
	}
	base, _ := serveWithEnv(t, nil, "--data", data, "--addr", "127.0.0.1:0")
	if x := explainTop(t, base); !x.Fitted {
		t.Errorf("explain %+v; want the fusion fitted to the folder, as the CLI ranks with", x)
	}
}

// firstLinesOf returns the first n lines of the file at path.
func firstLinesOf(t *testing.T, path string, n int) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", n+1)
	return lines[:min(n, len(lines))]
}

// TestServeFitsTheFusionAgainWhenThePapersChangeEnough starts serve on a
// folder fitted to 400 papers, adds 400 more through the API, and waits
// (with a deadline) for serve to fit the fusion again in the background,
// as ingest would have: the manifest records the new fit, the log says
// so, and the ranking still explains a fitted fusion.
func TestServeFitsTheFusionAgainWhenThePapersChangeEnough(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	lines := firstLinesOf(t, "../../../shared/data/arxiv-2026q2/papers.jsonl", 800)
	part := filepath.Join(t.TempDir(), "part.jsonl")
	if err := os.WriteFile(part, []byte(strings.Join(lines[:400], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, part); code != 0 || !strings.Contains(stderr, "fitted the hybrid ranking to 400 papers") {
		t.Fatalf("ingest: exit %d, stderr %q; want the fusion fitted to 400 papers", code, stderr)
	}
	defer func(was time.Duration) { refitEvery = was }(refitEvery)
	refitEvery = 20 * time.Millisecond
	base, stderr := serveWithEnv(t, nil, "--data", data, "--addr", "127.0.0.1:0")
	// 100 more papers are not enough to fit again (a fit follows a change
	// of half the papers it was fitted on): serve must not fit to 500.
	if status, _, body := call(t, "POST", base+"/v1/papers", "", strings.Join(lines[400:500], "\n")); status != http.StatusCreated {
		t.Fatalf("POST: %d %.300s", status, body)
	}
	fittedTo := func() int {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(data, store.ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		var m store.Manifest
		if err := json.Unmarshal(b, &m); err != nil || m.Fitted == nil {
			t.Fatalf("manifest: %v, %s", err, b)
		}
		return m.Fitted.Papers
	}
	if status, _, body := call(t, "POST", base+"/v1/papers", "", strings.Join(lines[500:800], "\n")); status != http.StatusCreated {
		t.Fatalf("POST: %d %.300s", status, body)
	}
	// serve looks every 20 ms, so it may fit while the 300 are being
	// written: to the 600 to 800 papers it holds then.
	deadline := time.Now().Add(2 * time.Minute)
	n := fittedTo()
	for ; n < 600; n = fittedTo() {
		if time.Now().After(deadline) {
			t.Fatalf("the fusion was not fitted again within 2 minutes (fitted to %d papers); serve said: %s", n, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n > 800 {
		t.Errorf("fitted to %d papers; the folder holds 800", n)
	}
	said := fmt.Sprintf("fitted the hybrid ranking to %d papers", n)
	for !strings.Contains(stderr.String(), said) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say %q: %s", said, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(stderr.String(), "to 500 papers") {
		t.Errorf("serve fitted the ranking to 500 papers, a change too small: %s", stderr)
	}
	if x := explainTop(t, base); !x.Fitted {
		t.Errorf("explain %+v; want a fitted fusion", x)
	}
}

// explainTop is the explanation of the best hit for "diffusion models" on
// the server at base.
func explainTop(t *testing.T, base string) *paper.Explanation {
	t.Helper()
	status, _, body := call(t, "GET", base+"/v1/search?q=diffusion+models&explain=true&limit=1", "", "")
	var page paper.Page
	if status != http.StatusOK || json.Unmarshal([]byte(body), &page) != nil || len(page.Results) != 1 || page.Results[0].Explain == nil {
		t.Fatalf("status %d: %.300s", status, body)
	}
	return page.Results[0].Explain
}
