package tune_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/scifact-like from the SciFact data")

// TestSciFactLikeQueriesAreMadeFromTheJudgments checks that
// testdata/scifact-like holds the "papers like this one" queries that
// SciFact's train judgments make (see sciFactLike), and rewrites them with
// -update. paperlens eval runs them:
//
//	paperlens eval --corpus ../shared/data/scifact/corpus.jsonl \
//	    --queries pkg/tune/testdata/scifact-like/queries.jsonl \
//	    --qrels pkg/tune/testdata/scifact-like/qrels.tsv
func TestSciFactLikeQueriesAreMadeFromTheJudgments(t *testing.T) {
	qrels, err := readQrels(filepath.Join(sciFactDir, "qrels", "train.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	corpus := map[string]bool{}
	f, err := os.Open(filepath.Join(sciFactDir, "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d struct {
			ID string `json:"_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		corpus[d.ID] = true
	}
	qs, judged := sciFactLike(qrels, func(id string) bool { return corpus[id] })
	var queries, lines strings.Builder
	lines.WriteString("query-id\tcorpus-id\tscore\n")
	for _, q := range qs {
		fmt.Fprintf(&queries, "{\"_id\": %q, \"paper_id\": %q, \"part\": %d}\n", q.id, q.like, q.part)
		docs := make([]string, 0, len(judged[q.id]))
		for d := range judged[q.id] {
			docs = append(docs, d)
		}
		slices.Sort(docs)
		for _, d := range docs {
			fmt.Fprintf(&lines, "%s\t%s\t%d\n", q.id, d, judged[q.id][d])
		}
	}
	if len(qs) < 100 {
		t.Fatalf("only %d queries: are the SciFact judgments complete?", len(qs))
	}
	dir := filepath.Join("testdata", "scifact-like")
	for name, got := range map[string]string{"queries.jsonl": queries.String(), "qrels.tsv": lines.String()} {
		path := filepath.Join(dir, name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./pkg/tune -run TestSciFactLike -update)", err)
		}
		if string(want) != got {
			t.Errorf("%s differs from what the judgments make (run go test ./pkg/tune -run TestSciFactLike -update)", path)
		}
	}
}
