// The SciFact evaluation takes about a second, ten under the race
// detector; it is left out of -short runs only.

package builtin

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/eval"
)

// TestSciFactRetrieval measures vector-only nDCG@10 on the SciFact train
// queries, a guard against a table that embeds but no longer ranks.
func TestSciFactRetrieval(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluation skipped in -short mode")
	}
	dir := filepath.Join(sharedData, "scifact")
	type doc struct {
		ID    string `json:"_id"`
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	corpus := readJSONL[doc](t, filepath.Join(dir, "corpus.jsonl"))
	queries, err := eval.ReadQueries(filepath.Join(dir, "queries.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	qrels, err := eval.ReadQrels(filepath.Join(dir, "qrels", "train.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, len(corpus))
	for i, d := range corpus {
		texts[i] = d.Title + ". " + d.Text
	}
	dv, err := e.Embed(context.Background(), texts, embeddings.Document)
	if err != nil {
		t.Fatal(err)
	}
	runs := make([][]string, len(queries))
	for qi, q := range queries {
		if !qrels.Relevant(q.ID) {
			continue
		}
		qv, err := e.Embed(context.Background(), []string{q.Text}, embeddings.Query)
		if err != nil {
			t.Fatal(err)
		}
		order := make([]int, len(corpus))
		scores := make([]float32, len(corpus))
		for i := range corpus {
			order[i] = i
			scores[i] = dot(qv[0], dv[i])
		}
		slices.SortFunc(order, func(a, b int) int {
			if scores[a] != scores[b] {
				if scores[a] > scores[b] {
					return -1
				}
				return 1
			}
			return a - b
		})
		for _, i := range order[:10] {
			runs[qi] = append(runs[qi], corpus[i].ID)
		}
	}
	s := eval.Score(queries, runs, qrels)
	ndcg, n := s.NDCG10, s.Judged
	t.Logf("SciFact train, %d queries over %d abstracts: nDCG@10 = %.4f", n, len(corpus), ndcg)
	if ndcg < 0.30 {
		t.Errorf("nDCG@10 = %.4f, want at least 0.30 (the shipped table scored 0.312, plain averaged GloVe 0.19)", ndcg)
	}
}
