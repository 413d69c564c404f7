package eval_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paperlens/paperlens/pkg/eval"
	"github.com/paperlens/paperlens/pkg/paper"
)

func TestMetricsAreTrecEvals(t *testing.T) {
	grades := map[string]int{"b": 2, "c": 1, "z": 1, "n": 0}
	// DCG = 2/log2(3) + 1/log2(4); IDCG = 2 + 1/log2(3) + 1/log2(4).
	idcg := 2 + 1/math.Log2(3) + 0.5
	tests := []struct {
		name   string
		ranked []string
		metric func([]string, map[string]int, int) float64
		k      int
		want   float64
	}{
		{"nDCG weighs each relevant paper by its grade and its rank", []string{"a", "b", "c"}, eval.NDCG, 10, (2/math.Log2(3) + 0.5) / idcg},
		{"nDCG is 1 for the ideal order", []string{"b", "c", "z"}, eval.NDCG, 10, 1},
		{"nDCG counts only the first k", []string{"a", "b", "c"}, eval.NDCG, 1, 0},
		{"nDCG of an empty ranking is 0", nil, eval.NDCG, 10, 0},
		{"recall is the share of relevant papers found", []string{"a", "b", "c"}, eval.Recall, 100, 2.0 / 3},
		{"recall ignores papers judged not relevant", []string{"n"}, eval.Recall, 100, 0},
		{"MRR is one over the first relevant rank", []string{"a", "b", "c"}, eval.MRR, 10, 0.5},
		{"MRR is 0 when the first relevant paper is past k", []string{"a", "n", "b"}, eval.MRR, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.metric(tt.ranked, grades, tt.k); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("got %.6f, want %.6f", got, tt.want)
			}
		})
	}
}

func TestScoreAveragesOverTheJudgedQueriesOnly(t *testing.T) {
	qs := []eval.Query{{ID: "q"}, {ID: "unjudged"}, {ID: "judged-irrelevant"}, {ID: "perfect"}}
	runs := [][]string{{"a", "b", "c"}, {"b"}, {"x"}, {"p"}}
	qrels := eval.Qrels{"q": {"b": 2, "c": 1, "z": 1, "n": 0}, "judged-irrelevant": {"x": 0}, "perfect": {"p": 1}}
	got := eval.Score(qs, runs, qrels)
	ndcgQ := (2/math.Log2(3) + 0.5) / (2 + 1/math.Log2(3) + 0.5)
	if got.Judged != 2 {
		t.Fatalf("judged = %d, want 2 (a query needs a relevant paper)", got.Judged)
	}
	for name, pair := range map[string][2]float64{
		"nDCG@10":    {got.NDCG10, (ndcgQ + 1) / 2},
		"Recall@100": {got.Recall100, (2.0/3 + 1) / 2},
		"MRR@10":     {got.MRR10, (0.5 + 1) / 2},
	} {
		if math.Abs(pair[0]-pair[1]) > 1e-4 {
			t.Errorf("%s = %.4f, want %.4f", name, pair[0], pair[1])
		}
	}
}

func TestReadersTakeBEIRFilesAndSayWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("qrels with a header, tabs or TREC's four columns", func(t *testing.T) {
		q, err := eval.ReadQrels(write("q.tsv", "query-id\tcorpus-id\tscore\n1\t2509.03687v2\t1\n2 0 d7 2\n"))
		if err != nil {
			t.Fatal(err)
		}
		if q["1"]["2509.03687"] != 1 || q["2"]["d7"] != 2 {
			t.Errorf("qrels = %v; want ids normalised and TREC columns read", q)
		}
	})
	t.Run("qrels with a grade that is not a number", func(t *testing.T) {
		if _, err := eval.ReadQrels(write("bad.tsv", "1\td\t1\n2\td\tyes\n")); err == nil {
			t.Error("no error for a grade of \"yes\"")
		}
	})
	t.Run("queries by text and by paper", func(t *testing.T) {
		qs, err := eval.ReadQueries(write("q.jsonl", `{"_id":"1","text":"a claim"}`+"\n\n"+`{"_id":"2","paper_id":"d7"}`+"\n"))
		if err != nil || len(qs) != 2 || qs[1].PaperID != "d7" {
			t.Errorf("queries = %+v, %v", qs, err)
		}
	})
	t.Run("a query with neither text nor paper", func(t *testing.T) {
		if _, err := eval.ReadQueries(write("bad.jsonl", `{"_id":"x"}`+"\n")); err == nil {
			t.Error("no error")
		}
	})
	t.Run("qrels found beside a BEIR corpus", func(t *testing.T) {
		if err := os.MkdirAll(filepath.Join(dir, "qrels"), 0o755); err != nil {
			t.Fatal(err)
		}
		write("qrels/train.tsv", "1\td\t1\n")
		write("qrels/dev.tsv", "1\td\t1\n")
		got, err := eval.FindQrels(filepath.Join(dir, "corpus.jsonl"))
		if err != nil || filepath.Base(got) != "dev.tsv" {
			t.Errorf("FindQrels = %q, %v; want dev.tsv before train.tsv", got, err)
		}
	})
}

func TestWriteRunWritesTheTrecFormat(t *testing.T) {
	var b bytes.Buffer
	qs := []eval.Query{{ID: "q1"}, {ID: "q2"}}
	runs := [][]paper.Hit{{{Paper: paper.Paper{ID: "a"}, Score: 0.5}, {Paper: paper.Paper{ID: "b"}, Score: 0.25}}, nil}
	if err := eval.WriteRun(&b, qs, runs, "tag"); err != nil {
		t.Fatal(err)
	}
	if want := "q1 Q0 a 1 0.500000 tag\nq1 Q0 b 2 0.250000 tag\n"; b.String() != want {
		t.Errorf("run = %q, want %q", b.String(), want)
	}
}
