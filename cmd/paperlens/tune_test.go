package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
)

// sciFactHead writes the first n papers of the SciFact corpus to a file.
func sciFactHead(t *testing.T, n int) string {
	t.Helper()
	f, err := os.Open("../../../shared/data/scifact/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for len(lines) < n && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	path := filepath.Join(t.TempDir(), "corpus.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTuneFitsTheFolderAndEveryCommandRanksWithIt(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	corpus := sciFactHead(t, 300)
	code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, "--no-tune", corpus)
	if code != 0 || strings.Contains(stderr, "fitted") {
		t.Fatalf("ingest --no-tune: exit %d, stderr %q", code, stderr)
	}
	stats := func() map[string]any {
		t.Helper()
		code, stdout, stderr := paperlens(t, ctx, nil, "stats", "--data", data, "--json")
		var m map[string]any
		if code != 0 || json.Unmarshal([]byte(stdout), &m) != nil {
			t.Fatalf("stats: exit %d, %s %s", code, stdout, stderr)
		}
		f, _ := m["fusion"].(map[string]any)
		if f == nil {
			t.Fatalf("stats has no fusion: %s", stdout)
		}
		return f
	}
	if f := stats(); f["fitted"] != false || f["lexical_weight"] != 0.8 || f["vector_weight"] != 0.2 {
		t.Errorf("before tune, stats shows fusion %v, want the default, not fitted", f)
	}

	code, stdout, stderr := paperlens(t, ctx, nil, "tune", "--data", data, "--queries", "100")
	if code != 0 || !strings.Contains(stdout, "fitted to 300 papers on 100 title and 100 sentence pseudo-queries") {
		t.Fatalf("tune: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	f := stats()
	if f["fitted"] != true || f["papers"] != 300.0 || f["queries"] != 200.0 {
		t.Fatalf("after tune, stats shows fusion %v, want it fitted to 300 papers on 200 queries", f)
	}
	lw, vw := f["lexical_weight"].(float64), f["vector_weight"].(float64)

	code, stdout, stderr = paperlens(t, ctx, nil, "search", "--data", data, "--json", "--explain", "--limit", "1", "stem cells")
	var page paper.Page
	if code != 0 || json.Unmarshal([]byte(stdout), &page) != nil || len(page.Results) != 1 {
		t.Fatalf("search: exit %d, %s %s", code, stdout, stderr)
	}
	if x := page.Results[0].Explain; x == nil || !x.Fitted || x.LexicalWeight != lw || x.VectorWeight != vw {
		t.Errorf("search explains %+v, want the fitted weights %.2f/%.2f", x, lw, vw)
	}

	code, stdout, _ = paperlens(t, ctx, nil, "tune", "--data", data, "--reset")
	if code != 0 || !strings.Contains(stdout, "default fusion") {
		t.Fatalf("tune --reset: exit %d, %q", code, stdout)
	}
	if f := stats(); f["fitted"] != false {
		t.Errorf("after tune --reset, stats shows fusion %v, want it not fitted", f)
	}

	t.Run("an ingest that doubles the folder fits it again", func(t *testing.T) {
		code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, sciFactHead(t, 600))
		if code != 0 || !strings.Contains(stderr, "fitted the hybrid ranking to 600 papers") {
			t.Fatalf("ingest: exit %d, stderr %q", code, stderr)
		}
		if f := stats(); f["fitted"] != true || f["papers"] != 600.0 {
			t.Errorf("after the ingest, stats shows fusion %v, want it fitted to 600 papers", f)
		}
		code, _, stderr = paperlens(t, ctx, nil, "ingest", "--data", data, sciFactHead(t, 700))
		if code != 0 || strings.Contains(stderr, "fitted") {
			t.Errorf("an ingest of a sixth more fitted again: exit %d, stderr %q", code, stderr)
		}
	})
}

func TestTuneRefusesWhatItCannotFit(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	if code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, seeds); code != 0 || strings.Contains(stderr, "fitted") {
		t.Fatalf("ingest of the 38 seeds: exit %d, stderr %q (a folder this small is not fitted)", code, stderr)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a folder of 38 papers is too small", []string{"tune", "--data", data}, 1, "too few papers"},
		{"no queries is a wrong call", []string{"tune", "--data", data, "--queries", "0"}, 2, "--queries must be 1 or more"},
		{"an empty folder says how to fill it", []string{"tune", "--data", t.TempDir()}, 1, "paperlens ingest"},
		{"Weaviate is not fitted", []string{"tune", "--backend", "weaviate"}, 2, "embedded data folder"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := paperlens(t, ctx, nil, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line naming %q", code, stderr, c.code, c.want)
			}
		})
	}
}

func TestEvalRanksWithTheFittedFusionUnlessTold(t *testing.T) {
	ctx := context.Background()
	corpus, cache := sciFactHead(t, 300), t.TempDir()
	eval := func(args ...string) (evalReport, string) {
		t.Helper()
		code, stdout, stderr := paperlens(t, ctx, nil, append([]string{"eval", "--corpus", corpus, "--queries", "../../../shared/data/scifact/queries.jsonl",
			"--qrels", "../../../shared/data/scifact/qrels/train.tsv", "--cache", cache, "--mode", "hybrid", "--json"}, args...)...)
		var r evalReport
		if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil {
			t.Fatalf("eval %v: exit %d, %s %s", args, code, stdout, stderr)
		}
		return r, stderr
	}
	for _, c := range []struct {
		name   string
		args   []string
		source string
	}{
		{"the first run fits the cached folder", nil, "fitted"},
		{"--no-tune ranks with the default", []string{"--no-tune"}, "default"},
		{"a weight flag overrides the fitted weight", []string{"--vector-weight", "0.3"}, "flags"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, stderr := eval(c.args...)
			if r.Fusion.Source != c.source {
				t.Errorf("fusion %+v, want source %q (stderr %q)", r.Fusion, c.source, stderr)
			}
			switch c.source {
			case "fitted":
				if !strings.Contains(stderr, "fitted the hybrid ranking to 300 papers") {
					t.Errorf("stderr %q does not say the folder was fitted", stderr)
				}
			case "default":
				if r.Fusion.LexicalWeight != 0.8 || r.Fusion.VectorWeight != 0.2 {
					t.Errorf("fusion %+v, want the default 0.8/0.2", r.Fusion)
				}
			case "flags":
				if r.Fusion.VectorWeight != 0.3 || strings.Contains(stderr, "fitted the hybrid") {
					t.Errorf("fusion %+v, stderr %q: want vector weight 0.3 and no second fit", r.Fusion, stderr)
				}
			}
		})
	}
}
