package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/paper"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const seeds = "../../testdata/papers.jsonl"

// paperlens runs the CLI in-process with a clean environment and returns
// its exit code, stdout and stderr.
func paperlens(t *testing.T, ctx context.Context, ready func(string), args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, ready: ready, getenv: func(k string) string {
		if k == "XDG_DATA_HOME" {
			return t.TempDir()
		}
		return ""
	}}
	code := run(ctx, e, args)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/paperlens -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update if the change is intended):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestIngestSearchSimilar(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, seeds)
	if code != 0 || !strings.Contains(stderr, "38 added") || !strings.Contains(stderr, "38 embedded") {
		t.Fatalf("ingest: exit %d, stderr %q", code, stderr)
	}
	t.Run("ingesting the same file again embeds nothing", func(t *testing.T) {
		code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, seeds)
		if code != 0 || !strings.Contains(stderr, "38 unchanged") || !strings.Contains(stderr, "; 0 embedded") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("search prints a ranked list", func(t *testing.T) {
		code, stdout, stderr := paperlens(t, ctx, nil, "search", "--data", data, "meta-learning for reinforcement learning", "--limit", "5")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden(t, "search.txt", stripTiming(stdout))
	})
	t.Run("search pages with --json", func(t *testing.T) {
		var pages [2]paper.Page
		for i, off := range []string{"0", "3"} {
			code, stdout, stderr := paperlens(t, ctx, nil, "search", "--data", data, "--json", "--limit", "3", "--offset", off, "in-context learning")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if err := json.Unmarshal([]byte(stdout), &pages[i]); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout)
			}
		}
		if len(pages[0].Results) != 3 || len(pages[1].Results) != 3 || pages[1].Offset != 3 || pages[0].Total != 38 {
			t.Fatalf("pages = %+v", pages)
		}
		for _, a := range pages[0].Results {
			for _, b := range pages[1].Results {
				if a.ID == b.ID {
					t.Errorf("%s is on both pages", a.ID)
				}
			}
		}
	})
	t.Run("similar leaves the paper out", func(t *testing.T) {
		const id = "hf-in-context-learning-through-the-bayesian-prism"
		code, stdout, stderr := paperlens(t, ctx, nil, "similar", "--data", data, id, "--limit", "3")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden(t, "similar.txt", stripTiming(stdout))
		if strings.Count(stdout, id) != 1 { // only in the heading
			t.Errorf("the paper itself is listed:\n%s", stdout)
		}
	})
	t.Run("stats reports the folder", func(t *testing.T) {
		code, stdout, _ := paperlens(t, ctx, nil, "stats", "--data", data, "--json")
		var m map[string]any
		if code != 0 || json.Unmarshal([]byte(stdout), &m) != nil || m["count"] != 38.0 || m["embedder"] != "builtin" || m["dimension"] != 100.0 {
			t.Errorf("exit %d, stats %s", code, stdout)
		}
	})
}

// stripTiming drops the "in N ms" that differs run to run.
func stripTiming(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if j := strings.LastIndex(l, " in "); j >= 0 && strings.HasSuffix(l, " ms") {
			lines[i] = l[:j]
		}
	}
	return strings.Join(lines, "\n")
}

func TestCommandErrors(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	if code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, seeds); code != 0 {
		t.Fatal(stderr)
	}
	missing := filepath.Join(t.TempDir(), "nothing-here")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"an unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"search without a query", []string{"search", "--data", data}, 2, "no QUERY"},
		{"a limit out of range", []string{"search", "--data", data, "--limit", "500", "x"}, 1, "limit must be between 1 and 100"},
		{"a limit that is not a number", []string{"search", "--data", data, "--limit", "ten", "x"}, 2, "invalid value"},
		{"a folder never ingested", []string{"search", "--data", missing, "x"}, 1, "run 'paperlens ingest --data"},
		{"similar to an unknown id", []string{"similar", "--data", data, "no-such-paper"}, 1, "not found"},
		{"similar with two ids", []string{"similar", "--data", data, "a", "b"}, 2, "exactly one paper ID"},
		{"ingest without files", []string{"ingest", "--data", data}, 2, "no FILE"},
		{"ingest of a missing file", []string{"ingest", "--data", data, "/no/such/file.jsonl"}, 1, "no such file"},
		{"an unknown format", []string{"ingest", "--data", data, "--format", "xml", seeds}, 2, "xml"},
		{"an unknown embedder", []string{"search", "--data", data, "--embedder", "word2vec", "x"}, 2, "unknown embedder"},
		{"another embedder on a built-in folder", []string{"search", "--data", data, "--embedder", "ollama", "--model", "nomic-embed-text", "x"}, 1, "different embedder"},
		{"ollama without a model", []string{"ingest", "--data", t.TempDir(), "--embedder", "ollama", seeds}, 2, "needs --model"},
	}
	for _, tt := range tests {
		t.Run("fails on "+tt.name+" with one line", func(t *testing.T) {
			code, _, stderr := paperlens(t, ctx, nil, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; tt.code == 1 && lines != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", lines, stderr)
			}
		})
	}
	t.Run("a strict ingest of a bad file fails and keeps the papers", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.jsonl")
		os.WriteFile(bad, []byte(`{"id":"x1","title":"T","abstract":"A paper."}`+"\n{broken\n"), 0o644)
		code, _, stderr := paperlens(t, ctx, nil, "ingest", "--strict", "--data", data, bad)
		if code != 1 || !strings.Contains(stderr, "line 2") {
			t.Errorf("exit %d, stderr %q; want exit 1 naming line 2", code, stderr)
		}
		_, stdout, _ := paperlens(t, ctx, nil, "stats", "--data", data, "--json")
		if !strings.Contains(stdout, `"count": 39`) {
			t.Errorf("stats after a failed ingest: %s; want the 38 seeds and x1", stdout)
		}
	})
	t.Run("every command has --help", func(t *testing.T) {
		for _, c := range commands {
			code, _, stderr := paperlens(t, ctx, nil, c.name, "--help")
			if code != 0 || !strings.Contains(stderr, "Usage: paperlens "+c.name) {
				t.Errorf("%s --help: exit %d, %q", c.name, code, stderr)
			}
		}
	})
}

// serveInBackground runs args (serve or demo on 127.0.0.1:0) until the test
// ends and returns the base URL and the command's stdout.
func serveInBackground(t *testing.T, args ...string) (string, *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, ready: func(a string) { addr <- a }, getenv: func(k string) string {
		if k == "XDG_DATA_HOME" {
			return t.TempDir()
		}
		return ""
	}}
	go func() { done <- run(ctx, e, args) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("%s exited %d: %s", args[0], code, errb.String())
		}
	})
	select {
	case a := <-addr:
		return "http://" + a, &out
	case code := <-done:
		t.Fatalf("%s exited %d before serving: %s", args[0], code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start serving", args[0])
	}
	return "", nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeAnswersTheAPI(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := paperlens(t, context.Background(), nil, "ingest", "--data", data, seeds); code != 0 {
		t.Fatal(stderr)
	}
	base, _ := serveInBackground(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
	code, body := get(t, base+"/v1/papers/hf-in-context-learning-through-the-bayesian-prism/similar?limit=2")
	if code != 200 || !strings.Contains(body, `"results"`) || strings.Count(body, `"id"`) != 2 {
		t.Errorf("similar: %d %s", code, body)
	}
	if code, body := get(t, base+"/v1/stats"); code != 200 || !strings.Contains(body, `"count":38`) {
		t.Errorf("stats: %d %s", code, body)
	}
}

func TestDemoIngestsTheSeedsAndPrintsCurlLines(t *testing.T) {
	data := t.TempDir()
	base, out := serveInBackground(t, "demo", "--data", data, "--file", seeds, "--addr", "127.0.0.1:0")
	banner := out.String()
	if !strings.Contains(banner, base) || strings.Count(banner, "curl '"+base) != 2 {
		t.Errorf("demo banner lacks the address or two curl lines:\n%s", banner)
	}
	// Run the banner's curl lines.
	for _, line := range strings.Split(banner, "\n") {
		if i := strings.Index(line, "curl '"); i >= 0 {
			url := strings.TrimSuffix(line[i+len("curl '"):], "'")
			if code, body := get(t, url); code != 200 || !strings.Contains(body, `"results":[{`) {
				t.Errorf("%s: %d %s", url, code, body)
			}
		}
	}
}
