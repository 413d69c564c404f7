// The SciFact cross-validation behind docs/quality.md. It is an experiment,
// not a check: it runs only when asked,
//
//	go test ./pkg/tune -run TestSciFactCV -v -timeout 30m -args -cv
//
// and prints tables. The 809 train queries are split by FNV-1a (32 bits) of
// the query id, mod 5: part 0 is held out (it is scored only with
// -holdout, once, at the end), parts 1 to 4 are the cross-validation folds.

package tune_test

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/eval"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/tune"
	"github.com/paperlens/paperlens/pkg/words"
)

var (
	runCV       = flag.Bool("cv", false, "run the SciFact cross-validation experiments of docs/quality.md")
	withHoldout = flag.Bool("holdout", false, "also score the held-out part 0 (the final check only)")
)

const sciFactDir = "../../../shared/data/scifact"

// part is the part of the train queries a query id falls in: 0 is held
// out, 1 to 4 are the folds.
func part(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % 5)
}

// lab is the SciFact corpus in a data folder, with the queries allowed.
type lab struct {
	emb     embeddings.Embedder
	st      *store.Store
	lx      *lexical.Index
	papers  map[string]paper.Paper
	queries []labQuery
	qrels   map[string]map[string]int
}

type labQuery struct {
	id, text, like string // like: the paper id of a "papers like this one" query
	part           int
	vec            []float32
}

var (
	labOnce sync.Once
	theLab  *lab
	labErr  error
)

func openLab(t *testing.T) *lab {
	if !*runCV {
		t.Skip("an experiment: run with -args -cv (see docs/quality.md)")
	}
	labOnce.Do(func() { theLab, labErr = buildLab() })
	if labErr != nil {
		t.Fatal(labErr)
	}
	return theLab
}

func buildLab() (*lab, error) {
	ctx := context.Background()
	emb, err := builtin.New()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tune-cv-")
	if err != nil {
		return nil, err
	}
	st, err := store.Open(dir, emb.Info())
	if err != nil {
		return nil, err
	}
	lx, err := lexical.Open(ctx, dir, st.All(ctx))
	if err != nil {
		return nil, err
	}
	l := &lab{emb: emb, st: st, lx: lx, papers: map[string]paper.Paper{}}
	var all []paper.Paper
	if _, err := loader.LoadFile(filepath.Join(sciFactDir, "corpus.jsonl"), loader.Options{Format: loader.BEIR}, func(p paper.Paper) error {
		all = append(all, p)
		l.papers[p.ID] = p
		return nil
	}); err != nil {
		return nil, err
	}
	if _, err := ingest.NewTo(emb, backend.Local(st, lx)).Upsert(ctx, all); err != nil {
		return nil, err
	}
	<-lx.Ready()
	if l.qrels, err = readQrels(filepath.Join(sciFactDir, "qrels", "train.tsv")); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(sciFactDir, "queries.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var q struct {
			ID   string `json:"_id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, err
		}
		p := part(q.ID)
		if len(l.qrels[q.ID]) == 0 || (p == 0 && !*withHoldout) {
			continue
		}
		l.queries = append(l.queries, labQuery{id: q.ID, text: q.Text, part: p})
	}
	texts := make([]string, len(l.queries))
	for i, q := range l.queries {
		texts[i] = q.text
	}
	vs, err := emb.Embed(ctx, texts, embeddings.Query)
	if err != nil {
		return nil, err
	}
	for i := range l.queries {
		l.queries[i].vec = vs[i]
	}
	return l, sc.Err()
}

// readQrels reads judgments, keeping those with a grade above 0.
func readQrels(path string) (map[string]map[string]int, error) {
	all, err := eval.ReadQrels(path)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]int{}
	for q, docs := range all {
		for d, g := range docs {
			if g > 0 {
				if out[q] == nil {
					out[q] = map[string]int{}
				}
				out[q][d] = g
			}
		}
	}
	return out, nil
}

// likeQueries are the "papers like this one" queries of SciFact (see
// sciFactLike), without part 0 unless -holdout.
func (l *lab) likeQueries() ([]labQuery, map[string]map[string]int) {
	all, judged := sciFactLike(l.qrels, func(id string) bool { _, ok := l.papers[id]; return ok })
	var qs []labQuery
	for _, q := range all {
		if q.part != 0 || *withHoldout {
			qs = append(qs, q)
		}
	}
	return qs, judged
}

// sciFactLike makes the "papers like this one" queries of SciFact's train
// judgments: each paper of the corpus judged relevant to a claim that has
// two or more relevant papers asks for the others judged relevant to any
// of its claims. A query falls in the part of its first claim by id, or in
// part 0 if any of its claims is in part 0. The queries are in id order.
func sciFactLike(qrels map[string]map[string]int, inCorpus func(string) bool) ([]labQuery, map[string]map[string]int) {
	byPaper := map[string]map[string]int{}
	partOf := map[string]int{}
	claims := make([]string, 0, len(qrels))
	for c := range qrels {
		claims = append(claims, c)
	}
	slices.Sort(claims)
	for _, claim := range claims {
		docs := qrels[claim]
		if len(docs) < 2 {
			continue
		}
		for d := range docs {
			if !inCorpus(d) {
				continue
			}
			if byPaper[d] == nil {
				byPaper[d] = map[string]int{}
				partOf[d] = part(claim)
			}
			if part(claim) == 0 {
				partOf[d] = 0
			}
			for o, g := range docs {
				if o != d {
					byPaper[d][o] = g
				}
			}
		}
	}
	var qs []labQuery
	judged := map[string]map[string]int{}
	for d, rel := range byPaper {
		id := "like-" + d
		qs = append(qs, labQuery{id: id, like: d, part: partOf[d]})
		judged[id] = rel
	}
	slices.SortFunc(qs, func(a, b labQuery) int { return cmp.Compare(a.id, b.id) })
	return qs, judged
}

// ranked is one query's two rankings, each best first.
type ranked struct{ lex, vec []paper.Scored }

// rank ranks every query both ways with the index as it is set now.
func (l *lab) rank(t *testing.T, qs []labQuery) []ranked {
	t.Helper()
	ctx := context.Background()
	out := make([]ranked, len(qs))
	for i, q := range qs {
		var err error
		var v []float32
		if q.like != "" {
			rec, gerr := l.st.Get(ctx, q.like)
			if gerr != nil {
				t.Fatal(gerr)
			}
			out[i].lex, _, err = l.lx.SearchLike(ctx, q.like, rec.Paper.Text(), 100, paper.Filter{Exclude: []string{q.like}})
			v = rec.Vector
		} else {
			out[i].lex, _, err = l.lx.Search(ctx, q.text, 100, paper.Filter{})
			v = q.vec
		}
		if err != nil {
			t.Fatal(err)
		}
		var hits []paper.Hit
		if q.like != "" {
			hits, err = l.st.Nearest(ctx, v, 100, paper.Filter{Exclude: []string{q.like}}.Matcher())
		} else {
			hits, err = l.st.Nearest(ctx, v, 100, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			out[i].vec = append(out[i].vec, paper.Scored{ID: h.ID, Score: h.Score})
		}
	}
	return out
}

// ndcg is nDCG@10 of a ranking, gain the grade.
func ndcg(run []paper.Scored, grades map[string]int) float64 {
	ids := make([]string, len(run))
	for i, h := range run {
		ids[i] = h.ID
	}
	return eval.NDCG(ids, grades, 10)
}

// row is a setting's nDCG@10 per query, in the order of the queries.
type row struct {
	name  string
	ndcg  []float64
	parts []int
}

func newRow(name string, qs []labQuery, runs [][]paper.Scored, judged map[string]map[string]int) row {
	r := row{name: name}
	for i, q := range qs {
		r.ndcg = append(r.ndcg, ndcg(runs[i], judged[q.id]))
		r.parts = append(r.parts, q.part)
	}
	return r
}

// mean is the mean over the queries of the parts keep says.
func (r row) mean(keep func(part int) bool) float64 {
	var s float64
	n := 0
	for i, v := range r.ndcg {
		if keep(r.parts[i]) {
			s, n = s+v, n+1
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func cvParts(p int) bool { return p != 0 }

// fused is the row of one fusion over the rankings.
func fused(name string, f search.Fusion, qs []labQuery, rs []ranked, judged map[string]map[string]int) row {
	runs := make([][]paper.Scored, len(rs))
	for i, r := range rs {
		runs[i] = f.Merge(r.lex, r.vec)
	}
	return newRow(name, qs, runs, judged)
}

func lexicalOnly(name string, qs []labQuery, rs []ranked, judged map[string]map[string]int) row {
	runs := make([][]paper.Scored, len(rs))
	for i, r := range rs {
		runs[i] = r.lex
	}
	return newRow(name, qs, runs, judged)
}

func vectorOnly(name string, qs []labQuery, rs []ranked, judged map[string]map[string]int) row {
	runs := make([][]paper.Scored, len(rs))
	for i, r := range rs {
		runs[i] = r.vec
	}
	return newRow(name, qs, runs, judged)
}

// header and print write a table of rows: all folds, each fold, and the
// held-out part when it is scored.
func header(t *testing.T) {
	h := "| setting | folds 1–4 | fold 1 | fold 2 | fold 3 | fold 4 | halves 1+2 / 3+4 |"
	if *withHoldout {
		h += " held out (part 0) |"
	}
	t.Log(h)
}

func (r row) print(t *testing.T) {
	s := fmt.Sprintf("| %s | %.4f |", r.name, r.mean(cvParts))
	for k := 1; k <= 4; k++ {
		s += fmt.Sprintf(" %.4f |", r.mean(func(p int) bool { return p == k }))
	}
	s += fmt.Sprintf(" %.4f / %.4f |", r.mean(func(p int) bool { return p == 1 || p == 2 }), r.mean(func(p int) bool { return p == 3 || p == 4 }))
	if *withHoldout {
		s += fmt.Sprintf(" %.4f |", r.mean(func(p int) bool { return p == 0 }))
	}
	t.Log(s)
}

// crossValidate chooses, for each fold, the row best on the other three
// folds, and returns the row made of each fold's chosen row's figures, and
// the names chosen.
func crossValidate(name string, rows []row) (row, []string) {
	out := row{name: name, ndcg: make([]float64, len(rows[0].ndcg)), parts: rows[0].parts}
	var chosen []string
	for k := 0; k <= 4; k++ {
		best := rows[0]
		bestScore := math.Inf(-1)
		for _, r := range rows {
			// Part 0 is never used to choose; it is scored with the
			// choice made on all four folds.
			s := r.mean(func(p int) bool { return p != 0 && p != k })
			if s > bestScore {
				best, bestScore = r, s
			}
		}
		if k > 0 {
			chosen = append(chosen, best.name)
		} else if *withHoldout {
			chosen = append(chosen, "held out: "+best.name)
		}
		for i, p := range out.parts {
			if p == k {
				out.ndcg[i] = best.ndcg[i]
			}
		}
	}
	return out, chosen
}

// grid is the rows of every fusion of tune.Shares with each method.
func grid(qs []labQuery, rs []ranked, judged map[string]map[string]int) []row {
	var rows []row
	for _, m := range []search.FusionMethod{search.Scores, search.RRF} {
		for _, s := range tune.Shares {
			f := search.DefaultFusion
			f.Method, f.LexicalWeight, f.VectorWeight = m, 1-s, s
			rows = append(rows, fused(fmt.Sprintf("%s %.2f", m, s), f, qs, rs, judged))
		}
	}
	return rows
}

func best(rows []row) row {
	return slices.MaxFunc(rows, func(a, b row) int { return cmp.Compare(a.mean(cvParts), b.mean(cvParts)) })
}

func TestSciFactCV(t *testing.T) {
	l := openLab(t)
	judged := l.qrels

	t.Run("fusion", func(t *testing.T) {
		rs := l.rank(t, l.queries)
		header(t)
		lexicalOnly("lexical", l.queries, rs, judged).print(t)
		vectorOnly("vector", l.queries, rs, judged).print(t)
		fused("hybrid, default fusion (score 0.8/0.2)", search.DefaultFusion, l.queries, rs, judged).print(t)
		rows := grid(l.queries, rs, judged)
		b := best(rows)
		b.name = "best of the grid on folds 1–4: " + b.name
		b.print(t)
		cv, chosen := crossValidate("grid, chosen on the other three folds", rows)
		cv.print(t)
		t.Logf("chosen: %v", chosen)
		l.fitEachKind(t, "", rs, true)
		var curve []string
		for _, r := range rows {
			curve = append(curve, fmt.Sprintf("%s: %.4f", r.name, r.mean(cvParts)))
		}
		t.Logf("SciFact curve (folds 1–4): %s", strings.Join(curve, ", "))
	})
}

// fitEachKind fits the fusion on each kind of pseudo-query alone and
// prints the SciFact row of each fit (and, with curves, its whole curve on
// the pseudo-queries).
func (l *lab) fitEachKind(t *testing.T, suffix string, rs []ranked, curves bool) {
	for _, kind := range []tune.Kind{tune.Title, tune.Sentence} {
		res, err := tune.Fit(context.Background(), tune.Local(l.st, l.lx), l.emb, tune.Options{Kinds: []tune.Kind{kind}})
		if err != nil {
			t.Fatal(err)
		}
		fused(fmt.Sprintf("hybrid fitted on %s pseudo-queries (%s %.2f)%s", kind, res.Fusion.Method, res.Fusion.VectorWeight, suffix),
			res.Fusion, l.queries, rs, l.qrels).print(t)
		t.Logf("%s pseudo-queries: best %.4f, default %.4f, lexical %.4f, vector %.4f", kind, res.NDCG, res.Default, res.Lexical, res.Vector)
		if curves {
			var curve []string
			for _, p := range res.Curve {
				curve = append(curve, fmt.Sprintf("%s %.2f: %.4f", p.Method, p.VectorShare, p.NDCG))
			}
			t.Logf("curve: %s", strings.Join(curve, ", "))
		}
	}
}

// withRanking runs fn with the index ranking by r, then puts the default
// back.
func (l *lab) withRanking(t *testing.T, r lexical.Ranking, fn func()) {
	t.Helper()
	if err := l.lx.SetRanking(r); err != nil {
		t.Fatal(err)
	}
	defer l.lx.SetRanking(lexical.DefaultRanking)
	fn()
}

func TestSciFactCVFields(t *testing.T) {
	l := openLab(t)
	judged := l.qrels
	header(t)
	var lexRows, hybRows, joint []row
	for _, power := range []float64{2, 1} {
		for _, tw := range []float64{1, 2, 3, 4, 6} {
			r := lexical.DefaultRanking
			r.TitleWeight, r.IDFPower = tw, power
			l.withRanking(t, r, func() {
				name := fmt.Sprintf("title weight %g, idf^%g", tw, power)
				rs := l.rank(t, l.queries)
				lx := lexicalOnly("lexical, "+name, l.queries, rs, judged)
				hy := fused("hybrid 0.8/0.2, "+name, search.DefaultFusion, l.queries, rs, judged)
				lexRows, hybRows = append(lexRows, lx), append(hybRows, hy)
				g := grid(l.queries, rs, judged)
				for i := range g {
					g[i].name = name + ", " + g[i].name
				}
				joint = append(joint, g...)
				cv, chosen := crossValidate("hybrid, fusion chosen on the other folds, "+name, g)
				lx.print(t)
				hy.print(t)
				cv.print(t)
				t.Logf("chosen: %v", chosen)
				l.fitEachKind(t, ", "+name, rs, false)
			})
		}
	}
	for _, fam := range []struct {
		name string
		rows []row
	}{{"lexical", lexRows}, {"hybrid 0.8/0.2", hybRows}, {"hybrid, ranking and fusion", joint}} {
		cv, chosen := crossValidate(fam.name+", chosen on the other folds", fam.rows)
		cv.print(t)
		t.Logf("chosen: %v", chosen)
	}
}

func TestSciFactCVFitting(t *testing.T) {
	l := openLab(t)
	ctx := context.Background()
	judged := l.qrels
	for _, power := range []float64{2, 1} {
		r := lexical.DefaultRanking
		r.IDFPower = power
		l.withRanking(t, r, func() {
			rs := l.rank(t, l.queries)
			score := func(share float64, m search.FusionMethod) float64 {
				f := search.DefaultFusion
				f.Method, f.LexicalWeight, f.VectorWeight = m, 1-share, share
				return fused("", f, l.queries, rs, judged).mean(cvParts)
			}
			t.Logf("idf^%g: SciFact folds 1–4 at score 0.05 / 0.10 / 0.15 / 0.20 / 0.25 / 0.30: %.4f / %.4f / %.4f / %.4f / %.4f / %.4f",
				power, score(0.05, search.Scores), score(0.10, search.Scores), score(0.15, search.Scores), score(0.20, search.Scores), score(0.25, search.Scores), score(0.30, search.Scores))
			for _, n := range []int{500, 1000} {
				for _, seed := range []string{"", "b", "c"} {
					var all []tune.Asked
					for _, kind := range []tune.Kind{tune.Title, tune.Sentence} {
						qs, err := tune.Ask(ctx, tune.Local(l.st, l.lx), l.emb, tune.Options{Kinds: []tune.Kind{kind}, Queries: n, Seed: seed})
						if err != nil {
							t.Fatal(err)
						}
						all = append(all, qs...)
						res := tune.Choose(qs)
						am := argmax(res.Curve)
						t.Logf("idf^%g, %d %s pseudo-queries, seed %q: argmax %s %.2f (SciFact %.4f), chosen %s %.2f (SciFact %.4f)",
							power, n, kind, seed, am.Method, am.VectorShare, score(am.VectorShare, am.Method),
							res.Fusion.Method, res.Fusion.VectorWeight, score(res.Fusion.VectorWeight, res.Fusion.Method))
					}
					res := tune.Choose(all)
					am := argmax(res.Curve)
					t.Logf("idf^%g, %d title + %d sentence pseudo-queries, seed %q: argmax %s %.2f (SciFact %.4f), chosen %s %.2f (SciFact %.4f)",
						power, n, n, seed, am.Method, am.VectorShare, score(am.VectorShare, am.Method),
						res.Fusion.Method, res.Fusion.VectorWeight, score(res.Fusion.VectorWeight, res.Fusion.Method))
				}
			}
		})
	}
}

// argmax is the point of the curve with the best nDCG@10.
func argmax(curve []tune.Point) tune.Point {
	return slices.MaxFunc(curve, func(a, b tune.Point) int { return cmp.Compare(a.NDCG, b.NDCG) })
}

// corpusStats is what the "like" experiments weigh words by: in how many
// papers each analysed word occurs, and in how many titles.
type corpusStats struct {
	n        int
	df, tdf  map[string]int
	meanTS   float64 // Σ tdf / Σ df: the share of a word's papers that hold it in the title, over all words
	analysed map[string]map[string]int
}

func (l *lab) stats(t *testing.T) corpusStats {
	cs := corpusStats{df: map[string]int{}, tdf: map[string]int{}, analysed: map[string]map[string]int{}}
	var sumT, sumD int
	for id, p := range l.papers {
		tw, err := words.Of(p.Title)
		if err != nil {
			t.Fatal(err)
		}
		aw, err := words.Of(p.Abstract)
		if err != nil {
			t.Fatal(err)
		}
		freq := map[string]int{}
		inTitle := map[string]bool{}
		for _, w := range tw {
			freq[w]++
			inTitle[w] = true
		}
		for _, w := range aw {
			freq[w]++
		}
		for w := range freq {
			cs.df[w]++
			sumD++
			if inTitle[w] {
				cs.tdf[w]++
				sumT++
			}
		}
		cs.analysed[id] = freq
		cs.n++
	}
	cs.meanTS = float64(sumT) / float64(sumD)
	return cs
}

// topicality is how much more often than the average word w occurs in
// titles when it occurs in a paper, smoothed towards 1 by m papers' worth
// of the average and capped at 1: genre words ("challenges",
// "comprehensive", "novel") are common in abstracts and rare in titles.
func (cs corpusStats) topicality(w string, m float64) float64 {
	s := (float64(cs.tdf[w]) + m*cs.meanTS) / (float64(cs.df[w]) + m)
	return min(1, s/cs.meanTS)
}

// likeQuery is a way to make the lexical query of "papers like this one":
// the paper's keep most distinctive words by tf·idf·topicality^gamma, each
// weighed tf^tfPower·topicality^gamma (topicality^0 when selectOnly).
type likeQuery struct {
	keep                   int
	tfPower, gamma, smooth float64
	selectOnly             bool
}

func (q likeQuery) String() string {
	s := fmt.Sprintf("%d words, tf^%g", q.keep, q.tfPower)
	if q.gamma != 0 {
		s += fmt.Sprintf(", topicality^%g (m %g)", q.gamma, q.smooth)
		if q.selectOnly {
			s += " to choose the words only"
		}
	}
	return s
}

// likeQueries are the ways tried; the first is the query as served.
var likeQueries = []likeQuery{
	{keep: 25, tfPower: 1},
	{keep: 25, tfPower: 0.5},
	{keep: 40, tfPower: 1},
	{keep: 40, tfPower: 0.5},
	{keep: 25, tfPower: 1, gamma: 0.5, smooth: 5},
	{keep: 25, tfPower: 1, gamma: 1, smooth: 5},
	{keep: 25, tfPower: 1, gamma: 2, smooth: 5},
	{keep: 25, tfPower: 1, gamma: 1, smooth: 50},
	{keep: 25, tfPower: 1, gamma: 1, smooth: 5, selectOnly: true},
	{keep: 25, tfPower: 1, gamma: 2, smooth: 50},
	{keep: 40, tfPower: 1, gamma: 1, smooth: 5},
	{keep: 25, tfPower: 0.5, gamma: 1, smooth: 5},
}

// weights is the weighted query q makes of the paper id.
func (cs corpusStats) weights(id string, q likeQuery) map[string]float64 {
	type kt struct {
		w     string
		tf    int
		score float64
	}
	var ks []kt
	for w, tf := range cs.analysed[id] {
		idf := math.Log(1 + (float64(cs.n)-float64(cs.df[w])+0.5)/(float64(cs.df[w])+0.5))
		ks = append(ks, kt{w, tf, float64(tf) * idf * math.Pow(cs.topicality(w, q.smooth), q.gamma)})
	}
	slices.SortFunc(ks, func(a, b kt) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.w, b.w)
	})
	out := map[string]float64{}
	for i, k := range ks {
		if i >= q.keep {
			break
		}
		out[k.w] = math.Pow(float64(k.tf), q.tfPower)
		if !q.selectOnly {
			out[k.w] *= math.Pow(cs.topicality(k.w, q.smooth), q.gamma)
		}
	}
	return out
}

func TestSciFactCVLike(t *testing.T) {
	l := openLab(t)
	ctx := context.Background()
	qs, judged := l.likeQueries()
	t.Logf("%d \"papers like this one\" queries", len(qs))
	rs := l.rank(t, qs)
	header(t)
	lexicalOnly("lexical (as served)", qs, rs, judged).print(t)
	vectorOnly("vector", qs, rs, judged).print(t)
	fused("hybrid 0.8/0.2 (as served)", search.DefaultFusion, qs, rs, judged).print(t)
	cv, chosen := crossValidate("hybrid, fusion chosen on the other folds", grid(qs, rs, judged))
	cv.print(t)
	t.Logf("chosen: %v", chosen)
	cs := l.stats(t)
	for _, w := range []string{"result", "studi", "conclus", "method", "cell", "cancer", "patient", "increas", "novel", "challeng"} {
		t.Logf("topicality %s: %.3f (df %d, in titles %d)", w, cs.topicality(w, 5), cs.df[w], cs.tdf[w])
	}
	var lexRows, hybRows []row
	for _, lq := range likeQueries {
		alt := make([]ranked, len(rs))
		for i, q := range qs {
			lex, err := l.lx.SearchTerms(ctx, cs.weights(q.like, lq), 100, q.like)
			if err != nil {
				t.Fatal(err)
			}
			alt[i] = ranked{lex: lex, vec: rs[i].vec}
		}
		lx := lexicalOnly("lexical, "+lq.String(), qs, alt, judged)
		hy := fused("hybrid 0.8/0.2, "+lq.String(), search.DefaultFusion, qs, alt, judged)
		lx.print(t)
		hy.print(t)
		lexRows, hybRows = append(lexRows, lx), append(hybRows, hy)
	}
	for _, fam := range []struct {
		name string
		rows []row
	}{{"lexical", lexRows}, {"hybrid 0.8/0.2", hybRows}} {
		cv, chosen := crossValidate(fam.name+", chosen on the other folds", fam.rows)
		cv.print(t)
		t.Logf("chosen: %v", chosen)
	}
}

// titleWeightCurve is the lexical ranking's mean nDCG@10 on sentence
// pseudo-queries (whose relevant paper keeps its title) for each title
// weight: the title weight fitted by the method of package tune.
func titleWeightCurve(t *testing.T, l *lab) string {
	var out []string
	for _, tw := range []float64{1, 2, 3, 4, 6} {
		r := lexical.DefaultRanking
		r.TitleWeight = tw
		l.withRanking(t, r, func() {
			qs, err := tune.Ask(context.Background(), tune.Local(l.st, l.lx), l.emb, tune.Options{Kinds: []tune.Kind{tune.Sentence}})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%g: %.4f", tw, tune.Choose(qs).Lexical))
		})
	}
	return strings.Join(out, ", ")
}

func TestTitleWeightFittedByPseudoQueries(t *testing.T) {
	t.Logf("SciFact, lexical nDCG@10 on 500 sentence pseudo-queries by title weight: %s", titleWeightCurve(t, openLab(t)))
	if *arxivDir != "" {
		t.Logf("arXiv, lexical nDCG@10 on 500 sentence pseudo-queries by title weight: %s", titleWeightCurve(t, openArxiv(t)))
	}
}

// TestHoldout is the final check on part 0, run once with -holdout: the
// choices made on folds 1–4, against the ranking before them.
func TestHoldout(t *testing.T) {
	if !*withHoldout {
		t.Skip("the final check: run with -args -cv -holdout")
	}
	l := openLab(t)
	ctx := context.Background()
	header(t)
	for _, power := range []float64{2, 1} {
		r := lexical.DefaultRanking
		r.IDFPower = power
		l.withRanking(t, r, func() {
			rs := l.rank(t, l.queries)
			res, err := tune.Fit(ctx, tune.Local(l.st, l.lx), l.emb, tune.Options{})
			if err != nil {
				t.Fatal(err)
			}
			lexicalOnly(fmt.Sprintf("idf^%g, lexical", power), l.queries, rs, l.qrels).print(t)
			vectorOnly(fmt.Sprintf("idf^%g, vector", power), l.queries, rs, l.qrels).print(t)
			fused(fmt.Sprintf("idf^%g, hybrid 0.8/0.2", power), search.DefaultFusion, l.queries, rs, l.qrels).print(t)
			fused(fmt.Sprintf("idf^%g, hybrid fitted (%s %.2f/%.2f)", power, res.Fusion.Method, res.Fusion.LexicalWeight, res.Fusion.VectorWeight),
				res.Fusion, l.queries, rs, l.qrels).print(t)
			if power == 2 {
				qs, judged := l.likeQueries()
				lrs := l.rank(t, qs)
				t.Logf("%d \"like\" queries", len(qs))
				lexicalOnly("like, lexical as served (topicality)", qs, lrs, judged).print(t)
				fused("like, hybrid 0.8/0.2 as served (topicality)", search.DefaultFusion, qs, lrs, judged).print(t)
				fused(fmt.Sprintf("like, hybrid fitted %.2f/%.2f (topicality)", res.Fusion.LexicalWeight, res.Fusion.VectorWeight), res.Fusion, qs, lrs, judged).print(t)
				cs := l.stats(t)
				old := make([]ranked, len(lrs))
				for i, q := range qs {
					lex, err := l.lx.SearchTerms(ctx, cs.weights(q.like, likeQueries[0]), 100, q.like)
					if err != nil {
						t.Fatal(err)
					}
					old[i] = ranked{lex: lex, vec: lrs[i].vec}
				}
				lexicalOnly("like, lexical before (no topicality)", qs, old, judged).print(t)
				fused("like, hybrid 0.8/0.2 before (no topicality)", search.DefaultFusion, qs, old, judged).print(t)
			}
		})
	}
}
