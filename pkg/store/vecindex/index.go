// Package vecindex ranks vectors by cosine similarity with an exhaustive
// scan that is fast enough for millions of rows: the vectors sit in one
// contiguous int8 matrix (one scale per row) scanned in parallel with SIMD,
// each worker keeping a bounded heap of candidates, and the best candidates
// are re-scored exactly against their float32 vectors. The answer is the
// exact top k unless the int8 error moves a row by more than the gap between
// the k-th best and the (2k+32)-th best score, which needs near-ties.
//
// An Index is not safe for concurrent writes: callers serialise Set and
// Delete against each other and against Search. Searches may run in
// parallel with each other.
package vecindex

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"
)

// Hit is one ranked row: its id, its item and its exact cosine similarity.
type Hit[T any] struct {
	ID    string
	Item  T
	Score float32
}

// Index holds unit vectors of one dimension, each with an id and an item.
type Index[T any] struct {
	dim, pdim int       // dimension, and padded to a multiple of 32
	codes     []int8    // row r is codes[r*pdim : (r+1)*pdim]
	scales    []float32 // row r's value i is codes[r*pdim+i] * scales[r]
	vecs      [][]float32
	ids       []string
	items     []T
	row       map[string]int
	// layout counts the writes that moved rows (an added or deleted row):
	// the rows of a list of ids worked out before it changes are stale.
	layout uint64
	// among is the rows SearchAmong last worked out, for one slice of ids
	// at one layout; amongMu guards the pointer, as searches run at once.
	amongMu sync.Mutex
	among   *amongRows
}

// amongRows is the rows of the ids of one slice (known by its first
// element and length) at layout, in the order of the matrix.
type amongRows struct {
	first  *string
	n      int
	layout uint64
	rows   []int
}

// New returns an empty index for vectors of dimension dim.
func New[T any](dim int) *Index[T] {
	return &Index[T]{dim: dim, pdim: (dim + 31) &^ 31, row: map[string]int{}}
}

// Dim is the dimension of the index's vectors.
func (x *Index[T]) Dim() int { return x.dim }

// Len is the number of rows.
func (x *Index[T]) Len() int { return len(x.ids) }

// Grow makes room for n more rows, so that adding them does not copy the
// matrix again and again.
func (x *Index[T]) Grow(n int) {
	x.codes = slices.Grow(x.codes, n*x.pdim)
	x.scales = slices.Grow(x.scales, n)
	x.vecs = slices.Grow(x.vecs, n)
	x.ids = slices.Grow(x.ids, n)
	x.items = slices.Grow(x.items, n)
	if len(x.row) == 0 {
		x.row = make(map[string]int, n)
	}
}

// Set adds or replaces the row id. v must be a unit vector of the index's
// dimension; the index keeps v itself (for exact re-scoring), not a copy,
// so the caller must not modify it afterwards.
func (x *Index[T]) Set(id string, v []float32, item T) {
	r, ok := x.row[id]
	if !ok {
		r = len(x.ids)
		x.layout++
		x.row[id] = r
		x.ids = append(x.ids, id)
		x.items = append(x.items, item)
		x.vecs = append(x.vecs, v)
		x.scales = append(x.scales, 0)
		x.codes = slices.Grow(x.codes, x.pdim)[:len(x.codes)+x.pdim]
	}
	x.items[r], x.vecs[r] = item, v
	x.scales[r] = quantize(v, x.codes[r*x.pdim:(r+1)*x.pdim])
}

// Get returns the vector and item of id, and whether id is present.
func (x *Index[T]) Get(id string) ([]float32, T, bool) {
	r, ok := x.row[id]
	if !ok {
		var zero T
		return nil, zero, false
	}
	return x.vecs[r], x.items[r], true
}

// Delete removes id and reports whether it was there. The last row moves
// into its place.
func (x *Index[T]) Delete(id string) bool {
	r, ok := x.row[id]
	if !ok {
		return false
	}
	x.layout++
	last := len(x.ids) - 1
	if r != last {
		x.ids[r], x.items[r], x.vecs[r], x.scales[r] = x.ids[last], x.items[last], x.vecs[last], x.scales[last]
		copy(x.codes[r*x.pdim:(r+1)*x.pdim], x.codes[last*x.pdim:])
		x.row[x.ids[r]] = r
	}
	var zero T
	x.items[last], x.vecs[last], x.ids[last] = zero, nil, ""
	x.ids, x.items, x.vecs, x.scales = x.ids[:last], x.items[:last], x.vecs[:last], x.scales[:last]
	x.codes = x.codes[:last*x.pdim]
	delete(x.row, id)
	return true
}

// Each calls fn for every row, in row order, until fn returns false.
func (x *Index[T]) Each(fn func(id string, v []float32, item T) bool) {
	for r, id := range x.ids {
		if !fn(id, x.vecs[r], x.items[r]) {
			return
		}
	}
}

// quantize writes v as int8 codes and returns the scale that maps them back.
func quantize(v []float32, codes []int8) float32 {
	var m float32
	for _, f := range v {
		m = max(m, float32(math.Abs(float64(f))))
	}
	clear(codes)
	if m == 0 {
		return 0
	}
	s := m / 127
	for i, f := range v {
		codes[i] = int8(math.Round(float64(f / s)))
	}
	return s
}

// Search returns the k rows most similar to the unit vector q, best first,
// with ties broken by id, among the rows for which accept (nil: all) returns
// true. accept is called only for rows good enough to be candidates, from
// several goroutines at once.
func (x *Index[T]) Search(q []float32, k int, accept func(id string, item T) bool) []Hit[T] {
	n := len(x.ids)
	if k <= 0 || n == 0 || len(q) != x.dim {
		return nil
	}
	q16, qs := x.queryCodes(q)
	want := min(2*k+32, n) // candidates to re-score exactly

	workers := 1
	if n*x.pdim >= 1<<18 {
		workers = min(runtime.GOMAXPROCS(0), n/1024+1)
	}
	heaps := make([]candidates, workers)
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			heaps[w] = x.scan(q16, qs, lo, hi, want, accept)
		}()
	}
	wg.Wait()

	all := heaps[0]
	for _, h := range heaps[1:] {
		all = append(all, h...)
	}
	if len(all) > want { // the best want of the workers' candidates are the index's
		slices.SortFunc(all, func(a, b candidate) int { return cmp.Compare(b.score, a.score) })
		all = all[:want]
	}
	return x.rescore(q, k, all)
}

// SearchAmong is Search over the rows ids only (unknown ids are left out):
// for a filter that few rows pass, scoring those rows costs a fraction of
// scanning every row and testing each. ids must not change once given: the
// rows worked out for a slice are kept for the next call with the same
// slice until a row is added or deleted.
func (x *Index[T]) SearchAmong(q []float32, k int, ids []string, accept func(id string, item T) bool) []Hit[T] {
	if k <= 0 || len(q) != x.dim {
		return nil
	}
	rows := x.rowsOf(ids)
	if len(rows) == 0 {
		return nil
	}
	q16, qs := x.queryCodes(q)
	want := min(2*k+32, len(rows))
	h := make(candidates, 0, want)
	codes := make([]int8, block*x.pdim)
	var out [block]int32
	for b := 0; b < len(rows); b += block {
		part := rows[b:min(b+block, len(rows))]
		for i, r := range part {
			copy(codes[i*x.pdim:(i+1)*x.pdim], x.codes[r*x.pdim:(r+1)*x.pdim])
		}
		dots(q16, codes[:len(part)*x.pdim], out[:len(part)])
		for i, d := range out[:len(part)] {
			r := part[i]
			if s := float32(d) * qs * x.scales[r]; len(h) < want || s > h[0].score {
				x.offer(&h, want, r, s, accept)
			}
		}
	}
	return x.rescore(q, k, h)
}

// queryCodes is q quantised as the rows are, widened to int16 for the
// kernel, and its scale.
func (x *Index[T]) queryCodes(q []float32) ([]int16, float32) {
	qc := make([]int8, x.pdim)
	qs := quantize(q, qc)
	q16 := make([]int16, x.pdim)
	for i, c := range qc {
		q16[i] = int16(c)
	}
	return q16, qs
}

// rowsOf is the rows of ids, unknown ids left out, in the order of the
// matrix. The answer for one slice is kept until a row moves: a
// recommendation ranks its examples among the same papers, and looking
// every id up and sorting the rows again cost more than the ranking.
func (x *Index[T]) rowsOf(ids []string) []int {
	first := unsafe.SliceData(ids)
	x.amongMu.Lock()
	c := x.among
	x.amongMu.Unlock()
	if c != nil && c.first == first && c.n == len(ids) && c.layout == x.layout {
		return c.rows
	}
	rows := make([]int, 0, len(ids))
	for _, id := range ids {
		if r, ok := x.row[id]; ok {
			rows = append(rows, r)
		}
	}
	slices.Sort(rows)
	if len(ids) > 0 {
		x.amongMu.Lock()
		x.among = &amongRows{first: first, n: len(ids), layout: x.layout, rows: rows}
		x.amongMu.Unlock()
	}
	return rows
}

// rescore scores the candidates exactly and returns the best k, ties by id.
func (x *Index[T]) rescore(q []float32, k int, all candidates) []Hit[T] {
	hits := make([]Hit[T], len(all))
	for i, c := range all {
		hits[i] = Hit[T]{ID: x.ids[c.row], Item: x.items[c.row], Score: dot(q, x.vecs[c.row])}
	}
	slices.SortFunc(hits, func(a, b Hit[T]) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return hits[:min(k, len(hits))]
}

// block is how many rows one call of dots scores.
const block = 256

// scan keeps the want best accepted rows of lo..hi by approximate score.
func (x *Index[T]) scan(q []int16, qs float32, lo, hi, want int, accept func(string, T) bool) candidates {
	h := make(candidates, 0, want)
	var out [block]int32
	for b := lo; b < hi; b += block {
		m := min(block, hi-b)
		dots(q, x.codes[b*x.pdim:(b+m)*x.pdim], out[:m])
		for i, d := range out[:m] {
			r := b + i
			if s := float32(d) * qs * x.scales[r]; len(h) < want || s > h[0].score {
				x.offer(&h, want, r, s, accept)
			}
		}
	}
	return h
}

func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

type candidate struct {
	row   int
	score float32
}

// candidates is a min-heap by score: the worst candidate is at the top,
// ready to be replaced.
type candidates []candidate

// offer puts row r, scored s, in h, a heap of at most want candidates,
// if accept lets it through (nil: every row); the caller has checked that
// s would enter h, so accept runs only on rows that could.
func (x *Index[T]) offer(h *candidates, want, r int, s float32, accept func(string, T) bool) {
	if accept != nil && !accept(x.ids[r], x.items[r]) {
		return
	}
	if len(*h) < want {
		h.push(candidate{r, s})
		return
	}
	(*h)[0] = candidate{r, s}
	h.down(0)
}

func (h *candidates) push(c candidate) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].score <= s[i].score {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h candidates) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && h[r].score < h[l].score {
			c = r
		}
		if h[i].score <= h[c].score {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}
