// Package eval measures ranking quality the way the field does: it reads
// BEIR queries and relevance judgments (qrels), scores rankings by
// nDCG@k, Recall@k and MRR@k as trec_eval computes them, and writes
// rankings in the TREC run format. 'paperlens eval' and every test that
// scores a ranking use it.
package eval

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Query is one line of a BEIR queries.jsonl: an id and a text, or, for
// "papers like this one", the id of a stored paper, or, for "papers like
// these and not like those", the ids of stored papers a reader likes
// (positive) and does not (negative). The papers a query names are left
// out of its ranking.
type Query struct {
	ID       string   `json:"_id"`
	Text     string   `json:"text"`
	PaperID  string   `json:"paper_id"`
	Positive []string `json:"positive,omitempty"`
	Negative []string `json:"negative,omitempty"`
}

// ReadQueries reads a queries.jsonl file. A line without an id, or with
// neither a text nor a paper id, is an error naming its line.
func ReadQueries(path string) ([]Query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the queries: %w", err)
	}
	defer f.Close()
	var qs []Query
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q Query
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON query object: %v", path, n, err)
		}
		q.ID = strings.TrimSpace(q.ID)
		switch {
		case q.ID == "":
			return nil, fmt.Errorf("%s:%d: the query has no \"_id\"", path, n)
		case strings.TrimSpace(q.Text) == "" && strings.TrimSpace(q.PaperID) == "" && len(q.Positive) == 0:
			return nil, fmt.Errorf("%s:%d: query %q has neither \"text\" nor \"paper_id\" nor \"positive\"", path, n, q.ID)
		case len(q.Negative) > 0 && len(q.Positive) == 0:
			return nil, fmt.Errorf("%s:%d: query %q has \"negative\" papers but no \"positive\" one", path, n, q.ID)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%s holds no queries", path)
	}
	return qs, nil
}

// Qrels are relevance judgments: query id → paper id → grade (0: judged
// not relevant).
type Qrels map[string]map[string]int

// QrelsNames are looked for, in this order, in a qrels/ folder beside a
// BEIR corpus (see FindQrels).
var QrelsNames = []string{"test.tsv", "dev.tsv", "train.tsv"}

// ErrNoQrels is returned by FindQrels when no judgments lie beside the
// corpus.
var ErrNoQrels = errors.New("no qrels beside the corpus")

// FindQrels returns the judgments beside a BEIR corpus: qrels/test.tsv,
// qrels/dev.tsv, then qrels/train.tsv, the first that exists.
func FindQrels(corpus string) (string, error) {
	dir := filepath.Join(filepath.Dir(corpus), "qrels")
	for _, name := range QrelsNames {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: none of %s in %s: give the qrels file", ErrNoQrels, strings.Join(QrelsNames, ", "), dir)
}

// ReadQrels reads query-id, corpus-id, score lines (tab- or
// space-separated, a header line allowed; TREC's four columns too). Paper
// ids are normalised as the store normalises them.
func ReadQrels(path string) (Qrels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the qrels: %w", err)
	}
	defer f.Close()
	out := Qrels{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) == 4 { // TREC qrels: qid iter docid rel
			fields = []string{fields[0], fields[2], fields[3]}
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want query-id, corpus-id and score, got %d fields", path, n, len(fields))
		}
		grade, err := strconv.Atoi(fields[2])
		if err != nil {
			if n == 1 { // the header
				continue
			}
			return nil, fmt.Errorf("%s:%d: score %q is not a whole number", path, n, fields[2])
		}
		if out[fields[0]] == nil {
			out[fields[0]] = map[string]int{}
		}
		out[fields[0]][paper.NormalizeID(fields[1])] = grade
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return out, nil
}

// Relevant reports whether q has a judgment with a grade above 0: the
// queries trec_eval averages over.
func (j Qrels) Relevant(q string) bool {
	for _, g := range j[q] {
		if g > 0 {
			return true
		}
	}
	return false
}

// NDCG is nDCG@k of a ranking (paper ids, best first) with the grade as
// gain, as trec_eval computes it; 0 when nothing is relevant.
func NDCG(ranked []string, grades map[string]int, k int) float64 {
	var ideal []int
	for _, g := range grades {
		if g > 0 {
			ideal = append(ideal, g)
		}
	}
	slices.Sort(ideal)
	slices.Reverse(ideal)
	var dcg, idcg float64
	for r := 0; r < k && r < len(ideal); r++ {
		idcg += float64(ideal[r]) / math.Log2(float64(r+2))
	}
	for r, id := range ranked[:min(k, len(ranked))] {
		if g := grades[id]; g > 0 {
			dcg += float64(g) / math.Log2(float64(r+2))
		}
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// Recall is the share of the relevant papers found in the first k.
func Recall(ranked []string, grades map[string]int, k int) float64 {
	relevant, found := 0, 0
	for _, g := range grades {
		if g > 0 {
			relevant++
		}
	}
	for _, id := range ranked[:min(k, len(ranked))] {
		if grades[id] > 0 {
			found++
		}
	}
	if relevant == 0 {
		return 0
	}
	return float64(found) / float64(relevant)
}

// MRR is the reciprocal rank of the first relevant paper in the first k,
// or 0.
func MRR(ranked []string, grades map[string]int, k int) float64 {
	for r, id := range ranked[:min(k, len(ranked))] {
		if grades[id] > 0 {
			return 1 / float64(r+1)
		}
	}
	return 0
}

// Scores are the usual figures averaged over the judged queries, rounded
// to four places as trec_eval prints them.
type Scores struct {
	NDCG10    float64 `json:"ndcg@10"`
	Recall100 float64 `json:"recall@100"`
	MRR10     float64 `json:"mrr@10"`
	// Judged is how many queries had a relevant paper and were averaged.
	Judged int `json:"-"`
}

// Score averages nDCG@10, Recall@100 and MRR@10 of runs[i], the ranking
// of qs[i], over the queries that have a relevant paper in qrels.
func Score(qs []Query, runs [][]string, qrels Qrels) Scores {
	var s Scores
	for i, q := range qs {
		if !qrels.Relevant(q.ID) {
			continue
		}
		s.Judged++
		s.NDCG10 += NDCG(runs[i], qrels[q.ID], 10)
		s.Recall100 += Recall(runs[i], qrels[q.ID], 100)
		s.MRR10 += MRR(runs[i], qrels[q.ID], 10)
	}
	if s.Judged > 0 {
		n := float64(s.Judged)
		s.NDCG10 = math.Round(s.NDCG10/n*1e4) / 1e4
		s.Recall100 = math.Round(s.Recall100/n*1e4) / 1e4
		s.MRR10 = math.Round(s.MRR10/n*1e4) / 1e4
	}
	return s
}

// IDs are the paper ids of hits, in order: the ranking Score reads.
func IDs(hits []paper.Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

// WriteRun writes rankings in the TREC run format, one line per hit:
// "qid Q0 docid rank score tag"; runs[i] is the ranking of qs[i].
func WriteRun(w io.Writer, qs []Query, runs [][]paper.Hit, tag string) error {
	bw := bufio.NewWriter(w)
	for i, q := range qs {
		for r, h := range runs[i] {
			fmt.Fprintf(bw, "%s Q0 %s %d %.6f %s\n", q.ID, h.ID, r+1, h.Score, tag)
		}
	}
	return bw.Flush()
}
