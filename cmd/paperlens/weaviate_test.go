//go:build weaviate

// These tests run the CLI and two paperlens serve processes against a real
// 3-node Weaviate cluster (built by scripts/weaviate.sh, started by
// weaviatetest) in a loopback-only network namespace:
//
//	bash scripts/weaviate-tests.sh

package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/weaviate/weaviatetest"
)

func TestWeaviateBackendThroughTheCLIAndTwoServers(t *testing.T) {
	cluster := weaviatetest.Start(t, 3)
	var urls []string
	for i := range cluster.Len() {
		urls = append(urls, cluster.URL(i))
	}
	wv := []string{"--backend", "weaviate", "--weaviate-url", strings.Join(urls, ","), "--weaviate-replicas", "2"}
	ctx := context.Background()

	code, _, stderr := paperlens(t, ctx, nil, append([]string{"ingest", seeds}, wv...)...)
	if code != 0 || !strings.Contains(stderr, "38 added") {
		t.Fatalf("ingest --backend weaviate: exit %d: %s", code, stderr)
	}
	code, _, stderr = paperlens(t, ctx, nil, append([]string{"ingest", seeds}, wv...)...)
	if code != 0 || !strings.Contains(stderr, "38 unchanged") || !strings.Contains(stderr, "0 embedded") {
		t.Fatalf("second ingest should embed nothing: exit %d: %s", code, stderr)
	}

	t.Run("search and similar answer from the cluster", func(t *testing.T) {
		code, out, stderr := paperlens(t, ctx, nil, append([]string{"search", "in-context learning", "--json", "--limit", "3"}, wv...)...)
		var p paper.Page
		if code != 0 || json.Unmarshal([]byte(out), &p) != nil || len(p.Results) != 3 || p.Total != 38 {
			t.Fatalf("search: exit %d, %s %s", code, out, stderr)
		}
		code, out, stderr = paperlens(t, ctx, nil, append([]string{"similar", p.Results[0].ID, "--json", "--mode", "vector"}, wv...)...)
		var s paper.Page
		if code != 0 || json.Unmarshal([]byte(out), &s) != nil || len(s.Results) != 10 || s.Total != 37 {
			t.Fatalf("similar: exit %d, %s %s", code, out, stderr)
		}
		code, out, _ = paperlens(t, ctx, nil, append([]string{"stats", "--json"}, wv...)...)
		if code != 0 || !strings.Contains(out, `"count": 38`) || !strings.Contains(out, `"backend": "weaviate"`) {
			t.Fatalf("stats: exit %d: %s", code, out)
		}
	})

	t.Run("bad backend flags give one-line errors", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"search", "x", "--backend", "cassandra"}, "unknown backend"},
			{[]string{"search", "x", "--backend", "weaviate"}, "no Weaviate URL"},
			{[]string{"search", "x", "--backend", "weaviate", "--weaviate-url", "localhost:1"}, "not an http(s) URL"},
			{[]string{"search", "x", "--backend", "weaviate", "--weaviate-url", urls[0], "--weaviate-class", "Empty_class"}, "no papers in Weaviate class"},
		} {
			code, _, stderr := paperlens(t, ctx, nil, c.args...)
			if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 2 {
				t.Errorf("%v: exit %d, stderr %q; want an error with %q", c.args, code, stderr, c.want)
			}
		}
	})

	t.Run("a data folder moves into Weaviate by export and import", func(t *testing.T) {
		dir := t.TempDir()
		data, backup := filepath.Join(dir, "data"), filepath.Join(dir, "backup.gz")
		if code, _, stderr := paperlens(t, ctx, nil, "ingest", "--data", data, seeds); code != 0 {
			t.Fatalf("ingest: %s", stderr)
		}
		if code, _, stderr := paperlens(t, ctx, nil, "export", "--data", data, backup); code != 0 {
			t.Fatalf("export: %s", stderr)
		}
		moved := append(slices.Clone(wv), "--weaviate-class", "Moved_papers")
		code, _, stderr := paperlens(t, ctx, nil, append([]string{"import", backup}, moved...)...)
		if code != 0 || !strings.Contains(stderr, "it now holds 38") {
			t.Fatalf("import --backend weaviate: exit %d: %s", code, stderr)
		}
		var pages [2]paper.Page
		for i, args := range [][]string{
			{"search", "bayesian prism", "--mode", "vector", "--json", "--data", data},
			append([]string{"search", "bayesian prism", "--mode", "vector", "--json"}, moved...),
		} {
			code, out, stderr := paperlens(t, ctx, nil, args...)
			if code != 0 || json.Unmarshal([]byte(out), &pages[i]) != nil {
				t.Fatalf("%v: exit %d: %s %s", args, code, stderr, out)
			}
		}
		var before, after []string
		for _, h := range pages[0].Results {
			before = append(before, h.ID)
		}
		for _, h := range pages[1].Results {
			after = append(after, h.ID)
		}
		if len(before) != 10 || !slices.Equal(before, after) {
			t.Fatalf("the folder ranks %v, the imported class %v", before, after)
		}
	})

	bin := buildPaperlens(t)
	a, urlA, errA := startServe(t, bin, t.TempDir(), wv...)
	defer a.Process.Kill()
	b, urlB, errB := startServe(t, bin, t.TempDir(), wv...)
	defer b.Process.Kill()

	t.Run("two servers share one cluster", func(t *testing.T) {
		body := `[{"id":"shared-1","title":"Sharing one Weaviate cluster between servers","abstract":"Two paperlens servers write and read the same papers."}]`
		if code, _, out := call(t, "POST", urlA+"/v1/papers", "", body); code != 200 && code != 201 {
			t.Fatalf("POST to server A: %d %s\n%s", code, out, errA)
		}
		code, _, out := call(t, "GET", urlB+"/v1/papers/shared-1", "", "")
		if code != 200 || !strings.Contains(out, "Sharing one Weaviate cluster") {
			t.Fatalf("GET from server B: %d %s\n%s", code, out, errB)
		}
		code, _, out = call(t, "GET", urlB+"/v1/search?q=weaviate+servers&limit=1&mode=lexical", "", "")
		if code != 200 || !strings.Contains(out, `"shared-1"`) {
			t.Fatalf("search on server B: %d %s", code, out)
		}
		for _, u := range []string{urlA, urlB} {
			code, _, out := call(t, "GET", u+"/v1/stats", "", "")
			if code != 200 || !strings.Contains(out, `"count":39`) {
				t.Fatalf("stats on %s: %d %s", u, code, out)
			}
		}
		if code, _, out := call(t, "DELETE", urlB+"/v1/papers/shared-1", "", ""); code != 200 && code != 204 {
			t.Fatalf("DELETE on server B: %d %s", code, out)
		}
		if code, _, out := call(t, "GET", urlA+"/v1/papers/shared-1", "", ""); code != 404 {
			t.Fatalf("GET from server A after B deleted: %d %s", code, out)
		}
	})

	t.Run("a server keeps answering while a node is down, and answers 503 when every node is", func(t *testing.T) {
		cluster.Kill(0)
		code, _, out := call(t, "GET", urlA+"/v1/search?q=meta-learning&limit=5", "", "")
		if code != 200 || !strings.Contains(out, `"results":[{`) {
			t.Fatalf("search with node 0 down: %d %s\n%s", code, out, errA)
		}
		cluster.Restart(0)
		for i := range 3 { // last: a cluster with no node left cannot restart node by node
			cluster.Kill(i)
		}
		code, _, out = call(t, "GET", urlA+"/v1/search?q=meta-learning&limit=5", "", "")
		if code != 503 || !strings.Contains(out, `"backend_unavailable"`) {
			t.Fatalf("search with every node down: %d %s", code, out)
		}
	})
}

// TestWeaviateEvalStaysCloseToTheEmbeddedStore runs the default (hybrid)
// ranking over SciFact's 809 train queries on both backends: Weaviate's
// own BM25 must keep nDCG@10 within 0.02 of the embedded store's.
func TestWeaviateEvalStaysCloseToTheEmbeddedStore(t *testing.T) {
	cluster := weaviatetest.Start(t, 3)
	corpus, queries := "../../../shared/data/scifact/corpus.jsonl", "../../../shared/data/scifact/queries.jsonl"
	ndcg := func(extra ...string) float64 {
		t.Helper()
		args := append([]string{"eval", "--corpus", corpus, "--queries", queries, "--mode", "hybrid", "--json", "--cache", t.TempDir()}, extra...)
		code, out, stderr := paperlens(t, context.Background(), nil, args...)
		var r evalReport
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil || len(r.Results) != 1 || r.Judged != 809 {
			t.Fatalf("eval %v: exit %d: %s %s", extra, code, stderr, out)
		}
		return r.Results[0].NDCG10
	}
	embedded := ndcg("--no-tune") // Weaviate is not fitted: both rank with the default fusion
	remote := ndcg("--backend", "weaviate", "--weaviate-url", cluster.URL(0)+","+cluster.URL(1), "--weaviate-replicas", "2")
	t.Logf("SciFact train, hybrid nDCG@10: embedded %.4f, Weaviate %.4f", embedded, remote)
	if d := remote - embedded; d < -0.02 || d > 0.02 {
		t.Fatalf("Weaviate's nDCG@10 %.4f is %+.4f from the embedded store's %.4f", remote, d, embedded)
	}
}
