package main

import (
	"context"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBenchScaleMeasuresTheWholeEngine(t *testing.T) {
	data := filepath.Join(t.TempDir(), "scale")
	for _, tt := range []struct {
		name string
		dim  float64
		args []string
	}{
		{"with the built-in embedder", 100, []string{"--data", data}},
		{"with model-sized random vectors", 768, []string{"--dim", "768"}},
	} {
		t.Run(tt.name+", on 2,000 generated papers", func(t *testing.T) {
			const limit = 6 << 30
			if tt.dim == 768 { // and under a soft memory limit, which it reports
				before := debug.SetMemoryLimit(limit)
				defer debug.SetMemoryLimit(before)
			}
			got := benchJSON(t, append([]string{"scale", "--papers", "2000", "--queries", "20", "--source", arxivPapers}, tt.args...)...)
			for _, k := range []string{"papers", "ingest_papers_per_s", "folder_bytes", "open_s", "peak_rss_bytes",
				"search_p50_ms", "search_p99_ms", "similar_p50_ms", "similar_p99_ms", "filtered_p50_ms", "recommend_p50_ms"} {
				if _, ok := got[k]; !ok {
					t.Errorf("no %s in %v", k, got)
				}
			}
			if tt.dim == 768 && got["memory_limit_bytes"] != limit {
				t.Errorf("memory_limit_bytes = %v, want %v (GOMEMLIMIT as set)", got["memory_limit_bytes"], limit)
			}
			if got["papers"] != 2000 || got["added"] != 2000 || got["dim"] != tt.dim {
				t.Errorf("papers %v, added %v, dim %v; want 2000, 2000, %v", got["papers"], got["added"], got["dim"], tt.dim)
			}
			// 2,000 papers of about 180 words hold at least 2 MB of text,
			// which the store and the change log keep.
			if got["folder_bytes"] < 2e6 {
				t.Errorf("folder_bytes = %v, want the papers' text at least", got["folder_bytes"])
			}
			if got["peak_rss_bytes"] < 20<<20 || got["peak_rss_bytes"] > 64<<30 {
				t.Errorf("peak_rss_bytes = %v, not a process's size", got["peak_rss_bytes"])
			}
			if got["ingest_papers_per_s"] <= 0 || got["open_s"] <= 0 {
				t.Errorf("ingest_papers_per_s %v, open_s %v; want positive", got["ingest_papers_per_s"], got["open_s"])
			}
			for _, k := range []string{"search", "similar", "filtered", "recommend"} {
				// percentile sorts one sample, so p99 >= p50 always.
				if p50 := got[k+"_p50_ms"]; p50 <= 0 {
					t.Errorf("%s: p50 %v ms; want a time", k, p50)
				}
			}
			if tt.dim == 100 { // --data: the folder it keeps opens with every paper
				got := benchJSON(t, "open", "--data", data, "--query", "diffusion models")
				if got["papers"] != 2000 || got["results"] != 10 {
					t.Errorf("bench open = %v; want 2000 papers and 10 results", got)
				}
			}
		})
	}
}

func TestBenchScaleRejectsBadCalls(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no papers", []string{"--papers", "0"}, "at least 1"},
		{"a negative dimension", []string{"--dim", "-1"}, "--dim"},
		{"a sample that is not there", []string{"--source", filepath.Join(t.TempDir(), "none.jsonl")}, "--source"},
		{"a folder that exists", []string{"--data", t.TempDir()}, "exists already"},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			code, _, errOut := paperlens(t, context.Background(), nil, append([]string{"bench", "scale"}, tt.args...)...)
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure that says %q", code, errOut, tt.want)
			}
		})
	}
}
