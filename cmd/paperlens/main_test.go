package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
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
	t.Run("recommend lists papers like the library, none of its own", func(t *testing.T) {
		like := []string{"hf-in-context-learning-through-the-bayesian-prism", "hf-general-purpose-in-context-learning-by-meta-learning-transformers"}
		const not = "hf-meta-automatic-curriculum-learning"
		code, stdout, stderr := paperlens(t, ctx, nil, "recommend", "--data", data, "--like", like[0], "--like", like[1], "--not", not, "--limit", "5")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden(t, "recommend.txt", stripTiming(stdout))
		for _, id := range append(like, not) {
			if strings.Contains(stdout, id) {
				t.Errorf("example %s is listed:\n%s", id, stdout)
			}
		}
	})
	t.Run("recommend without a paper to start from is a wrong call", func(t *testing.T) {
		if code, _, stderr := paperlens(t, ctx, nil, "recommend", "--data", data, "--not", "x"); code != 2 || !strings.Contains(stderr, "--like") {
			t.Errorf("exit %d, stderr %q", code, stderr)
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
		{"an unknown backend", []string{"search", "--data", data, "--backend", "solr", "x"}, 2, "unknown backend"},
		{"demo on a Weaviate cluster that does not answer", []string{"demo", "--file", seeds, "--backend", "weaviate", "--weaviate-url", "http://127.0.0.1:1", "--timeout", "2s"}, 1, "no Weaviate node answers"},
		{"a Weaviate URL that is not one", []string{"stats", "--backend", "weaviate", "--weaviate-url", "ftp://x"}, 2, "not an http(s) URL"},
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

func TestEval(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	const corpus, queries = "testdata/beir/corpus.jsonl", "testdata/beir/queries.jsonl"
	evalJSON := func(t *testing.T, args ...string) (evalReport, string) {
		t.Helper()
		code, stdout, stderr := paperlens(t, ctx, nil, append([]string{"eval", "--corpus", corpus, "--queries", queries, "--cache", cache, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r evalReport
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		return r, stderr
	}
	t.Run("it scores every mode over the judged queries, with qrels found beside the corpus", func(t *testing.T) {
		r, stderr := evalJSON(t, "--mode", "all")
		if !strings.Contains(stderr, "6 embedded") {
			t.Errorf("first run: %q, want the 6 papers embedded", stderr)
		}
		if r.QueryCount != 4 || r.Judged != 3 || r.Qrels != filepath.Join("testdata", "beir", "qrels", "test.tsv") || len(r.Results) != 3 {
			t.Fatalf("report %+v: want 4 queries, 3 judged, qrels/test.tsv, three modes", r)
		}
		for _, row := range r.Results {
			for _, v := range []float64{row.NDCG10, row.Recall100, row.MRR10} {
				if v < 0 || v > 1 {
					t.Errorf("%s: figure %v out of [0, 1]", row.Mode, v)
				}
			}
			// Each judged query shares rare words with its relevant papers
			// only, so the word ranking is perfect.
			if row.Mode == "lexical" && (row.NDCG10 != 1 || row.MRR10 != 1 || row.Recall100 != 1) {
				t.Errorf("lexical: %+v, want 1 everywhere", row)
			}
		}
	})
	t.Run("a second run embeds nothing", func(t *testing.T) {
		_, stderr := evalJSON(t, "--mode", "vector")
		if !strings.Contains(stderr, " 0 embedded") {
			t.Errorf("second run: %q, want 0 embedded", stderr)
		}
	})
	t.Run("run-out writes a TREC run, the paper itself left out of papers like it", func(t *testing.T) {
		run := filepath.Join(t.TempDir(), "run.trec")
		evalJSON(t, "--mode", "hybrid", "--depth", "3", "--run-out", run)
		b, err := os.ReadFile(run)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 12 {
			t.Errorf("%d lines, want 4 queries × depth 3:\n%s", len(lines), b)
		}
		for i, l := range lines {
			f := strings.Fields(l)
			if len(f) != 6 || f[1] != "Q0" || f[3] != fmt.Sprint(i%3+1) || f[5] != "paperlens-hybrid" {
				t.Errorf("line %q is not qid Q0 docid rank score tag", l)
			}
			if f[0] == "q2" && f[2] == "d3" {
				t.Errorf("papers like d3 list d3 itself: %q", l)
			}
		}
	})
	t.Run("the text output is a table", func(t *testing.T) {
		code, stdout, stderr := paperlens(t, ctx, nil, "eval", "--corpus", corpus, "--queries", queries, "--cache", cache, "--mode", "lexical")
		if code != 0 || !strings.Contains(stdout, "nDCG@10") || !strings.Contains(stdout, "lexical  1.0000") {
			t.Errorf("exit %d, stdout:\n%s\nstderr %s", code, stdout, stderr)
		}
	})
	bad := filepath.Join(t.TempDir(), "q.jsonl")
	os.WriteFile(bad, []byte(`{"_id": "x"}`+"\n"), 0o644)
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no corpus", []string{"eval", "--queries", queries}, 2, "--corpus"},
		{"an unknown mode", []string{"eval", "--corpus", corpus, "--queries", queries, "--mode", "dense"}, 2, "--mode"},
		{"run-out with every mode", []string{"eval", "--corpus", corpus, "--queries", queries, "--mode", "all", "--run-out", "x"}, 2, "one --mode"},
		{"a query without text or paper_id", []string{"eval", "--corpus", corpus, "--queries", bad}, 1, "neither"},
		{"qrels that do not exist", []string{"eval", "--corpus", corpus, "--queries", queries, "--qrels", "/no/such.tsv"}, 1, "cannot open the qrels"},
	} {
		t.Run("it fails on "+tt.name, func(t *testing.T) {
			code, _, stderr := paperlens(t, ctx, nil, append(tt.args, "--cache", cache)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

func TestSearchFlags(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	if code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, seeds); code != 0 {
		t.Fatal(stderr)
	}
	page := func(t *testing.T, args ...string) paper.Page {
		t.Helper()
		code, stdout, stderr := paperlens(t, ctx, nil, append([]string{"search", "--data", data, "--json", "--limit", "20"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var p paper.Page
		if err := json.Unmarshal([]byte(stdout), &p); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		return p
	}
	t.Run("--year-from and --year-to keep papers of those years", func(t *testing.T) {
		p := page(t, "--year-from", "2022", "--year-to", "2023", "meta-learning")
		if len(p.Results) == 0 {
			t.Fatal("no results")
		}
		for _, h := range p.Results {
			if h.Published < "2022" || h.Published >= "2024" {
				t.Errorf("%s published %s", h.ID, h.Published)
			}
		}
	})
	t.Run("--mode lexical --explain --highlight explain and mark each hit", func(t *testing.T) {
		p := page(t, "--mode", "lexical", "--explain", "--highlight", "reinforcement learning")
		marked := 0
		for _, h := range p.Results {
			if h.Explain == nil || h.Explain.Mode != "lexical" || h.Explain.LexicalScore != h.Score {
				t.Errorf("%s: explain %+v", h.ID, h.Explain)
			}
			// A paper that matches by its title alone has no fragment.
			for _, f := range h.Highlights {
				if strings.Contains(f, "<mark>") {
					marked++
				}
			}
		}
		if len(p.Results) == 0 || marked < len(p.Results)/2 {
			t.Errorf("%d marked fragments over %d hits", marked, len(p.Results))
		}
	})
	t.Run("the text output shows highlights in brackets and the scores", func(t *testing.T) {
		code, stdout, _ := paperlens(t, ctx, nil, "similar", "--data", data, "--explain", "--highlight", "--limit", "2", "hf-in-context-learning-through-the-bayesian-prism")
		if code != 0 || !strings.Contains(stdout, "fused rank 1") || !strings.Contains(stdout, "[") || strings.Contains(stdout, "<mark>") {
			t.Errorf("exit %d:\n%s", code, stdout)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown mode", []string{"--mode", "dense", "x"}, "mode must be hybrid, vector or lexical"},
		{"a year range backwards", []string{"--year-from", "2024", "--year-to", "2020", "x"}, "year_from (2024) is after year_to (2020)"},
		{"an empty category", []string{"--category", " ", "x"}, "category is empty"},
	} {
		t.Run("it fails on "+tt.name+" with one line", func(t *testing.T) {
			code, _, stderr := paperlens(t, ctx, nil, append([]string{"search", "--data", data}, tt.args...)...)
			if code != 1 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, stderr, tt.want)
			}
		})
	}
}

// TestSearchOutputIsSafeOnATerminal prints papers whose text holds
// terminal controls, as a folder written before paper.Normalize dropped
// them may: the store takes them as they are, so the folder is made with
// it directly. Nothing that moves the cursor, retitles the window or
// reorders the line reaches the terminal.
func TestSearchOutputIsSafeOnATerminal(t *testing.T) {
	ctx := context.Background()
	emb, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	st, err := store.Open(data, emb.Info())
	if err != nil {
		t.Fatal(err)
	}
	evil := []paper.Paper{
		{ID: "esc-1", Title: "Quantum \x1b]0;pwned\x07 annealing \x1b[2J\x1b[31mred", Abstract: "Quantum annealing \x1b[1mfor\x1b[0m combinatorial \u009b6n optimisation.",
			Authors: []string{"Eve \x1b[8mhidden", "Mallory \u202eesrever"}},
		{ID: "esc-2", Title: "Quantum annealing, plainly", Abstract: "Quantum annealing explained without tricks.", Authors: []string{"Alice"}},
	}
	recs := make([]paper.Record, len(evil))
	for i, p := range evil {
		v, err := emb.Embed(ctx, []string{p.Text()}, embeddings.Document)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = paper.Record{Paper: p, Hash: p.ContentHash(), Vector: v[0]}
	}
	if err := st.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"search", "--data", data, "--highlight", "--explain", "quantum annealing"},
		{"similar", "--data", data, "--highlight", "esc-2"},
		{"similar", "--data", data, "esc-1"},
	} {
		t.Run(args[0]+" "+args[len(args)-1]+" prints no terminal control", func(t *testing.T) {
			code, stdout, stderr := paperlens(t, ctx, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if i := strings.IndexFunc(stdout, func(r rune) bool {
				return (unicode.IsControl(r) && r != '\n') || r == '\u202e'
			}); i >= 0 {
				t.Errorf("the output holds %q:\n%q", []rune(stdout[i:])[0], stdout)
			}
			if !strings.Contains(stdout, "Quantum") || !strings.Contains(stdout, "\ufffd") {
				t.Errorf("the evil paper is not listed with its controls replaced:\n%s", stdout)
			}
		})
	}
}
