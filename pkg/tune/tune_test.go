package tune_test

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/tune"
)

// noisy is the built-in embedder made worse: every vector gets Gaussian
// noise of sigma per dimension, the same for the same text.
type noisy struct {
	base  embeddings.Embedder
	sigma float64
}

func (n noisy) Info() embeddings.Info {
	i := n.base.Info()
	i.Embedder, i.Model = "noisy", i.Model+"+noise"
	return i
}

func (n noisy) Embed(ctx context.Context, texts []string, p embeddings.Purpose) ([][]float32, error) {
	vs, err := n.base.Embed(ctx, texts, p)
	if err != nil {
		return nil, err
	}
	for i, v := range vs {
		r := rand.New(rand.NewPCG(seedOf(texts[i]), 1))
		for j := range v {
			v[j] += float32(n.sigma * r.NormFloat64())
		}
		normalise(v)
	}
	return vs, nil
}

// oracle is the built-in embedder made better by knowing the corpus: a
// text that is a paper's, or part of it (its title, a sentence of its
// abstract, the paper with either left out), gets a direction of its own
// paper added, so a paper's pseudo-queries point towards it.
type oracle struct {
	base  embeddings.Embedder
	alpha float64
	// whole holds each paper's title, abstract and text; part each
	// sentence of its abstract and its title followed by ". ".
	whole, part map[string]string
}

func newOracle(base embeddings.Embedder, papers []paper.Paper, alpha float64) oracle {
	o := oracle{base: base, alpha: alpha, whole: map[string]string{}, part: map[string]string{}}
	for _, p := range papers {
		o.whole[p.Title], o.whole[p.Abstract], o.whole[p.Text()] = p.ID, p.ID, p.ID
		o.part[p.Title+". "] = p.ID
		for _, s := range strings.SplitAfter(p.Abstract, ". ") {
			o.part[strings.TrimSpace(s)] = p.ID
		}
	}
	return o
}

func (o oracle) Info() embeddings.Info {
	i := o.base.Info()
	i.Embedder, i.Model = "oracle", i.Model+"+oracle"
	return i
}

func (o oracle) Embed(ctx context.Context, texts []string, p embeddings.Purpose) ([][]float32, error) {
	vs, err := o.base.Embed(ctx, texts, p)
	if err != nil {
		return nil, err
	}
	for i, v := range vs {
		id := o.paperOf(texts[i])
		if id == "" {
			continue
		}
		r := rand.New(rand.NewPCG(seedOf(id), 2))
		dir := make([]float32, len(v))
		for j := range dir {
			dir[j] = float32(r.NormFloat64())
		}
		normalise(dir)
		for j := range v {
			v[j] += float32(o.alpha) * dir[j]
		}
		normalise(v)
	}
	return vs, nil
}

// paperOf is the paper text is of, or "".
func (o oracle) paperOf(text string) string {
	if id, ok := o.whole[text]; ok {
		return id
	}
	if id, ok := o.part[text]; ok {
		return id
	}
	for i := strings.Index(text, ". "); i >= 0; {
		if id, ok := o.part[text[:i+2]]; ok {
			return id
		}
		j := strings.Index(text[i+2:], ". ")
		if j < 0 {
			break
		}
		i += 2 + j
	}
	return ""
}

func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func normalise(v []float32) {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	n = math.Sqrt(n)
	for i := range v {
		v[i] = float32(float64(v[i]) / n)
	}
}

// sciFactPapers is the first n papers of the SciFact corpus.
func sciFactPapers(t *testing.T, n int) []paper.Paper {
	t.Helper()
	var ps []paper.Paper
	stop := errors.New("enough")
	_, err := loader.LoadFile(filepath.Join(sciFactDir, "corpus.jsonl"), loader.Options{Format: loader.BEIR}, func(p paper.Paper) error {
		if len(ps) == n {
			return stop
		}
		ps = append(ps, p)
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		t.Fatal(err)
	}
	return ps
}

// openFolder opens the data folder dir for e's vectors and its word
// index, both closed when the test ends.
func openFolder(t *testing.T, dir string, e embeddings.Embedder) (*store.Store, *lexical.Index) {
	t.Helper()
	st, err := store.Open(dir, e.Info())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lx, err := lexical.Open(context.Background(), dir, st.All(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lx.Close() })
	return st, lx
}

// folder ingests papers with e into a new data folder.
func folder(t *testing.T, e embeddings.Embedder, papers []paper.Paper) tune.Folder {
	t.Helper()
	st, lx := openFolder(t, t.TempDir(), e)
	if _, err := ingest.NewTo(e, backend.Local(st, lx)).Upsert(context.Background(), papers); err != nil {
		t.Fatal(err)
	}
	return tune.Local(st, lx)
}

func TestAWorseEmbedderGetsALowerVectorWeightAndABetterOneAHigher(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 1,000 papers three times")
	}
	ctx := context.Background()
	base, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	papers := sciFactPapers(t, 1000)
	o := tune.Options{Queries: 500}
	share := map[string]float64{}
	for _, c := range []struct {
		name string
		e    embeddings.Embedder
	}{
		{"built-in", base},
		{"noisy", noisy{base: base, sigma: 0.15}},
		{"oracle", newOracle(base, papers, 1)},
	} {
		res, err := tune.Fit(ctx, folder(t, c.e, papers), c.e, o)
		if err != nil {
			t.Fatal(err)
		}
		f := res.Fusion
		share[c.name] = f.VectorWeight / (f.LexicalWeight + f.VectorWeight)
		t.Logf("%s: %s fusion, vector share %.2f; pseudo nDCG@10 %.4f (lexical %.4f, vector %.4f)",
			c.name, f.Method, share[c.name], res.NDCG, res.Lexical, res.Vector)
	}
	if !(share["noisy"] < share["built-in"]) {
		t.Errorf("the noisy embedder got vector share %.2f, not below the built-in's %.2f", share["noisy"], share["built-in"])
	}
	if !(share["oracle"] > share["built-in"]) {
		t.Errorf("the oracle embedder got vector share %.2f, not above the built-in's %.2f", share["oracle"], share["built-in"])
	}
}

func TestAFolderWithTooFewPapersIsNotFitted(t *testing.T) {
	base, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	papers := sciFactPapers(t, tune.MinPapers-1)
	_, err = tune.Fit(context.Background(), folder(t, base, papers), base, tune.Options{})
	if !errors.Is(err, tune.ErrTooFew) {
		t.Fatalf("fitting %d papers: got %v, want ErrTooFew", len(papers), err)
	}
}

func TestChoosingReadsTheRankingsItIsGiven(t *testing.T) {
	// Two pseudo-queries whose relevant paper the vector ranking puts
	// first and the word ranking last: the vector ranking should win.
	hits := func(ids ...string) []paper.Scored {
		out := make([]paper.Scored, len(ids))
		for i, id := range ids {
			out[i] = paper.Scored{ID: id, Score: float64(len(ids) - i)}
		}
		return out
	}
	qs := []tune.Asked{
		{Relevant: "a", Kind: tune.Title, Lexical: hits("x", "y", "z", "a"), Vector: hits("a", "x", "y", "z")},
		{Relevant: "b", Kind: tune.Sentence, Lexical: hits("x", "y", "z", "b"), Vector: hits("b", "y", "x", "z")},
	}
	res := tune.Choose(qs)
	if f := res.Fusion; f.VectorWeight <= f.LexicalWeight {
		t.Errorf("got %s fusion lexical %.2f vector %.2f, want the vector ranking weighed more", f.Method, f.LexicalWeight, f.VectorWeight)
	}
	if res.Queries[tune.Title] != 1 || res.Queries[tune.Sentence] != 1 {
		t.Errorf("counted %v pseudo-queries, want one of each kind", res.Queries)
	}
	if res.Vector != 1 || res.Lexical >= res.Vector {
		t.Errorf("vector alone scored %.4f and lexical alone %.4f, want 1 and less", res.Vector, res.Lexical)
	}
	if got := tune.MeanNDCG(qs, search.Fusion{Method: search.Scores, VectorWeight: 1}); got != 1 {
		t.Errorf("the vector ranking alone scored %.4f, want 1", got)
	}
}
