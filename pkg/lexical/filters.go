package lexical

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Filters are answered from what the postings hold of each paper (its
// date, its categories by number, its authors), as a bit set by document
// number: a word ranking tests a bit for each paper its words meet, and a
// filter's pass over a million papers reads three columns instead of a
// map of a million papers.
//
// A pass runs passChunk papers at a time under the postings' read lock,
// looking at its request's context between two chunks, so that a write
// waits at most for one chunk and a request that leaves stops its pass.
// The requests that ask for one filter at once share one pass; requests
// for other filters do not wait for it (see Index.passing).

// bitset is a set of document numbers.
type bitset []uint64

func (b bitset) has(d int32) bool { return int(d>>6) < len(b) && b[d>>6]&(1<<(d&63)) != 0 }
func (b bitset) set(d int32)      { b[d>>6] |= 1 << (d & 63) }

// filterSet is the papers of the postings in that pass the field tests of
// filter, by document number, as in was at generation gen and numbering
// epoch.
type filterSet struct {
	key    string
	filter paper.Filter
	in     *postings
	gen    uint64
	epoch  uint64
	bits   bitset
	count  int

	listOnce sync.Once
	list     []string // the same papers by id (see ids)

	// again is the same papers worked out again for in's current epoch,
	// once, when in was renumbered after the pass; againMu guards it.
	againMu    sync.Mutex
	again      bitset
	againEpoch uint64
}

// bitsLocked is the papers of s numbered as s.in is now: its bits, or
// after a renumbering the same filter worked out again, once per epoch.
// The caller holds s.in.mu.
func (s *filterSet) bitsLocked() bitset {
	if s.in.epoch == s.epoch {
		return s.bits
	}
	s.againMu.Lock()
	defer s.againMu.Unlock()
	if s.again == nil || s.againEpoch != s.in.epoch {
		s.again = s.in.passAllLocked(s.filter)
		s.againEpoch = s.in.epoch
	}
	return s.again
}

// passes reports whether the paper id is in s.
func (s *filterSet) passes(id string) bool {
	s.in.mu.RLock()
	defer s.in.mu.RUnlock()
	d, ok := s.in.docOf(id)
	return ok && s.bitsLocked().has(d)
}

// ids is the papers of s by id, worked out once: one slice for every
// request until the next write (see Index.PassingIDs).
func (s *filterSet) ids() []string {
	s.listOnce.Do(func() {
		s.in.mu.RLock()
		defer s.in.mu.RUnlock()
		s.list = s.in.idsOf(s.bitsLocked(), make([]string, 0, s.count))
	})
	return s.list
}

// idsOf appends the ids of the papers in b to ids. The caller holds x.mu.
func (x *postings) idsOf(b bitset, ids []string) []string {
	for i, word := range b {
		for word != 0 {
			d := i*64 + bits.TrailingZeros64(word)
			if d < len(x.ids) && x.lens[d].title >= 0 {
				ids = append(ids, x.ids[d])
			}
			word &= word - 1
		}
	}
	return ids
}

// passChunk is how many papers a pass tests between two looks at its
// context, holding the read lock on the postings: well under a
// millisecond.
const passChunk = 1 << 14

// passHook, when set (by tests), runs between two chunks of a pass, with
// the pass's context and its filter's key.
var passHook func(ctx context.Context, key string)

// passing is the set of papers that pass the field tests of f. The
// requests that ask for one filter at once share one pass over the papers
// (the parts of a query ask at once); requests for other filters do not
// wait for it, and a write waits at most for one chunk of it. When the
// request doing the pass leaves, the pass stops and a request still
// waiting for it does its own.
func (x *Index) passing(ctx context.Context, f paper.Filter) (*filterSet, error) {
	f = f.Fields()
	key := f.Key()
	for {
		mem, err := x.filedFor(ctx)
		if err != nil {
			return nil, err
		}
		x.passMu.Lock()
		c := x.passed
		x.passMu.Unlock()
		if c != nil && c.key == key && c.in == mem && c.gen == mem.generation() {
			return c, nil
		}
		// The pass runs under the context of the request that starts it.
		// One pass per filter and postings: a request must not take a
		// set made on the postings the background build replaced.
		done := x.passFlight.DoChan(fmt.Sprintf("%p %s", mem, key), func() (any, error) {
			set, err := mem.pass(ctx, f, key)
			if err == nil && set.gen == mem.generation() {
				x.passMu.Lock()
				x.passed = set
				x.passMu.Unlock()
			}
			return set, err
		})
		select {
		case r := <-done:
			switch {
			case r.Err == nil:
				return r.Val.(*filterSet), nil
			case ctx.Err() != nil:
				return nil, ctx.Err()
			}
			// The request that ran the pass left: run one for this one.
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// generation is the count of writes to x.
func (x *postings) generation() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.gen
}

// pass tests every live paper against f (as Fields made it), passChunk
// papers at a time under the read lock. A paper written between two
// chunks may or may not be seen, as a write in flight may or may not be;
// the set then carries the generation the pass began at, so that no
// request after the write takes it for the current one. When the papers
// are renumbered between two chunks (see compactLocked) it starts again.
func (x *postings) pass(ctx context.Context, f paper.Filter, key string) (*filterSet, error) {
	x.mu.RLock()
	locked := true
	defer func() {
		if locked {
			x.mu.RUnlock()
		}
	}()
	set := &filterSet{key: key, filter: f, in: x, gen: x.gen, epoch: x.epoch, bits: bitset{}} // not nil: nil allows every paper
	m := x.matcherLocked(f)
	for d := 0; ; {
		end := min(d+passChunk, len(x.ids))
		set.bits = growBits(set.bits, len(x.ids))
		for ; d < end; d++ {
			if m.passes(int32(d)) {
				set.bits.set(int32(d))
				set.count++
			}
		}
		if d >= len(x.ids) {
			return set, nil
		}
		x.mu.RUnlock()
		locked = false
		if passHook != nil {
			passHook(ctx, key)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x.mu.RLock()
		locked = true
		if x.epoch != set.epoch {
			set = &filterSet{key: key, filter: f, in: x, gen: x.gen, epoch: x.epoch, bits: bitset{}}
			d = 0
		}
		m = x.matcherLocked(f) // categories may have been added
	}
}

// growBits is b with room for n documents.
func growBits(b bitset, n int) bitset {
	words := (n + 63) / 64
	if len(b) >= words {
		return b
	}
	return append(b, make(bitset, words-len(b))...)
}

// passAllLocked is the papers that pass f (as Fields made it), in one go.
// The caller holds x.mu.
func (x *postings) passAllLocked(f paper.Filter) bitset {
	m := x.matcherLocked(f)
	b := make(bitset, (len(x.ids)+63)/64, (len(x.ids)+63)/64+1) // not nil, even for no papers
	for d := range x.ids {
		if m.passes(int32(d)) {
			b.set(int32(d))
		}
	}
	return b
}

// allowLocked is the papers of the postings that pass s, as the postings
// are numbered now: s's bits, unless s was made on other postings or
// before a renumbering. The caller holds x.mu.
func (x *postings) allowLocked(s *filterSet) bitset {
	if s.in == x {
		return s.bitsLocked()
	}
	return x.passAllLocked(s.filter)
}

// columnMatcher tests what paper.Filter's Matcher tests, on the postings'
// columns: the date as a number, the categories by number, the names as
// Matcher compares them.
type columnMatcher struct {
	x                *postings
	since            int32
	yearFrom, yearTo int32
	catOK            []bool // by category number; nil: any category
	byAuthor         func(*paper.Paper) bool
	named            paper.Paper
}

// matcherLocked is the columnMatcher of f (as Fields made it). The caller
// holds x.mu.
func (x *postings) matcherLocked(f paper.Filter) *columnMatcher {
	m := &columnMatcher{x: x, since: -1,
		yearFrom: int32(min(max(f.YearFrom, 0), 9999)), yearTo: int32(min(max(f.YearTo, 0), 9999))}
	if f.Since != "" {
		m.since = dayOf(f.Since)
	}
	// The categories that pass, by number: the filter's names are
	// compared with each category name once, not with every paper's.
	if len(f.Categories) > 0 {
		m.catOK = make([]bool, len(x.catNames))
		for n, name := range x.catNames {
			m.catOK[n] = slices.ContainsFunc(f.Categories, func(want string) bool { return strings.EqualFold(name, strings.TrimSpace(want)) })
		}
	}
	// The names, with a Matcher of the author alone, on a paper whose
	// authors are each paper's in turn.
	if strings.TrimSpace(f.Author) != "" {
		m.byAuthor = paper.Filter{Author: f.Author}.Matcher()
	}
	return m
}

// passes reports whether the live paper d passes. The caller holds x.mu.
func (m *columnMatcher) passes(d int32) bool {
	x := m.x
	if x.lens[d].title < 0 {
		return false
	}
	day := x.days[d]
	if m.since >= 0 && (day == 0 || day < m.since) {
		return false
	}
	if m.yearFrom != 0 || m.yearTo != 0 {
		y := day / 10000
		if y == 0 || (m.yearFrom != 0 && y < m.yearFrom) || (m.yearTo != 0 && y > m.yearTo) {
			return false
		}
	}
	if m.catOK != nil && !slices.ContainsFunc(x.catsOf(d), func(c uint32) bool { return int(c) < len(m.catOK) && m.catOK[c] }) {
		return false
	}
	if m.byAuthor != nil {
		m.named.Authors = m.named.Authors[:0]
		for name := range strings.SplitSeq(x.authors[d], "\x00") {
			if name != "" {
				m.named.Authors = append(m.named.Authors, name)
			}
		}
		if !m.byAuthor(&m.named) {
			return false
		}
	}
	return true
}

// countExcept is how many live papers pass s (nil: all), leaving out the
// ids in exclude, each once.
func (x *postings) countExcept(s *filterSet, exclude []string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := x.nlive
	var allow bitset
	if s != nil {
		n, allow = s.count, x.allowLocked(s)
		if s.in != x || s.epoch != x.epoch || s.gen != x.gen {
			// Written since the pass: count the papers still live (a
			// paper replaced meanwhile was seen dead and alive).
			n = 0
			for i, w := range allow {
				for ; w != 0; w &= w - 1 {
					if d := i*64 + bits.TrailingZeros64(w); d < len(x.lens) && x.lens[d].title >= 0 {
						n++
					}
				}
			}
		}
	}
	for i, id := range exclude {
		if d, ok := x.docOf(id); ok && (s == nil || allow.has(d)) && !slices.Contains(exclude[:i], id) {
			n--
		}
	}
	return n
}
