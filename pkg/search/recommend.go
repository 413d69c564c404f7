package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
)

// MaxExamples bounds the positive examples of a recommendation, and the
// negative ones apart.
const MaxExamples = 100

// Bounds on what the set method ranks, so a recommendation's cost does not
// grow with its examples or its depth past them: the first SetExamples
// positive and negative examples are ranked apart (all of them count in
// the centroid), each SetDepth deep at most; a page deeper than that is
// ranked by the centroid and what the set's rankings reach.
const (
	SetExamples = 16
	SetDepth    = 1000
)

// Example is a paper a reader likes (a positive example) or does not (a
// negative one): a stored paper, by id, or a text.
type Example struct {
	ID   string `json:"id,omitempty"`
	Text string `json:"text,omitempty"`
}

// ExampleIDs are examples of the stored papers ids names.
func ExampleIDs(ids []string) []Example {
	out := make([]Example, len(ids))
	for i, id := range ids {
		out[i] = Example{ID: id}
	}
	return out
}

// ExampleTexts are examples of texts.
func ExampleTexts(texts []string) []Example {
	out := make([]Example, len(texts))
	for i, t := range texts {
		out[i] = Example{Text: t}
	}
	return out
}

// UnmarshalJSON reads an example as a paper id ("2509.03687") or as an
// object with an id or a text ({"text": "…"}).
func (x *Example) UnmarshalJSON(b []byte) error {
	var id string
	if err := json.Unmarshal(b, &id); err == nil {
		*x = Example{ID: id}
		return nil
	}
	type plain Example
	var p plain
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return errors.New(`an example is a paper id or an object {"id": "…"} or {"text": "…"}`)
	}
	*x = Example(p)
	return nil
}

// RecommendMethod names a way to rank papers against several examples.
type RecommendMethod string

// The methods.
const (
	// SetMethod ranks against each example apart, as "papers like this
	// one" does, and adds up the normalised rankings: a paper near any
	// one positive can rank high, so a reader with two interests is served
	// both. A negative example's ranking is taken away, weighed by
	// NegativeWeight.
	SetMethod RecommendMethod = "set"
	// CentroidMethod ranks against one query: the positives' mean vector,
	// less NegativeWeight × the negatives', and the positives' words
	// together.
	CentroidMethod RecommendMethod = "centroid"
	// MixedMethod adds the two rankings, each normalised to 0..1, the
	// centroid's weighed CentroidWeight and the set's the rest: the set
	// keeps a paper near one example in view, the centroid brings what the
	// examples share.
	MixedMethod RecommendMethod = "mixed"
)

// mix adds a's scores, normalised and weighed w, to b's, normalised and
// weighed 1-w.
func mix(a, b []*candidate, w float64) []*candidate {
	byID := map[string]*candidate{}
	for _, c := range b {
		byID[c.hit.ID] = c
	}
	norm := func(cs []*candidate) (float64, float64) {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, c := range cs {
			lo, hi = min(lo, c.hit.Score), max(hi, c.hit.Score)
		}
		if hi <= lo {
			hi = lo + 1
		}
		return lo, hi
	}
	blo, bhi := norm(b)
	for _, c := range b {
		c.hit.Score = (1 - w) * (c.hit.Score - blo) / (bhi - blo)
	}
	alo, ahi := norm(a)
	out := b
	for _, c := range a {
		s := w * (c.hit.Score - alo) / (ahi - alo)
		if x, ok := byID[c.hit.ID]; ok {
			x.hit.Score += s
			continue
		}
		c.hit.Score = s
		out = append(out, c)
	}
	byScore(out)
	return out
}

// ParseRecommendMethod reads a method's name.
func ParseRecommendMethod(s string) (RecommendMethod, error) {
	switch m := RecommendMethod(strings.ToLower(strings.TrimSpace(s))); m {
	case SetMethod, CentroidMethod, MixedMethod:
		return m, nil
	}
	return "", invalid("method", "method must be mixed, set or centroid, got %q", s)
}

// Recommender tunes Recommend.
type Recommender struct {
	Method RecommendMethod
	// NegativeWeight weighs what a negative example takes away against
	// what a positive one gives.
	NegativeWeight float64
	// CentroidWeight weighs the centroid's ranking in MixedMethod.
	CentroidWeight float64
}

// DefaultRecommender is how a new engine recommends: both rankings mixed
// half and half. docs/quality.md has the measurements behind it.
var DefaultRecommender = Recommender{Method: MixedMethod, NegativeWeight: 0.5, CentroidWeight: 0.5}

// Recommend ranks the stored papers like the positive examples and unlike
// the negative ones: "papers like these, and not like those". No example
// is ever in the list. It needs a positive example and takes at most
// MaxExamples of each; an example given twice, or both ways, is an *Error,
// and an unknown id wraps paper.ErrNotFound naming it.
func (e *Engine) Recommend(ctx context.Context, positive, negative []Example, o Options) (paper.Page, error) {
	start := time.Now()
	if err := o.check(e.limits); err != nil {
		return paper.Page{}, err
	}
	pos, neg, err := e.examples(ctx, positive, negative)
	if err != nil {
		return paper.Page{}, err
	}
	for _, q := range append(slices.Clip(pos), neg...) {
		if q.like != "" {
			o.Filter.Exclude = append(o.Filter.Exclude, q.like)
		}
	}
	texts := make([]string, len(pos))
	for i, q := range pos {
		texts[i] = q.text
	}
	all := request{text: strings.Join(texts, "\n")} // for highlights
	r := e.Recommender
	var (
		order, central []*candidate
		total          int
	)
	if r.Method != SetMethod {
		all.vector = centroid(pos, neg, r.NegativeWeight)
		if central, total, err = e.candidates(ctx, all, o, o.depth(e.fusion())); err != nil {
			return paper.Page{}, err
		}
		order = central
	}
	if r.Method != CentroidMethod {
		if order, total, err = e.combined(ctx, pos, neg, r.NegativeWeight, o); err != nil {
			return paper.Page{}, err
		}
	}
	if r.Method == MixedMethod {
		order = mix(central, order, r.CentroidWeight)
	}
	return e.page(ctx, all, o, order, total, start)
}

// examples checks the examples and turns them into requests: stored papers
// by id, texts embedded.
func (e *Engine) examples(ctx context.Context, positive, negative []Example) (pos, neg []request, err error) {
	switch {
	case len(positive) == 0:
		return nil, nil, invalid("positive", "positive is empty: give at least one paper id or text the reader likes")
	case len(positive) > MaxExamples:
		return nil, nil, invalid("positive", "positive holds %d examples, the limit is %d", len(positive), MaxExamples)
	case len(negative) > MaxExamples:
		return nil, nil, invalid("negative", "negative holds %d examples, the limit is %d", len(negative), MaxExamples)
	}
	for _, set := range []struct {
		name string
		xs   []Example
	}{{"positive", positive}, {"negative", negative}} {
		for _, x := range set.xs {
			if err := CheckString(set.name, x.ID, paper.MaxIDLength); err != nil {
				return nil, nil, err
			}
		}
	}
	side := map[string]string{} // id → "positive" or "negative"
	var ids []string
	for _, set := range []struct {
		name string
		xs   []Example
	}{{"positive", positive}, {"negative", negative}} {
		for i, x := range set.xs {
			id, text := paper.NormalizeID(x.ID), x.Text
			switch {
			case id != "" && text != "":
				return nil, nil, invalid(set.name, "%s[%d] has both an id and a text: give one", set.name, i)
			case id == "" && strings.TrimSpace(text) == "":
				return nil, nil, invalid(set.name, "%s[%d] is empty: give a paper id or a text", set.name, i)
			case id == "":
				if _, err := checkText(set.name, text, e.limits.MaxQueryBytes); err != nil {
					return nil, nil, err
				}
				continue
			}
			if was, ok := side[id]; ok {
				if was == set.name {
					return nil, nil, invalid(set.name, "paper %q is in %s twice: give each paper once", id, set.name)
				}
				return nil, nil, invalid("negative", "paper %q is both positive and negative: give it on one side", id)
			}
			side[id] = set.name
			ids = append(ids, id)
		}
	}
	recs, err := e.papers.GetMany(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		if _, ok := recs[id]; !ok {
			return nil, nil, fmt.Errorf("%w: %q (a %s example): check the id, or give its text instead", paper.ErrNotFound, id, side[id])
		}
	}
	var texts []string
	for _, xs := range [][]Example{positive, negative} {
		for _, x := range xs {
			if x.ID == "" {
				texts = append(texts, strings.TrimSpace(x.Text))
			}
		}
	}
	var vecs [][]float32
	if len(texts) > 0 {
		if vecs, err = e.embedder.Embed(ctx, texts, embeddings.Document); err != nil {
			return nil, nil, fmt.Errorf("cannot embed the examples' texts: %w", err)
		}
		if len(vecs) != len(texts) {
			return nil, nil, fmt.Errorf("embedder returned %d vectors for %d texts", len(vecs), len(texts))
		}
	}
	requests := func(xs []Example) []request {
		out := make([]request, len(xs))
		for i, x := range xs {
			if x.ID == "" {
				out[i] = request{text: strings.TrimSpace(x.Text), vector: vecs[0]}
				vecs = vecs[1:]
				continue
			}
			rec := recs[paper.NormalizeID(x.ID)]
			out[i] = request{text: rec.Paper.Text(), like: rec.Paper.ID, vector: rec.Vector}
		}
		return out
	}
	return requests(positive), requests(negative), nil
}

// centroid is the positives' mean vector less w × the negatives'.
func centroid(pos, neg []request, w float64) []float32 {
	v := make([]float64, len(pos[0].vector))
	add := func(qs []request, k float64) {
		for _, q := range qs {
			for i, x := range q.vector {
				if i < len(v) {
					v[i] += k * float64(x)
				}
			}
		}
	}
	add(pos, 1/float64(len(pos)))
	if len(neg) > 0 {
		add(neg, -w/float64(len(neg)))
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, len(v))
	if norm == 0 {
		return out
	}
	norm = math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}

// combined ranks against every example apart, at once, and sums each
// paper's normalised scores: +1/P of each positive ranking it is in, −w/N
// of each negative one. The ranks an explanation shows are the best among
// the positives' rankings.
func (e *Engine) combined(ctx context.Context, pos, neg []request, w float64, o Options) ([]*candidate, int, error) {
	pos, neg = pos[:min(len(pos), SetExamples)], neg[:min(len(neg), SetExamples)]
	qs := append(slices.Clip(pos), neg...)
	lists := make([][]*candidate, len(qs))
	totals := make([]int, len(qs))
	errs := make([]error, len(qs))
	// Each example's ranking is as deep as a page asks, at least the
	// fusion's depth, but not the SortDepth of a list sorted by date (the
	// examples' top papers together are what that sorting orders) nor past
	// SetDepth.
	depth := min(max(o.Offset+o.Limit, e.fusion().Depth), SetDepth)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, q := range qs {
		q.uncounted = i > 0 // the first positive's ranking counts for all
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			lists[i], totals[i], errs[i] = e.candidates(ctx, q, o, depth)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	byID := map[string]*candidate{}
	var order []*candidate
	for i, list := range lists {
		k := 1 / float64(len(pos))
		if i >= len(pos) {
			k = -w / float64(len(neg))
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, c := range list {
			lo, hi = min(lo, c.hit.Score), max(hi, c.hit.Score)
		}
		for _, c := range list {
			sum, ok := byID[c.hit.ID]
			if !ok {
				if i >= len(pos) {
					continue // only a positive ranking brings a paper in
				}
				sum = &candidate{hit: paper.Hit{Paper: paper.Paper{ID: c.hit.ID}}}
				byID[c.hit.ID] = sum
				order = append(order, sum)
			}
			s := 1.0
			if hi > lo {
				s = (c.hit.Score - lo) / (hi - lo)
			}
			sum.hit.Score += k * s
			if i < len(pos) {
				if c.havePaper && !sum.havePaper {
					sum.hit.Paper, sum.havePaper = c.hit.Paper, true
				}
				sum.lexScore += k * c.lexScore
				sum.vecScore += k * c.vecScore
				sum.lexRank = bestRank(sum.lexRank, c.lexRank)
				sum.vecRank = bestRank(sum.vecRank, c.vecRank)
				sum.haveLexScore = sum.haveLexScore || c.haveLexScore
				sum.haveVecScore = sum.haveVecScore || c.haveVecScore
			}
		}
	}
	byScore(order)
	return order, totals[0], nil
}

// bestRank is the better of two ranks, 0 meaning "not ranked".
func bestRank(a, b int) int {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}
