package lexical

import (
	"cmp"
	"encoding/binary"
	"hash/crc64"
	"math"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/paperlens/paperlens/pkg/paper"
)

// postings is the title and the abstract held in memory for ranking: for
// every analysed word the papers that contain it and how often in each
// field. It ranks by BM25F (see search) rather than by bleve's BM25, which
// departs from the usual formula in ways that cost ranking quality (see
// docs/quality.md), and at a fraction of bleve's cost: bleve builds a
// searcher tree, a heap of postings iterators and a document match per hit
// for every query, which took ≈ 11 ms for a 25-word query over 20k papers.
//
// It also keeps a checksum of the papers it holds (see fingerprint), which
// ties the copy saved at Close to the store's papers (see cache.go).
type postings struct {
	mu    sync.RWMutex
	terms map[string]int32 // word → term number
	words []string         // term number → word
	lists [][]posting      // by term number; may hold dead papers
	df    []int32          // live papers holding the term
	live  int              // terms with df > 0
	docs  []memDoc         // by document number
	byID  map[string]int32 // live papers only
	dead  int              // dead entries in docs
	sum   uint64           // sum of the live papers' fingerprints
	// titleWords and abstractWords sum the live papers' field lengths.
	titleWords, abstractWords int64
	// titleStats count the papers holding each term in their title.
	titleStats
	pool sync.Pool // *scratch
}

// posting is 8 bytes, as a paper number and a single count were: the
// counts saturate at 65,535, far beyond where BM25's saturation makes a
// difference.
type posting struct {
	doc             int32
	title, abstract uint16 // how often the word occurs in each field
}

type memDoc struct {
	id                    string
	titleLen, abstractLen int32   // analysed words in each field
	terms                 []int32 // distinct term numbers
	freqs                 []int32 // how often each of terms occurs in all
	fp                    uint64
	live                  bool
}

// scratch is one query's accumulators, reused between queries.
type scratch struct {
	score   []float64
	matched []int32 // 1 for a paper in touched
	touched []int32
}

func newPostings() *postings {
	return &postings{terms: map[string]int32{}, byID: map[string]int32{}}
}

var crcTable = crc64.MakeTable(crc64.ECMA)

// fingerprint summarises what the index holds of p: two papers with the same
// fingerprint index the same way (up to a 2⁻⁶⁴ collision).
func fingerprint(p *paper.Paper) uint64 {
	h := crc64.New(crcTable)
	var n [8]byte
	put := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(p.ID)
	put(p.Title)
	put(p.Abstract)
	put(p.Published)
	put("c")
	for _, c := range p.Categories {
		put(c)
	}
	put("a")
	for _, a := range p.Authors {
		put(a)
	}
	return h.Sum64()
}

// analysed is a paper's words, counted by field, ready to be added.
type analysed struct {
	id                    string
	fp                    uint64
	titleLen, abstractLen int32
	freq                  map[string]fieldFreq
}

// fieldFreq is how often a word occurs in the title and in the abstract.
type fieldFreq struct{ title, abstract uint16 }

// analyse analyses p's title and abstract with an.
func analyse(an analysis.Analyzer, p *paper.Paper) analysed {
	return analysedFrom(p, an.Analyze([]byte(p.Title)), an.Analyze([]byte(p.Abstract)))
}

// analysedFrom counts p's words from the analysed words of its title and
// of its abstract, each analysed on its own.
func analysedFrom(p *paper.Paper, title, abstract analysis.TokenStream) analysed {
	a := analysed{id: p.ID, fp: fingerprint(p), freq: make(map[string]fieldFreq, len(title)+len(abstract)),
		titleLen: int32(len(title)), abstractLen: int32(len(abstract))}
	for _, t := range title {
		f := a.freq[string(t.Term)]
		if f.title < math.MaxUint16 {
			f.title++
		}
		a.freq[string(t.Term)] = f
	}
	for _, t := range abstract {
		f := a.freq[string(t.Term)]
		if f.abstract < math.MaxUint16 {
			f.abstract++
		}
		a.freq[string(t.Term)] = f
	}
	return a
}

// add replaces the papers with the same ids by docs.
func (x *postings) add(docs []analysed) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, d := range docs {
		x.removeLocked(d.id)
		num := int32(len(x.docs))
		md := memDoc{id: d.id, titleLen: d.titleLen, abstractLen: d.abstractLen, fp: d.fp, live: true,
			terms: make([]int32, 0, len(d.freq)), freqs: make([]int32, 0, len(d.freq))}
		for w, f := range d.freq {
			t, ok := x.terms[w]
			if !ok {
				t = int32(len(x.lists))
				x.terms[w] = t
				x.lists = append(x.lists, nil)
				x.words = append(x.words, w)
				x.df = append(x.df, 0)
			}
			x.lists[t] = append(x.lists[t], posting{doc: num, title: f.title, abstract: f.abstract})
			if x.df[t] == 0 {
				x.live++
			}
			x.df[t]++
			x.countTitled(t, f.title > 0, 1)
			md.terms = append(md.terms, t)
			md.freqs = append(md.freqs, int32(f.title)+int32(f.abstract))
		}
		x.docs = append(x.docs, md)
		x.byID[d.id] = num
		x.sum += d.fp
		x.titleWords += int64(d.titleLen)
		x.abstractWords += int64(d.abstractLen)
	}
	x.compactLocked()
}

// remove drops papers by id; unknown ids are ignored.
func (x *postings) remove(ids []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		x.removeLocked(id)
	}
	x.compactLocked()
}

func (x *postings) removeLocked(id string) {
	num, ok := x.byID[id]
	if !ok {
		return
	}
	d := &x.docs[num]
	for _, t := range d.terms {
		x.countTitled(t, x.inTitleLocked(t, num), -1)
		x.df[t]--
		if x.df[t] == 0 {
			x.live--
		}
	}
	x.sum -= d.fp
	x.titleWords -= int64(d.titleLen)
	x.abstractWords -= int64(d.abstractLen)
	d.live, d.terms, d.freqs = false, nil, nil
	delete(x.byID, id)
	x.dead++
}

// compactLocked renumbers the papers once dead ones are a third of them.
func (x *postings) compactLocked() {
	if x.dead < 1024 || x.dead*3 < len(x.docs) {
		return
	}
	renum := make([]int32, len(x.docs))
	docs := make([]memDoc, 0, len(x.byID))
	for i, d := range x.docs {
		renum[i] = -1
		if d.live {
			renum[i] = int32(len(docs))
			docs = append(docs, d)
		}
	}
	for t, l := range x.lists {
		out := l[:0]
		for _, p := range l {
			if n := renum[p.doc]; n >= 0 {
				p.doc = n
				out = append(out, p)
			}
		}
		x.lists[t] = slices.Clip(out)
	}
	for id, n := range x.byID {
		x.byID[id] = renum[n]
	}
	x.docs, x.dead = docs, 0
}

// checksum is the number of papers held and the sum of their fingerprints.
func (x *postings) checksum() (int, uint64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID), x.sum
}

// clause is one word of a query: boost multiplies its score, and it stands
// for count copies of the word (a word repeated in a short query counts
// that many times).
type clause struct {
	term  string
	boost float64
	count int
}

// wordsOf is the words of the paper id with their counts, as analyse
// counted them, or false when the paper is not held.
func (x *postings) wordsOf(id string) (map[string]int, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	num, ok := x.byID[id]
	if !ok {
		return nil, false
	}
	d := &x.docs[num]
	freq := make(map[string]int, len(d.terms))
	for i, t := range d.terms {
		freq[x.words[t]] = int(d.freqs[i])
	}
	return freq, true
}

// docFreq is how many papers hold word, and how many papers there are.
func (x *postings) docFreq(word string) (df, total int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if t, ok := x.terms[word]; ok {
		df = int(x.df[t])
	}
	return df, len(x.byID)
}

// search ranks the papers that hold a word of the query by BM25F with the
// constants of DefaultRanking (searchWith takes others), best first, ties
// by id. The two fields' counts of a word are combined before they
// saturate, a title word counting titleWeight times (3):
//
//	tf = titleWeight·tfₜ/(1−b+b·lenₜ/avgₜ) + tfₐ/(1−b+b·lenₐ/avgₐ)
//	score = Σ boost·count·idf² · tf·(k1+1)/(tf+k1)
//
// with idf = ln(1 + (N−df+0.5)/(df+0.5)) and avg the mean length of the
// field over the papers. The idf counts twice, as in bleve's BM25 (its
// query weight boost·idf times the term's idf), which weighs rare words
// more than the usual single idf. allow, when not nil, says which papers
// (by number and id) may be ranked; ids in exclude are left out. It returns the best n and how
// many papers matched in all.
func (x *postings) search(clauses []clause, n int, allow func(doc int32, id string) bool, exclude []string) ([]paper.Scored, int) {
	return x.searchWith(DefaultRanking, clauses, n, allow, exclude, true)
}

// searchWith is search with the constants of r.
func (x *postings) searchWith(r Ranking, clauses []clause, n int, allow func(doc int32, id string) bool, exclude []string, count bool) ([]paper.Scored, int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	total := len(x.byID)
	if total == 0 || len(clauses) == 0 {
		return []paper.Scored{}, 0
	}
	// A field no paper has words in (no titles) weighs nothing.
	titleNorm, abstractNorm := newLengthNorm(r.B, x.titleWords, total), newLengthNorm(r.B, x.abstractWords, total)
	type prepared struct {
		list   []posting
		weight float64 // boost·count·idf²
	}
	var ps []prepared
	for _, c := range clauses {
		t, ok := x.terms[c.term]
		if !ok || x.df[t] == 0 {
			continue // in no paper: matches nothing
		}
		ps = append(ps, prepared{list: x.lists[t], weight: c.boost * float64(c.count) * r.idfWeight(int(x.df[t]), total)})
	}
	if len(ps) == 0 {
		return []paper.Scored{}, 0
	}

	s, _ := x.pool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if len(s.score) < len(x.docs) {
		s.score = make([]float64, len(x.docs))
		s.matched = make([]int32, len(x.docs))
	}
	s.touched = s.touched[:0]
	for _, p := range ps {
		for _, e := range p.list {
			d := &x.docs[e.doc]
			if !d.live {
				continue
			}
			if s.matched[e.doc] == 0 {
				s.touched = append(s.touched, e.doc)
				s.matched[e.doc] = 1
			}
			s.score[e.doc] += p.weight * r.saturate(r.fieldTF(e.title, e.abstract, titleNorm.of(d.titleLen), abstractNorm.of(d.abstractLen)))
		}
	}
	// Excluded papers are told by their place, not their id: a
	// recommendation leaves out up to 200 papers, which compared by id
	// cost more than the scoring.
	var skip map[int32]bool
	for _, id := range exclude {
		if doc, ok := x.byID[id]; ok {
			if skip == nil {
				skip = make(map[int32]bool, len(exclude))
			}
			skip[doc] = true
		}
	}
	hits := make([]paper.Scored, 0, min(max(n, 0), len(s.touched)))
	matched := 0
	for _, doc := range s.touched {
		sc := s.score[doc]
		s.score[doc], s.matched[doc] = 0, 0
		id := x.docs[doc].id
		h := paper.Scored{ID: id, Score: sc}
		if !count && n > 0 && len(hits) == n && !better(h, hits[0]) {
			// Uncounted, a paper that cannot enter the top n need not be
			// tested: a recommendation ranks 16 lists uncounted, and
			// looking each paper up in a filter's set cost more than
			// scoring it.
			continue
		}
		if skip[doc] {
			continue
		}
		if allow != nil && !allow(doc, id) {
			continue
		}
		matched++
		switch {
		case n <= 0:
		case len(hits) < n:
			hits = append(hits, h)
			up(hits, len(hits)-1)
		case better(h, hits[0]):
			hits[0] = h
			down(hits, 0)
		}
	}
	x.pool.Put(s)
	slices.SortFunc(hits, func(a, b paper.Scored) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return hits, matched
}

// lengthNorm is BM25's length normalisation of a field, 1−b+b·len/avg.
type lengthNorm struct{ base, perWord float64 }

// newLengthNorm is the normalisation of a field whose live papers hold
// words words in all over papers papers.
func newLengthNorm(b float64, words int64, papers int) lengthNorm {
	avg := float64(words) / float64(papers)
	if avg == 0 {
		return lengthNorm{base: 1}
	}
	return lengthNorm{base: 1 - b, perWord: b / avg}
}

func (l lengthNorm) of(length int32) float64 { return l.base + l.perWord*float64(length) }

// up and down keep hits a heap with the worst hit at the root.
func up(h []paper.Scored, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !better(h[p], h[i]) {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func down(h []paper.Scored, i int) {
	for {
		w := i
		if l := 2*i + 1; l < len(h) && better(h[w], h[l]) {
			w = l
		}
		if r := 2*i + 2; r < len(h) && better(h[w], h[r]) {
			w = r
		}
		if w == i {
			return
		}
		h[w], h[i] = h[i], h[w]
		i = w
	}
}

// better orders hits by score, best first, then by id.
func better(a, b paper.Scored) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return cmp.Less(a.ID, b.ID)
}

// docBits is a set of document numbers.
type docBits []uint64

func (b docBits) has(d int32) bool { return int(d>>6) < len(b) && b[d>>6]&(1<<(d&63)) != 0 }

// docsOf is the numbers of the live papers among ids.
func (x *postings) docsOf(ids []string) docBits {
	x.mu.RLock()
	defer x.mu.RUnlock()
	b := make(docBits, (len(x.docs)+63)/64)
	for _, id := range ids {
		if d, ok := x.byID[id]; ok {
			b[d>>6] |= 1 << (d & 63)
		}
	}
	return b
}
