// Package search answers queries: it embeds a query text (or looks up a
// stored paper's vector), ranks the stored papers against it by their
// vectors, by their words (BM25), or by both fused into one list, and
// returns one page at a time. It is the query road; package ingest is the
// other one.
package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
)

// Mode names a ranking.
type Mode string

// The rankings. Hybrid, the default, fuses the other two.
const (
	Hybrid  Mode = "hybrid"
	Vector  Mode = "vector"
	Lexical Mode = "lexical"
)

// Modes lists the rankings, the default first.
var Modes = []Mode{Hybrid, Vector, Lexical}

// FusionMethod names a way to fuse two rankings.
type FusionMethod string

// The fusion methods.
const (
	// Scores fuses min-max normalised scores: a paper earns
	// weight × (score − min)/(max − min) from each ranking it is in, min and
	// max taken over that ranking's candidates.
	Scores FusionMethod = "score"
	// RRF is reciprocal-rank fusion: a paper at rank r (from 1) of a ranking
	// earns weight/(K+r).
	RRF FusionMethod = "rrf"
)

// Fusion says how the hybrid mode merges the lexical and the vector
// ranking.
type Fusion struct {
	Method FusionMethod
	// LexicalWeight and VectorWeight weigh the two rankings.
	LexicalWeight, VectorWeight float64
	// K damps the head of each ranking for RRF; 60 is the usual value.
	K float64
	// Depth is how many candidates each ranking gives at least; a deeper
	// page asks for offset+limit.
	Depth int
	// Fitted says the weights were fitted to the folder (package tune)
	// rather than taken from DefaultFusion or set by hand.
	Fitted bool
}

// DefaultFusion is the fusion a new engine uses: normalised scores, the
// lexical ranking weighed 0.8 and the vector ranking 0.2. docs/quality.md
// shows the measurements behind it. A data folder fitted by package tune
// ranks with its own weights instead.
var DefaultFusion = Fusion{Method: Scores, LexicalWeight: 0.8, VectorWeight: 0.2, K: 60, Depth: 100}

// ParseFusion reads a fusion method name.
func ParseFusion(s string) (FusionMethod, error) {
	switch m := FusionMethod(strings.ToLower(strings.TrimSpace(s))); m {
	case Scores, RRF:
		return m, nil
	}
	return "", invalid("fusion", "fusion must be score or rrf, got %q", s)
}

// Engine ranks stored papers against queries. It is safe for concurrent
// use; Fusion may be set before the first query, and SetFusion replaces it
// at any time.
type Engine struct {
	embedder embeddings.Embedder
	papers   Backend
	limits   Limits
	// Fusion tunes the hybrid mode.
	Fusion Fusion
	// refitted, when it holds a fusion, is used instead of Fusion; it is
	// shared by the copies WithLimits makes.
	refitted *atomic.Pointer[Fusion]
	// Recommender tunes Recommend.
	Recommender Recommender
}

// New returns an engine that embeds queries with e and ranks the papers
// held by b (package backend opens one: the embedded store or a Weaviate
// cluster).
func New(e embeddings.Embedder, b Backend) *Engine {
	return &Engine{embedder: e, papers: b, limits: Limits{}.orDefaults(), Fusion: DefaultFusion, Recommender: DefaultRecommender,
		refitted: new(atomic.Pointer[Fusion])}
}

// SetFusion makes the hybrid mode fuse with f from the next query on, for
// e and the engines WithLimits made from it, while queries run: what a
// server does when it fits the fusion to its papers again.
func (e *Engine) SetFusion(f Fusion) {
	if e.refitted != nil {
		e.refitted.Store(&f)
	}
}

// fusion is the fusion the hybrid mode uses now.
func (e *Engine) fusion() Fusion {
	if e.refitted != nil {
		if f := e.refitted.Load(); f != nil {
			return *f
		}
	}
	return e.Fusion
}

// WithLimits returns a copy of e that refuses requests beyond l, such as a
// server's smaller bounds; it shares e's backend and embedder.
func (e *Engine) WithLimits(l Limits) *Engine {
	c := *e
	c.limits = l.orDefaults()
	return &c
}

// Embedder is the embedder the engine embeds queries with.
func (e *Engine) Embedder() embeddings.Embedder { return e.embedder }

// Stats describes the papers the engine ranks.
type Stats struct {
	// Count is how many papers are stored.
	Count int `json:"count"`
	embeddings.Info
}

// Stats counts the stored papers and names the embedder that made their
// vectors.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	n, err := e.papers.Count(ctx, paper.Filter{})
	if err != nil {
		return Stats{}, err
	}
	return Stats{Count: n, Info: e.papers.Info()}, nil
}

// Count is how many papers are stored, or -1 if the backend cannot say.
func (e *Engine) Count() int {
	n, err := e.papers.Count(context.Background(), paper.Filter{})
	if err != nil {
		return -1
	}
	return n
}

// Search ranks the stored papers against a natural-language query.
func (e *Engine) Search(ctx context.Context, query string, o Options) (paper.Page, error) {
	return e.byText(ctx, query, "q", embeddings.Query, o)
}

// SimilarText ranks the stored papers against a text that need not be in
// the store, such as an abstract: "papers like this text".
func (e *Engine) SimilarText(ctx context.Context, text string, o Options) (paper.Page, error) {
	return e.byText(ctx, text, "text", embeddings.Document, o)
}

// byText ranks against text, which a client sent as the parameter param.
func (e *Engine) byText(ctx context.Context, text, param string, purpose embeddings.Purpose, o Options) (paper.Page, error) {
	start := time.Now()
	if err := o.check(e.limits); err != nil {
		return paper.Page{}, err
	}
	text, err := checkText(param, text, e.limits.MaxQueryBytes)
	if err != nil {
		return paper.Page{}, err
	}
	q := request{text: text}
	if o.Mode != Lexical || o.Explain {
		vecs, err := e.embedder.Embed(ctx, []string{text}, purpose)
		if err != nil {
			return paper.Page{}, fmt.Errorf("cannot embed %s: %w", param, err)
		}
		if len(vecs) != 1 {
			return paper.Page{}, fmt.Errorf("embedder returned %d vectors for 1 text", len(vecs))
		}
		q.vector = vecs[0]
	}
	return e.rank(ctx, q, o, start)
}

// Similar ranks the stored papers against the stored paper id: "papers like
// this one", by the paper's vector and by its title and abstract as a
// lexical query. The paper itself is never in the list. It wraps
// paper.ErrNotFound for an unknown id.
func (e *Engine) Similar(ctx context.Context, id string, o Options) (paper.Page, error) {
	start := time.Now()
	if err := o.check(e.limits); err != nil {
		return paper.Page{}, err
	}
	rec, err := e.papers.Get(ctx, paper.NormalizeID(id))
	if err != nil {
		return paper.Page{}, err
	}
	o.Filter.Exclude = append(slices.Clip(o.Filter.Exclude), rec.Paper.ID)
	return e.rank(ctx, request{text: rec.Paper.Text(), like: rec.Paper.ID, vector: rec.Vector}, o, start)
}

// Get returns the stored paper id, wrapping paper.ErrNotFound if unknown.
func (e *Engine) Get(ctx context.Context, id string) (paper.Paper, error) {
	rec, err := e.papers.Get(ctx, paper.NormalizeID(id))
	return rec.Paper, err
}

// request is what a ranking is computed from.
type request struct {
	text   string    // the lexical query
	like   string    // the stored paper text is the text of, or ""
	vector []float32 // the vector query; nil in lexical mode
	// uncounted skips counting the papers the ranking could return,
	// when another ranking of the same request counts them.
	uncounted bool
}

// candidate is a paper in the fused list, with its place in each ranking.
type candidate struct {
	hit                     paper.Hit // Paper is filled only for vector hits
	lexScore, vecScore      float64
	lexRank, vecRank        int
	haveLexScore, havePaper bool
	haveVecScore            bool
}

func (e *Engine) rank(ctx context.Context, q request, o Options, start time.Time) (paper.Page, error) {
	order, total, err := e.candidates(ctx, q, o, o.depth(e.fusion()))
	if err != nil {
		return paper.Page{}, err
	}
	return e.page(ctx, q, o, order, total, start)
}

// depth is how many candidates a ranking gives for o: the page and what
// comes before it, at least Fusion.Depth to fuse, and SortDepth to sort
// by anything but relevance.
func (o Options) depth(f Fusion) int {
	d := o.Offset + o.Limit
	if o.Mode == Hybrid {
		d = max(d, f.Depth)
	}
	if o.Sort != Relevance && o.Sort != "" {
		d = max(d, SortDepth)
	}
	return d
}

// candidates ranks the papers that pass o.Filter against q in o.Mode, down
// to depth, best first, and counts how many the ranking could return.
func (e *Engine) candidates(ctx context.Context, q request, o Options, depth int) ([]*candidate, int, error) {
	byID := map[string]*candidate{}
	var order []*candidate
	get := func(id string) *candidate {
		c, ok := byID[id]
		if !ok {
			c = &candidate{hit: paper.Hit{Paper: paper.Paper{ID: id}}}
			byID[id] = c
			order = append(order, c)
		}
		return c
	}

	// The rankings and the count are independent: ask for them at once,
	// which a remote backend answers in the time of the slowest.
	var (
		wg                      sync.WaitGroup
		lexHits                 []paper.Scored
		vecHits                 []paper.Hit
		lexN, vecN              int
		lexErr, vecErr, countEr error
	)
	if o.Mode != Vector {
		wg.Go(func() {
			lexHits, lexN, lexErr = e.papers.Words(ctx, q.like, q.text, depth, o.Mode == Lexical && !q.uncounted, o.Filter)
		})
	}
	if o.Mode != Lexical {
		wg.Go(func() { vecHits, vecErr = e.papers.Nearest(ctx, q.vector, depth, o.Filter) })
		if !q.uncounted {
			wg.Go(func() { vecN, countEr = e.papers.Count(ctx, o.Filter) })
		}
	}
	wg.Wait()
	if err := cmp.Or(lexErr, vecErr, countEr); err != nil {
		return nil, 0, err
	}
	total := vecN
	if o.Mode == Lexical {
		total = lexN
	}
	for i, h := range lexHits {
		c := get(h.ID)
		c.lexScore, c.lexRank, c.haveLexScore = h.Score, i+1, true
	}
	for i, h := range vecHits {
		c := get(h.ID)
		c.hit.Paper, c.havePaper = h.Paper, true
		c.vecScore, c.vecRank, c.haveVecScore = h.Score, i+1, true
	}

	switch o.Mode {
	case Vector:
		for _, c := range order {
			c.hit.Score = c.vecScore
		}
	case Lexical:
		for _, c := range order {
			c.hit.Score = c.lexScore
		}
	default:
		e.fusion().fuse(order)
		byScore(order)
	}
	return order, max(total, 0), nil
}

// byScore sorts candidates by score, best first, ties by id.
func byScore(cs []*candidate) {
	slices.SortStableFunc(cs, func(a, b *candidate) int {
		if a.hit.Score != b.hit.Score {
			if a.hit.Score > b.hit.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.hit.ID, b.hit.ID)
	})
}

// page sorts the ranked candidates as o asks, cuts o's page out of them
// and fills it: the papers, highlights and explanations it asks for.
func (e *Engine) page(ctx context.Context, q request, o Options, order []*candidate, total int, start time.Time) (paper.Page, error) {
	if o.Sort != Relevance && o.Sort != "" {
		// Sorted by date or votes: the SortDepth most relevant papers are
		// the ones that match; the fetch fills what sorting reads.
		order = order[:min(len(order), SortDepth)]
		total = min(total, len(order))
		if err := e.fillPapers(ctx, order); err != nil {
			return paper.Page{}, err
		}
		order = slices.DeleteFunc(order, func(c *candidate) bool { return !c.havePaper })
		sortBy(order, o.Sort)
	}
	page := paper.Page{Results: []paper.Hit{}, Total: total, Limit: o.Limit, Offset: o.Offset}
	want := o.Offset + o.Limit
	if o.Offset < len(order) {
		order = order[o.Offset:min(len(order), want)]
	} else {
		order = nil
	}
	if err := e.fill(ctx, q, o, order); err != nil {
		return paper.Page{}, err
	}
	for i, c := range order {
		if !c.havePaper { // indexed but no longer stored: a write in flight
			continue
		}
		if o.Explain {
			c.hit.Explain = &paper.Explanation{
				Mode:         string(o.Mode),
				LexicalScore: c.lexScore,
				LexicalRank:  c.lexRank,
				VectorScore:  c.vecScore,
				VectorRank:   c.vecRank,
				FusedRank:    o.Offset + i + 1,
			}
			if o.Mode == Hybrid {
				e.fusion().explain(c.hit.Explain)
			}
		}
		page.Results = append(page.Results, c.hit)
	}
	page.TookMS = time.Since(start).Milliseconds()
	return page, nil
}

// sortBy orders candidates, whose papers are filled, newest first (papers
// without a date last) or by votes, most first; ties keep their order by
// relevance.
func sortBy(cs []*candidate, s Sort) {
	slices.SortStableFunc(cs, func(a, b *candidate) int {
		if s == ByUpvotes {
			return b.hit.Upvotes - a.hit.Upvotes
		}
		return strings.Compare(b.hit.Published, a.hit.Published)
	})
}

// fillPapers fetches the papers of candidates that came from the lexical
// ranking only.
func (e *Engine) fillPapers(ctx context.Context, cs []*candidate) error {
	var fetch []string
	for _, c := range cs {
		if !c.havePaper {
			fetch = append(fetch, c.hit.ID)
		}
	}
	if len(fetch) == 0 {
		return nil
	}
	recs, err := e.papers.GetMany(ctx, fetch)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if rec, ok := recs[c.hit.ID]; ok && !c.havePaper {
			c.hit.Paper, c.havePaper = rec.Paper, true
		}
	}
	return nil
}

// fill fetches what the page's hits still lack: the papers that came from
// the lexical ranking only, and, when asked for, highlights and the scores
// of the ranking a hit did not come from.
func (e *Engine) fill(ctx context.Context, q request, o Options, page []*candidate) error {
	var fetch []string
	for _, c := range page {
		if !c.havePaper || (o.Explain && !c.haveVecScore) {
			fetch = append(fetch, c.hit.ID)
		}
	}
	if len(fetch) > 0 {
		recs, err := e.papers.GetMany(ctx, fetch)
		if err != nil {
			return err
		}
		for _, c := range page {
			rec, ok := recs[c.hit.ID]
			if !ok { // deleted meanwhile: the caller skips it
				continue
			}
			if !c.havePaper {
				c.hit.Paper, c.havePaper = rec.Paper, true
			}
			if o.Explain && !c.haveVecScore && q.vector != nil {
				c.vecScore, c.haveVecScore = cosine(q.vector, rec.Vector), true
			}
		}
	}
	if o.Explain {
		var missing []string
		for _, c := range page {
			if !c.haveLexScore {
				missing = append(missing, c.hit.ID)
			}
		}
		if len(missing) > 0 {
			scores, err := e.papers.WordScores(ctx, q.text, missing)
			if err != nil {
				return err
			}
			for _, c := range page {
				if s, ok := scores[c.hit.ID]; ok {
					c.lexScore, c.haveLexScore = s, true
				}
			}
		}
	}
	if o.Highlight && len(page) > 0 {
		papers := make([]paper.Paper, 0, len(page))
		for _, c := range page {
			if c.havePaper {
				papers = append(papers, c.hit.Paper)
			}
		}
		hl, err := e.papers.Highlights(ctx, q.text, papers, maxHighlights)
		if err != nil {
			return err
		}
		for _, c := range page {
			c.hit.Highlights = hl[c.hit.ID]
		}
	}
	return nil
}

// fuse sets the hybrid score of every candidate (see Fusion.Fuse).
func (f Fusion) fuse(cs []*candidate) {
	rs := make([]Ranked, len(cs))
	for i, c := range cs {
		rs[i] = Ranked{LexicalScore: c.lexScore, VectorScore: c.vecScore, LexicalRank: c.lexRank, VectorRank: c.vecRank}
	}
	for i, s := range f.Fuse(rs) {
		cs[i].hit.Score = s
	}
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
