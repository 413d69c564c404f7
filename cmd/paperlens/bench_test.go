package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// benchJSON runs a bench subcommand with --json and decodes its answer.
func benchJSON(t *testing.T, args ...string) map[string]float64 {
	t.Helper()
	code, out, errOut := paperlens(t, context.Background(), nil, append(append([]string{"bench"}, args...), "--json")...)
	if code != 0 {
		t.Fatalf("bench %v exited %d: %s", args, code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("bench %v printed %q, not one JSON object: %v", args, out, err)
	}
	nums := map[string]float64{}
	for k, v := range m {
		if f, ok := v.(float64); ok {
			nums[k] = f
		}
	}
	return nums
}

func TestBenchQueryComparesWithChromem(t *testing.T) {
	// Enough papers that their memory (≈ 10 MB) stands out of what the
	// other tests of this process allocate and free meanwhile: with 3,000
	// the heap difference was once 0.
	got := benchJSON(t, "query", "--docs", "20000", "--dim", "64", "--queries", "20", "--baseline-queries", "5")
	for _, k := range []string{"docs", "dim", "engine_p50_ms", "engine_p99_ms", "chromem_p50_ms", "chromem_p99_ms", "recall_at_10", "bytes_per_doc"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %s in %v", k, got)
		}
	}
	if got["docs"] != 20000 || got["dim"] != 64 {
		t.Errorf("docs, dim = %v, %v; want 20000, 64", got["docs"], got["dim"])
	}
	if got["recall_at_10"] < 0.99 {
		t.Errorf("recall_at_10 = %v, want at least 0.99", got["recall_at_10"])
	}
	if got["engine_p50_ms"] <= 0 || got["chromem_p50_ms"] <= 0 || got["bytes_per_doc"] < 64*4 {
		t.Errorf("implausible figures %v", got)
	}
}

func TestBenchIngestThenOpen(t *testing.T) {
	data := filepath.Join(t.TempDir(), "bench")
	ing := benchJSON(t, "ingest", "--file", seeds, "--data", data)
	t.Run("ingest stores every paper twice over and splits the time", func(t *testing.T) {
		if ing["papers"] != 38 || ing["whole_added"] != 38 {
			t.Errorf("papers %v, added %v; want 38 and 38", ing["papers"], ing["whole_added"])
		}
		if ing["vector_embed_s"] <= 0 || ing["vector_store_s"] <= 0 || ing["whole_papers_per_s"] <= 0 {
			t.Errorf("missing timings in %v", ing)
		}
	})
	t.Run("open answers the first query from the folder ingest kept", func(t *testing.T) {
		got := benchJSON(t, "open", "--data", data, "--query", "in-context learning")
		if got["papers"] != 38 || got["results"] != 10 || got["to_first_answer_ms"] <= 0 {
			t.Errorf("bench open = %v; want 38 papers and 10 results", got)
		}
	})
}

func TestBenchRejectsBadCalls(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"bench"}, "subcommand"},
		{"an unknown subcommand", []string{"bench", "speed"}, "unknown bench"},
		{"ingest without a file", []string{"bench", "ingest"}, "--file is required"},
		{"a query bench of no papers", []string{"bench", "query", "--docs", "0"}, "at least 1"},
		{"open of a folder never ingested", []string{"bench", "open", "--data", "/nonexistent/paperlens"}, "no papers"},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			code, _, errOut := paperlens(t, context.Background(), nil, tt.args...)
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure that says %q", code, errOut, tt.want)
			}
		})
	}
}
