//go:build ollama

// These tests run the CLI and its HTTP API against a real Ollama server
// (built by scripts/ollama.sh, started by ollamatest.Main) serving
// paperlens-glove, the builtin GloVe vectors as a BERT model. Run them with
//
//	go test -tags ollama -run Ollama ./cmd/paperlens

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings/ollama/glovemodel"
	"github.com/paperlens/paperlens/embeddings/ollama/ollamatest"
	"github.com/paperlens/paperlens/pkg/paper"
)

func TestMain(m *testing.M) { os.Exit(ollamatest.Main(m)) }

// ollamaFlags are the flags that point a command at the test server.
func ollamaFlags() []string {
	return []string{"--embedder", "ollama", "--model", ollamatest.Model, "--ollama-host", ollamatest.Shared().Host}
}

// ingestOllama ingests file into data with the test model and returns stderr.
func ingestOllama(t *testing.T, data, file string, extra ...string) string {
	t.Helper()
	args := append([]string{"ingest", "--data", data, file}, ollamaFlags()...)
	code, _, stderr := paperlens(t, context.Background(), nil, append(args, extra...)...)
	if code != 0 {
		t.Fatalf("ingest %s: exit %d: %s", file, code, stderr)
	}
	return stderr
}

// page runs a search or similar command with --json and returns its answer.
func page(t *testing.T, args ...string) paper.Page {
	t.Helper()
	code, stdout, stderr := paperlens(t, context.Background(), nil, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	var p paper.Page
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", args[0], err, stdout)
	}
	return p
}

func hitIDs(p paper.Page) []string {
	var ids []string
	for _, h := range p.Results {
		ids = append(ids, h.ID)
	}
	return ids
}

const bayesianPrism = "hf-in-context-learning-through-the-bayesian-prism"

func TestOllamaIngestSearchSimilarThroughCLIAndHTTP(t *testing.T) {
	data := t.TempDir()
	stderr := ingestOllama(t, data, seeds)
	if !strings.Contains(stderr, "38 added") || !strings.Contains(stderr, "; 38 embedded") {
		t.Fatalf("ingest: %s", stderr)
	}

	t.Run("stats names the Ollama model and its dimension", func(t *testing.T) {
		code, stdout, _ := paperlens(t, context.Background(), nil, "stats", "--data", data, "--json")
		var m map[string]any
		if code != 0 || json.Unmarshal([]byte(stdout), &m) != nil || m["count"] != 38.0 || m["embedder"] != "ollama" ||
			m["model"] != ollamatest.Model || m["dimension"] != float64(glovemodel.Dimension) {
			t.Errorf("exit %d, stats %s", code, stdout)
		}
	})
	t.Run("ingesting again embeds nothing", func(t *testing.T) {
		stderr := ingestOllama(t, data, seeds)
		if !strings.Contains(stderr, "38 unchanged") || !strings.Contains(stderr, "; 0 embedded") {
			t.Errorf("ingest again: %s", stderr)
		}
	})

	host := ollamatest.Shared().Host
	const query = "meta-learning for reinforcement learning"
	var cliSearch, cliSimilar paper.Page
	t.Run("search ranks through the Ollama model without repeating --embedder", func(t *testing.T) {
		cliSearch = page(t, "search", "--data", data, "--ollama-host", host, "--limit", "5", query)
		if len(cliSearch.Results) != 5 || cliSearch.Total != 38 {
			t.Fatalf("search: %+v", cliSearch)
		}
		vec := page(t, "search", "--data", data, "--ollama-host", host, "--limit", "5", "--mode", "vector", query)
		if len(vec.Results) != 5 || vec.Results[0].Score <= vec.Results[4].Score {
			t.Errorf("vector search: %+v", vec)
		}
	})
	t.Run("similar leaves the paper out", func(t *testing.T) {
		cliSimilar = page(t, "similar", "--data", data, "--ollama-host", host, "--limit", "5", bayesianPrism)
		if len(cliSimilar.Results) != 5 || slices.Contains(hitIDs(cliSimilar), bayesianPrism) {
			t.Fatalf("similar: %v", hitIDs(cliSimilar))
		}
	})

	base, _ := serveInBackground(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--ollama-host", host)
	t.Run("the HTTP API ranks as the CLI does", func(t *testing.T) {
		var got paper.Page
		code, body := get(t, base+"/v1/search?limit=5&q="+url.QueryEscape(query))
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("search: %d %s", code, body)
		}
		if !slices.Equal(hitIDs(got), hitIDs(cliSearch)) {
			t.Errorf("HTTP search %v, CLI search %v", hitIDs(got), hitIDs(cliSearch))
		}
		code, body = get(t, base+"/v1/papers/"+bayesianPrism+"/similar?limit=5")
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("similar: %d %s", code, body)
		}
		if !slices.Equal(hitIDs(got), hitIDs(cliSimilar)) {
			t.Errorf("HTTP similar %v, CLI similar %v", hitIDs(got), hitIDs(cliSimilar))
		}
		if code, body := get(t, base+"/v1/stats"); code != 200 || !strings.Contains(body, `"embedder":"ollama"`) {
			t.Errorf("stats: %d %s", code, body)
		}
	})
}

func TestOllamaRanksAsTheBuiltinEmbedder(t *testing.T) {
	builtinData, ollamaData := t.TempDir(), t.TempDir()
	if code, _, stderr := paperlens(t, context.Background(), nil, "ingest", "--data", builtinData, seeds); code != 0 {
		t.Fatal(stderr)
	}
	ingestOllama(t, ollamaData, seeds)
	host := ollamatest.Shared().Host
	queries := []string{
		"meta-learning for reinforcement learning",
		"in-context learning in transformers",
		"graph neural networks for molecules",
		"scaling laws of language models",
		"diffusion models for image generation",
	}
	for _, q := range queries {
		t.Run("the top 5 for "+strconv.Quote(q)+" are the same", func(t *testing.T) {
			want := page(t, "search", "--data", builtinData, "--mode", "vector", "--limit", "5", q)
			got := page(t, "search", "--data", ollamaData, "--ollama-host", host, "--mode", "vector", "--limit", "5", q)
			if !slices.Equal(hitIDs(got), hitIDs(want)) {
				t.Errorf("Ollama %v\nbuiltin %v", hitIDs(got), hitIDs(want))
			}
			for i := range got.Results {
				if d := got.Results[i].Score - want.Results[i].Score; d > 0.01 || d < -0.01 {
					t.Errorf("hit %d: score %.4f through Ollama, %.4f builtin", i, got.Results[i].Score, want.Results[i].Score)
				}
			}
		})
	}
}

func TestOllamaErrorsThroughTheCLI(t *testing.T) {
	t.Run("an unknown model says to pull it", func(t *testing.T) {
		code, _, stderr := paperlens(t, context.Background(), nil, "ingest", "--data", t.TempDir(), seeds,
			"--embedder", "ollama", "--model", "no-such-model", "--ollama-host", ollamatest.Shared().Host)
		if code != 1 || !strings.Contains(stderr, "run `ollama pull no-such-model`") || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("an unreachable host asks whether ollama serve runs", func(t *testing.T) {
		code, _, stderr := paperlens(t, context.Background(), nil, "ingest", "--data", t.TempDir(), seeds,
			"--embedder", "ollama", "--model", ollamatest.Model, "--ollama-host", "http://127.0.0.1:9")
		if code != 1 || !strings.Contains(stderr, "is `ollama serve` running?") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// firstPapers writes the first n papers of the arXiv sample to a file.
func firstPapers(t testing.TB, n int) string {
	t.Helper()
	f, err := os.Open("../../../shared/data/arxiv-2026q2/papers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; i < n && sc.Scan(); i++ {
		buf.Write(sc.Bytes())
		buf.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("first-%d.jsonl", n))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// embedCalls counts the /api/embed requests the server has logged.
func embedCalls(t *testing.T, s *ollamatest.Server) int {
	b, err := os.ReadFile(s.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte(`"/api/embed"`))
}

var summary = regexp.MustCompile(`(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) skipped; (\d+) embedded`)

func TestOllamaStoppedMidIngestKeepsWhatWasStoredAndResumes(t *testing.T) {
	const n = 600
	file := firstPapers(t, n)
	srv := ollamatest.Shared()
	t.Cleanup(func() {
		if err := srv.Restart(context.Background()); err != nil && !strings.Contains(err.Error(), "already running") {
			t.Errorf("restart the server for the next tests: %v", err)
		}
	})
	data := t.TempDir()

	// Ingest in batches of 8 (75 calls) and stop the server once it has
	// answered a few of them.
	before := embedCalls(t, srv)
	done := make(chan [2]string, 1)
	go func() {
		args := append([]string{"ingest", "--data", data, file, "--batch-size", "8"}, ollamaFlags()...)
		code, _, stderr := paperlens(t, context.Background(), nil, args...)
		done <- [2]string{strconv.Itoa(code), stderr}
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for embedCalls(t, srv) < before+4 {
		if time.Now().After(deadline) {
			t.Fatal("the ingest made no /api/embed calls within 2 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Stop()
	res := <-done
	code, stderr := res[0], res[1]

	t.Run("the ingest fails with a one-line message that says what to do", func(t *testing.T) {
		if code != "1" || !strings.Contains(stderr, "is `ollama serve` running?") || !strings.Contains(stderr, "run the same command again to resume") {
			t.Fatalf("exit %s, stderr %q", code, stderr)
		}
		t.Logf("stderr of the stopped ingest:\n%s", stderr)
	})
	stored := countStored(t, data)
	t.Logf("stored before the server stopped: %d of %d papers", stored, n)
	if stored == 0 || stored >= n {
		t.Fatalf("%d papers stored; the stop came before the first or after the last batch", stored)
	}

	if err := srv.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Run("running it again embeds only the missing papers", func(t *testing.T) {
		stderr := ingestOllama(t, data, file, "--batch-size", "8")
		m := summary.FindStringSubmatch(stderr)
		if m == nil {
			t.Fatalf("no summary in %q", stderr)
		}
		if m[1] != strconv.Itoa(n-stored) || m[3] != strconv.Itoa(stored) || m[5] != strconv.Itoa(n-stored) {
			t.Errorf("resumed with %s; want %d added, %d unchanged, %d embedded", m[0], n-stored, stored, n-stored)
		}
		if got := countStored(t, data); got != n {
			t.Errorf("%d papers stored after resuming, want %d", got, n)
		}
	})
	t.Run("the papers stored before the stop rank as in an uninterrupted ingest", func(t *testing.T) {
		clean := t.TempDir()
		ingestOllama(t, clean, file)
		host := srv.Host
		for _, q := range []string{"fast multipole methods", "large language model agents"} {
			a := page(t, "search", "--data", data, "--ollama-host", host, "--mode", "vector", "--limit", "10", q)
			b := page(t, "search", "--data", clean, "--ollama-host", host, "--mode", "vector", "--limit", "10", q)
			if !slices.Equal(hitIDs(a), hitIDs(b)) {
				t.Errorf("%q: resumed folder %v, clean folder %v", q, hitIDs(a), hitIDs(b))
			}
		}
	})
}

// countStored returns the number of papers in the data folder.
func countStored(t *testing.T, data string) int {
	t.Helper()
	code, stdout, stderr := paperlens(t, context.Background(), nil, "stats", "--data", data, "--json")
	var m struct {
		Count int `json:"count"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &m) != nil {
		t.Fatalf("stats: exit %d: %s%s", code, stdout, stderr)
	}
	return m.Count
}

func TestOllamaSearchAnswers503WhileTheEmbedderIsDown(t *testing.T) {
	srv := ollamatest.Shared()
	t.Cleanup(func() {
		if err := srv.Restart(context.Background()); err != nil && !strings.Contains(err.Error(), "already running") {
			t.Errorf("restart the server for the next tests: %v", err)
		}
	})
	data := t.TempDir()
	ingestOllama(t, data, seeds)
	base, _ := serveInBackground(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--ollama-host", srv.Host)
	search := base + "/v1/search?limit=3&q=" + url.QueryEscape("graph neural networks")

	if code, body := get(t, search); code != 200 {
		t.Fatalf("with the server up: %d %s", code, body)
	}
	srv.Stop()
	t.Run("search answers 503 with a JSON error while Ollama is down", func(t *testing.T) {
		code, body := get(t, search)
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code != 503 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code == "" || !strings.Contains(e.Error.Message, "ollama serve") {
			t.Errorf("%d %s", code, body)
		}
		t.Logf("answer while down: %d %s", code, body)
	})
	t.Run("similar by id needs no embedding and still answers", func(t *testing.T) {
		if code, body := get(t, base+"/v1/papers/"+bayesianPrism+"/similar?limit=3"); code != 200 {
			t.Errorf("%d %s", code, body)
		}
	})
	if err := srv.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Run("search recovers when Ollama is back", func(t *testing.T) {
		if code, body := get(t, search); code != 200 || !strings.Contains(body, `"results"`) {
			t.Errorf("%d %s", code, body)
		}
	})
}
