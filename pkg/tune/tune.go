// Package tune fits the hybrid ranking's fusion to a data folder: to its
// own papers and to the embedder that made its vectors, with no relevance
// judgments. It asks pseudo-queries made from the papers themselves (a
// paper's title, with the title hidden from that paper for the query; see
// Kind), whose one relevant paper is known, ranks each by words and by
// vectors once, and reads off which fusion of the two rankings puts the
// relevant papers highest. A weak embedder earns a small vector weight,
// a strong one a large weight.
package tune

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

// Folder is what fitting needs of a data folder.
type Folder interface {
	// Each calls fn with every paper the folder holds.
	Each(ctx context.Context, fn func(paper.Paper) error) error
	// Words returns at most n papers ranked by their words against text,
	// best first, leaving out the paper exclude.
	Words(ctx context.Context, text string, n int, exclude string) ([]paper.Scored, error)
	// WordScore is the score against text that p would have in Words if
	// the folder held it as given.
	WordScore(ctx context.Context, text string, p paper.Paper) (float64, error)
	// Nearest returns at most n papers by cosine similarity of their vector
	// to v, best first, leaving out the paper exclude.
	Nearest(ctx context.Context, v []float32, n int, exclude string) ([]paper.Scored, error)
}

// Kind is a way to make a pseudo-query from a paper.
type Kind string

const (
	// Title asks a paper's title; the relevant paper is the paper with its
	// title hidden (its abstract alone, in the words and in the vector).
	Title Kind = "title"
	// Sentence asks a sentence of a paper's abstract; the relevant paper is
	// the paper without that sentence.
	Sentence Kind = "sentence"
)

// Options choose the pseudo-queries and the fusions tried.
type Options struct {
	// Kinds are the kinds of pseudo-queries asked, as many of each; nil is
	// Title and Sentence. Titles alone favour the vector ranking, sentences
	// alone the words (docs/quality.md); together they found the fusion
	// best on SciFact's real queries.
	Kinds []Kind
	// Queries is how many pseudo-queries of each kind to ask; 0 is 500.
	Queries int
	// Seed picks the papers asked: the same seed picks the same papers of
	// a folder, and mostly the same after a few are added.
	Seed string
	// Depth is how many papers each ranking gives; 0 is
	// search.DefaultFusion.Depth, as in a search.
	Depth int
}

func (o *Options) fill() error {
	if len(o.Kinds) == 0 {
		o.Kinds = []Kind{Title, Sentence}
	}
	for _, k := range o.Kinds {
		if k != Title && k != Sentence {
			return fmt.Errorf("tune: kind must be %q or %q, got %q", Title, Sentence, k)
		}
	}
	if o.Queries == 0 {
		o.Queries = 500
	}
	if o.Depth == 0 {
		o.Depth = search.DefaultFusion.Depth
	}
	if o.Queries < 1 || o.Depth < 10 {
		return fmt.Errorf("tune: want at least 1 query and a depth of at least 10, got %d and %d", o.Queries, o.Depth)
	}
	return nil
}

// MinPapers is how many suitable papers (a title of three words or more
// and an abstract of thirty or more) a folder needs to be fitted: with
// fewer, the pseudo-queries say little, and DefaultFusion stays.
const MinPapers = 100

// ErrTooFew is wrapped when a folder holds fewer than MinPapers suitable
// papers.
var ErrTooFew = errors.New("too few papers to fit the fusion")

// Point is one fusion tried and its mean nDCG@10 over the pseudo-queries.
type Point struct {
	Fusion search.Fusion `json:"-"`
	// Method and VectorShare describe Fusion: the vector weight over the
	// sum of the two weights.
	Method      search.FusionMethod `json:"method"`
	VectorShare float64             `json:"vector_share"`
	NDCG        float64             `json:"ndcg@10"`
}

// Result is a fitted fusion.
type Result struct {
	// Fusion is the best fusion found.
	Fusion search.Fusion
	// Queries counts the pseudo-queries it was fitted on, by kind.
	Queries map[Kind]int
	// NDCG is the best fusion's mean nDCG@10 over the pseudo-queries;
	// Default is DefaultFusion's, Lexical and Vector each ranking's alone.
	NDCG, Default, Lexical, Vector float64
	// Curve is every fusion tried, in order.
	Curve []Point
}

// Shares are the vector shares tried, for each method.
var Shares = func() []float64 {
	s := make([]float64, 21)
	for i := range s {
		s[i] = float64(i) / 20
	}
	return s
}()

// Fit asks pseudo-queries of f's papers, ranks them by words and by
// vectors made with e (the embedder of f's vectors), and returns the fusion
// that ranks the relevant papers highest. It wraps ErrTooFew when f holds
// too few papers to say.
func Fit(ctx context.Context, f Folder, e embeddings.Embedder, o Options) (Result, error) {
	qs, err := Ask(ctx, f, e, o)
	if err != nil {
		return Result{}, err
	}
	return Choose(qs), nil
}

// Asked is one pseudo-query, ranked both ways.
type Asked struct {
	// Relevant is the paper the query was made from.
	Relevant string
	// Kind is how it was made.
	Kind Kind
	// Lexical and Vector are the two rankings, best first.
	Lexical, Vector []paper.Scored
}

// Ask makes pseudo-queries of f's papers (see Options) and ranks each by
// words and by vectors.
func Ask(ctx context.Context, f Folder, e embeddings.Embedder, o Options) ([]Asked, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	var out []Asked
	for _, k := range o.Kinds {
		qs, err := ask(ctx, f, e, k, o)
		if err != nil {
			return nil, err
		}
		out = append(out, qs...)
	}
	return out, nil
}

// pseudo is a pseudo-query and its relevant paper as the query should see
// it (its title or a sentence hidden).
type pseudo struct {
	query  string
	hidden paper.Paper
}

// pseudoQuery makes the pseudo-query of kind k of p, or reports false
// when p is not suitable (a title of fewer than three words, an abstract
// of fewer than thirty, or no sentence to take out).
func pseudoQuery(k Kind, p paper.Paper, seed string) (pseudo, bool) {
	if len(strings.Fields(p.Title)) < 3 || len(strings.Fields(p.Abstract)) < 30 {
		return pseudo{}, false
	}
	if k == Title {
		return pseudo{query: p.Title, hidden: paper.Paper{ID: p.ID, Abstract: p.Abstract}}, true
	}
	s, rest := cutSentence(p.Abstract, seed+p.ID)
	return pseudo{query: s, hidden: paper.Paper{ID: p.ID, Title: p.Title, Abstract: rest}}, s != ""
}

func ask(ctx context.Context, f Folder, e embeddings.Embedder, k Kind, o Options) ([]Asked, error) {
	ps, err := sample(ctx, f, k, o)
	if err != nil {
		return nil, err
	}
	queries, docs := make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		queries[i], docs[i] = p.query, p.hidden.Text()
	}
	qv, err := embedAll(ctx, e, queries, embeddings.Query)
	if err != nil {
		return nil, err
	}
	dv, err := embedAll(ctx, e, docs, embeddings.Document)
	if err != nil {
		return nil, err
	}
	out := make([]Asked, len(ps))
	err = parallel(ctx, len(ps), func(i int) error {
		p := ps[i]
		lex, err := f.Words(ctx, p.query, o.Depth, p.hidden.ID)
		if err != nil {
			return err
		}
		ws, err := f.WordScore(ctx, p.query, p.hidden)
		if err != nil {
			return err
		}
		if ws > 0 {
			lex = insert(lex, paper.Scored{ID: p.hidden.ID, Score: ws}, o.Depth)
		}
		vec, err := f.Nearest(ctx, qv[i], o.Depth, p.hidden.ID)
		if err != nil {
			return err
		}
		vec = insert(vec, paper.Scored{ID: p.hidden.ID, Score: dot(qv[i], dv[i])}, o.Depth)
		out[i] = Asked{Relevant: p.hidden.ID, Kind: k, Lexical: lex, Vector: vec}
		return nil
	})
	return out, err
}

// Choose tries every fusion of Shares with each method on the asked
// pseudo-queries and returns the best: the fusion whose mean nDCG@10 with
// its neighbours on the curve (the shares up to 0.1 below and above, same
// method) is highest. Near its top the curve is flat, and flatter the
// weaker the vector ranking, so that a single point there is as much noise
// as signal; the window makes the choice follow where the curve starts to
// fall (docs/quality.md).
func Choose(qs []Asked) Result {
	r := Result{Queries: map[Kind]int{}}
	for _, q := range qs {
		r.Queries[q.Kind]++
	}
	ps := prepare(qs)
	def := search.DefaultFusion
	r.Default = meanNDCG(ps, def)
	for _, m := range []search.FusionMethod{search.Scores, search.RRF} {
		for _, s := range Shares {
			f := def
			f.Method, f.LexicalWeight, f.VectorWeight = m, 1-s, s
			pt := Point{Fusion: f, Method: m, VectorShare: s, NDCG: meanNDCG(ps, f)}
			r.Curve = append(r.Curve, pt)
			switch {
			case m == search.Scores && s == 0:
				r.Lexical = pt.NDCG
			case m == search.Scores && s == 1:
				r.Vector = pt.NDCG
			}
		}
	}
	best := pick(r.Curve)
	r.Fusion, r.NDCG = best.Fusion, best.NDCG
	return r
}

// window is how many points on either side of a share pick averages.
const window = 2

// pick is the point of the curve whose mean with its neighbours of the
// same method is best; the first such point on a tie.
func pick(curve []Point) Point {
	best, bestMean := curve[0], math.Inf(-1)
	for i, p := range curve {
		sum, n := 0.0, 0.0
		for j := max(i-window, 0); j <= min(i+window, len(curve)-1); j++ {
			if curve[j].Method == p.Method {
				sum, n = sum+curve[j].NDCG, n+1
			}
		}
		if m := sum / n; m > bestMean {
			best, bestMean = p, m
		}
	}
	return best
}

// MeanNDCG is the mean nDCG@10 of the relevant papers of qs under f.
func MeanNDCG(qs []Asked, f search.Fusion) float64 {
	return meanNDCG(prepare(qs), f)
}

// prepared is a pseudo-query's candidates as the fusion reads them.
type prepared struct {
	ids      []string
	ranked   []search.Ranked
	relevant int // index of the relevant paper in ids, or -1
}

func prepare(qs []Asked) []prepared {
	out := make([]prepared, len(qs))
	for i, q := range qs {
		at := map[string]int{}
		p := prepared{relevant: -1}
		place := func(id string) int {
			j, ok := at[id]
			if !ok {
				j = len(p.ids)
				at[id] = j
				p.ids = append(p.ids, id)
				p.ranked = append(p.ranked, search.Ranked{})
			}
			return j
		}
		for r, h := range q.Lexical {
			j := place(h.ID)
			p.ranked[j].LexicalScore, p.ranked[j].LexicalRank = h.Score, r+1
		}
		for r, h := range q.Vector {
			j := place(h.ID)
			p.ranked[j].VectorScore, p.ranked[j].VectorRank = h.Score, r+1
		}
		if j, ok := at[q.Relevant]; ok {
			p.relevant = j
		}
		out[i] = p
	}
	return out
}

// meanNDCG is MeanNDCG of prepared pseudo-queries: the relevant paper's
// rank is one more than the candidates fused above it (ties by id, as
// search.Fusion.Merge orders them).
func meanNDCG(ps []prepared, f search.Fusion) float64 {
	if len(ps) == 0 {
		return 0
	}
	var sum float64
	for _, p := range ps {
		if p.relevant < 0 {
			continue
		}
		scores := f.Fuse(p.ranked)
		mine, id := scores[p.relevant], p.ids[p.relevant]
		rank := 1
		for j, s := range scores {
			if s > mine || (s == mine && p.ids[j] < id) {
				rank++
			}
		}
		if rank <= 10 {
			sum += 1 / math.Log2(float64(rank+1))
		}
	}
	return sum / float64(len(ps))
}

// sample makes o.Queries pseudo-queries of kind k of f's papers: of the
// suitable papers, those whose hash with the seed is smallest, so that
// adding papers to a folder changes few of them.
func sample(ctx context.Context, f Folder, k Kind, o Options) ([]pseudo, error) {
	var ks []keyed
	suitable := 0
	err := f.Each(ctx, func(p paper.Paper) error {
		ps, ok := pseudoQuery(k, p, o.Seed)
		if !ok {
			return nil
		}
		suitable++
		ks = append(ks, keyed{key: hash(o.Seed + "\x00" + p.ID), p: ps})
		if len(ks) >= 4*o.Queries { // keep the smallest o.Queries
			ks = smallest(ks, o.Queries)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tune: cannot read the papers: %w", err)
	}
	if suitable < MinPapers {
		return nil, fmt.Errorf("%w: %d papers make %s pseudo-queries, %d needed; until there are more, the default fusion ranks", ErrTooFew, suitable, k, MinPapers)
	}
	ks = smallest(ks, o.Queries)
	out := make([]pseudo, len(ks))
	for i, k := range ks {
		out[i] = k.p
	}
	return out, nil
}

// keyed is a pseudo-query with its sampling key.
type keyed struct {
	key uint64
	p   pseudo
}

// smallest is the n papers of ks with the smallest keys.
func smallest(ks []keyed, n int) []keyed {
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	return ks[:min(n, len(ks))]
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// cutSentence picks, by key, a sentence of eight words or more out of
// abstract, not the first, and returns it and the abstract without it; ""
// when there is none.
func cutSentence(abstract, key string) (sentence, rest string) {
	parts := strings.SplitAfter(abstract, ". ")
	var can []int
	for i, s := range parts {
		if i > 0 && len(strings.Fields(s)) >= 8 {
			can = append(can, i)
		}
	}
	if len(can) == 0 {
		return "", abstract
	}
	at := can[hash(key)%uint64(len(can))]
	return strings.TrimSpace(parts[at]), strings.Join(slices.Delete(slices.Clone(parts), at, at+1), "")
}

// insert puts h into hits, best first, ties by id, keeping at most n.
func insert(hits []paper.Scored, h paper.Scored, n int) []paper.Scored {
	i, _ := slices.BinarySearchFunc(hits, h, func(a, b paper.Scored) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	hits = slices.Insert(hits, i, h)
	return hits[:min(len(hits), n)]
}

// embedAll embeds texts in batches.
func embedAll(ctx context.Context, e embeddings.Embedder, texts []string, purpose embeddings.Purpose) ([][]float32, error) {
	const batch = 64
	out := make([][]float32, 0, len(texts))
	for i := 0; i < len(texts); i += batch {
		vs, err := e.Embed(ctx, texts[i:min(i+batch, len(texts))], purpose)
		if err != nil {
			return nil, fmt.Errorf("tune: cannot embed the pseudo-queries: %w", err)
		}
		out = append(out, vs...)
	}
	if len(out) != len(texts) {
		return nil, fmt.Errorf("tune: the embedder returned %d vectors for %d texts", len(out), len(texts))
	}
	return out, nil
}

// parallel calls fn(0..n-1) on every core and returns the first error.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return cmp.Or(first, ctx.Err())
}

// dot is the cosine similarity of two unit vectors, as embedders return.
func dot(a, b []float32) float64 {
	var d float64
	for i := range min(len(a), len(b)) {
		d += float64(a[i]) * float64(b[i])
	}
	return d
}
