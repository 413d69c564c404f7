// The SciFact evaluation takes about a second, ten under the race
// detector; it is left out of -short runs only.

package builtin

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
)

// TestSciFactRetrieval measures vector-only nDCG@10 on the SciFact train
// queries, a guard against a table that embeds but no longer ranks.
func TestSciFactRetrieval(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluation skipped in -short mode")
	}
	dir := filepath.Join(sharedData, "scifact")
	type doc struct{ ID, Title, Text string }
	type rawDoc struct {
		ID    string `json:"_id"`
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	corpus := readJSONL[rawDoc](t, filepath.Join(dir, "corpus.jsonl"))
	queries := readJSONL[rawDoc](t, filepath.Join(dir, "queries.jsonl"))
	qrels := map[string]map[string]bool{}
	raw, err := os.ReadFile(filepath.Join(dir, "qrels", "train.tsv"))
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) == 3 && f[2] != "0" {
			if qrels[f[0]] == nil {
				qrels[f[0]] = map[string]bool{}
			}
			qrels[f[0]][f[1]] = true
		}
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
	var sum float64
	n := 0
	for _, q := range queries {
		rel := qrels[q.ID]
		if len(rel) == 0 {
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
		var dcg, ideal float64
		for r := 0; r < 10; r++ {
			if rel[corpus[order[r]].ID] {
				dcg += 1 / math.Log2(float64(r+2))
			}
			if r < len(rel) {
				ideal += 1 / math.Log2(float64(r+2))
			}
		}
		sum += dcg / ideal
		n++
	}
	ndcg := sum / float64(n)
	t.Logf("SciFact train, %d queries over %d abstracts: nDCG@10 = %.4f", n, len(corpus), ndcg)
	if ndcg < 0.30 {
		t.Errorf("nDCG@10 = %.4f, want at least 0.30 (the shipped table scored 0.312, plain averaged GloVe 0.19)", ndcg)
	}
}
