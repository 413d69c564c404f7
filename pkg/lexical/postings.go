package lexical

import (
	"cmp"
	"encoding/binary"
	"hash/crc32"
	"iter"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/words"
)

// postings is the title and the abstract held in memory for ranking: for
// every analysed word the papers that contain it and how often in each
// field. It ranks by BM25F (see search) rather than by bleve's BM25, which
// departs from the usual formula in ways that cost ranking quality (see
// docs/quality.md), and at a fraction of bleve's cost: bleve builds a
// searcher tree, a heap of postings iterators and a document match per hit
// for every query, which took ≈ 11 ms for a 25-word query over 20k papers.
// It also holds what filters read of each paper (its year, categories and
// authors), so that the papers passing a filter are a bit set by document
// number, worked out once per filter in a few milliseconds for a million
// papers.
//
// It keeps a checksum of the papers it holds (see fingerprint), which ties
// the copy saved at Close to the store's papers (see cache.go).
//
// Everything of a paper is kept in columns by document number, and the
// words and ids loaded from a saved file stay sorted, found by binary
// search, with maps only for those added since: loading the postings of a
// million papers then costs little more than reading the file (see
// cache.go). Document numbers only grow, so every list is sorted by
// document.
type postings struct {
	mu sync.RWMutex
	data
	// epoch counts the renumberings of the papers (see compactLocked): a
	// set of papers by number is good for one epoch.
	epoch uint64
	pool  sync.Pool // *scratch
	// norms is the length normalisation of every paper, until the next
	// write (see normsLocked).
	normMu sync.Mutex
	norms  atomic.Pointer[normTable]
}

// normTable is, for each paper, 1/(1−b+b·len/avg) of its title and of its
// abstract as of generation gen, for the ranking r; negative for a dead
// paper. A ranking multiplies by them instead of dividing by the
// normalisations, twice per posting: several times as fast over lists of a
// million postings, for a pass over the papers once per write.
type normTable struct {
	gen uint64
	r   Ranking
	inv []docNorm
	// most holds, by term number, the float64 bits of the most a posting
	// of the word adds to a score before its weight (see saturated), or 0
	// while not worked out: the bound rankPruned prunes with, tighter than
	// k1+1.
	most []atomic.Uint64
}

type docNorm struct{ title, abstract float64 }

// data is what postings hold, guarded by their mu.
type data struct {
	// Words, by term number. words[:sortedWords] are sorted, as loaded;
	// the term numbers of the words added since are in added.
	words       []string
	sortedWords int
	added       map[string]int32
	lists       [][]posting // sorted by document; may hold dead papers
	df          []int32     // live papers holding the term
	live        int         // terms with df > 0

	// Papers, by document number.
	ids     []string
	fps     []uint64
	lens    []docLen // a dead paper's title length is -1
	days    []int32  // the date as YYYYMMDD (see dayOf), 0 for none
	authors []string // the names, joined by "\x00"
	// The distinct term numbers of a paper loaded from a file (d <
	// loadedDocs) are termArena[termsEnd[d-1]:termsEnd[d]], those of a
	// paper added since newTerms[termsEnd[d-1]:termsEnd[d]] (from 0 for
	// the first); its category numbers catArena[catsEnd[d-1]:catsEnd[d]].
	termsEnd   []int64
	termArena  []int32
	newTerms   []int32
	loadedDocs int
	catsEnd    []int64
	catArena   []uint32
	catNames   []string // by category number
	catNums    map[string]uint32

	// byID finds the live papers added since the load; the loaded ones are
	// in sortedIDs, their document numbers in the order of their ids.
	byID      map[string]int32
	sortedIDs []int32
	nlive     int
	dead      int
	sum       uint64 // sum of the live papers' fingerprints
	// titleWords and abstractWords sum the live papers' field lengths.
	titleWords, abstractWords int64
	gen                       uint64 // counts the writes: a pass set is good for one generation
	// titleStats count the papers holding each term in their title.
	titleStats
}

// posting is 8 bytes: the counts saturate at 65,535, far beyond where
// BM25's saturation makes a difference.
type posting struct {
	doc             int32
	title, abstract uint16 // how often the word occurs in each field
}

// docLen is a paper's analysed words in each field.
type docLen struct{ title, abstract int32 }

// scratch is one query's accumulators, reused between queries.
type scratch struct {
	score   []float64 // 0 for a paper no word has matched yet
	touched []int32
	buf     []float64
}

func newPostings() *postings { return &postings{data: newData()} }

func newData() data {
	return data{added: map[string]int32{}, byID: map[string]int32{}, catNums: map[string]uint32{}}
}

// fingerprint summarises what the index holds of p: two papers with the same
// fingerprint index the same way (up to a 2⁻⁶⁴ collision). It is two
// CRC-32s of different polynomials over the paper's fields, each with its
// length, which the processor computes at gigabytes a second: Open
// fingerprints every paper.
func fingerprint(p *paper.Paper) uint64 {
	bp := fpBuffers.Get().(*[]byte)
	b := (*bp)[:0]
	put := func(s string) {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	put(p.ID)
	put(p.Title)
	put(p.Abstract)
	put(p.Published)
	put("c")
	for _, s := range p.Categories {
		put(s)
	}
	put("a")
	for _, s := range p.Authors {
		put(s)
	}
	fp := uint64(crc32.Checksum(b, castagnoli))<<32 | uint64(crc32.ChecksumIEEE(b))
	*bp = b
	fpBuffers.Put(bp)
	return fp
}

// fpBuffers hold the bytes fingerprint checksums.
var fpBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// analysed is a paper's words, counted by field, and what filters read of
// it, ready to be added.
type analysed struct {
	id                    string
	fp                    uint64
	titleLen, abstractLen int32
	freq                  map[string]fieldFreq // nil: the words are not known yet
	day                   int32
	categories, authors   []string
}

// fieldFreq is how often a word occurs in the title and in the abstract.
type fieldFreq struct{ title, abstract uint16 }

// filedOnly is what the index holds of p before its words are analysed:
// its fingerprint fp and filter fields.
func filedOnly(p *paper.Paper, fp uint64) analysed {
	return analysed{id: p.ID, fp: fp, day: dayOf(p.Published), categories: p.Categories, authors: p.Authors}
}

// dayOf is a YYYY-MM-DD date as the number YYYYMMDD, which orders as the
// date does; a date without its month and day (or not a date) counts by
// its year alone, as paper.Year reads it; 0 for none.
func dayOf(date string) int32 {
	y := paper.Year(date)
	if y <= 0 || y > 9999 {
		return 0
	}
	day := int32(y) * 10000
	if len(date) == 10 && date[4] == '-' && date[7] == '-' {
		m, d := digits2(date[5:7]), digits2(date[8:10])
		if m >= 0 && d >= 0 {
			day += int32(m*100 + d)
		}
	}
	return day
}

// digits2 is the number two ASCII digits spell, or -1.
func digits2(s string) int {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return -1
	}
	return int(s[0]-'0')*10 + int(s[1]-'0')
}

// analyse analyses p's title and abstract with an.
func analyse(an analysis.Analyzer, p *paper.Paper) analysed {
	return analysedFrom(p, an.Analyze([]byte(p.Title)), an.Analyze([]byte(p.Abstract)))
}

// analysedFrom counts p's words from the analysed words of its title and
// of its abstract, each analysed on its own.
func analysedFrom(p *paper.Paper, title, abstract analysis.TokenStream) analysed {
	a := filedOnly(p, fingerprint(p))
	a.freq = make(map[string]fieldFreq, len(title)+len(abstract))
	a.titleLen, a.abstractLen = int32(len(title)), int32(len(abstract))
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

// termOf is the term number of word.
func (x *data) termOf(word string) (int32, bool) {
	if i, ok := slices.BinarySearch(x.words[:x.sortedWords], word); ok {
		return int32(i), true
	}
	t, ok := x.added[word]
	return t, ok
}

// docOf is the document number of the live paper id.
func (x *data) docOf(id string) (int32, bool) {
	if d, ok := x.byID[id]; ok {
		return d, true
	}
	i := sort.Search(len(x.sortedIDs), func(i int) bool { return x.ids[x.sortedIDs[i]] >= id })
	if i < len(x.sortedIDs) {
		if d := x.sortedIDs[i]; x.ids[d] == id && x.lens[d].title >= 0 {
			return d, true
		}
	}
	return 0, false
}

// termsOf is the distinct term numbers of the paper d.
func (x *data) termsOf(d int32) []int32 {
	arena, first := x.termArena, 0
	if int(d) >= x.loadedDocs {
		arena, first = x.newTerms, x.loadedDocs
	}
	var from int64
	if int(d) > first {
		from = x.termsEnd[d-1]
	}
	return arena[from:x.termsEnd[d]]
}

// catsOf is the category numbers of the paper d.
func (x *data) catsOf(d int32) []uint32 {
	var from int64
	if d > 0 {
		from = x.catsEnd[d-1]
	}
	return x.catArena[from:x.catsEnd[d]]
}

// add replaces the papers with the same ids by docs.
func (x *postings) add(docs []analysed) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.gen++
	x.ids = slices.Grow(x.ids, len(docs))
	for _, d := range docs {
		x.removeLocked(d.id)
		num := int32(len(x.ids))
		for w, f := range d.freq {
			t, ok := x.termOf(w)
			if !ok {
				t = int32(len(x.lists))
				x.added[w] = t
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
			x.newTerms = append(x.newTerms, t)
		}
		for _, c := range d.categories {
			n, ok := x.catNums[c]
			if !ok {
				n = uint32(len(x.catNames))
				x.catNums[c] = n
				x.catNames = append(x.catNames, c)
			}
			x.catArena = append(x.catArena, n)
		}
		x.ids = append(x.ids, d.id)
		x.fps = append(x.fps, d.fp)
		x.lens = append(x.lens, docLen{title: d.titleLen, abstract: d.abstractLen})
		x.days = append(x.days, d.day)
		x.authors = append(x.authors, strings.Join(d.authors, "\x00"))
		x.termsEnd = append(x.termsEnd, int64(len(x.newTerms)))
		x.catsEnd = append(x.catsEnd, int64(len(x.catArena)))
		x.byID[d.id] = num
		x.nlive++
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
	x.gen++
	for _, id := range ids {
		x.removeLocked(id)
	}
	x.compactLocked()
}

func (x *postings) removeLocked(id string) {
	d, ok := x.docOf(id)
	if !ok {
		return
	}
	for _, t := range x.termsOf(d) {
		x.countTitled(t, x.inTitleLocked(t, d), -1)
		x.df[t]--
		if x.df[t] == 0 {
			x.live--
		}
	}
	x.sum -= x.fps[d]
	x.titleWords -= int64(x.lens[d].title)
	x.abstractWords -= int64(x.lens[d].abstract)
	x.lens[d].title = -1
	delete(x.byID, id)
	x.nlive--
	x.dead++
}

// compactLocked renumbers the papers once dead ones are a third of them.
func (x *postings) compactLocked() {
	if x.dead < 1024 || x.dead*3 < len(x.ids) {
		return
	}
	gen := x.gen
	x.data = x.compacted()
	x.epoch++
	x.gen = gen + 1 // new numbers: what was worked out per generation is stale
}

// compacted is a copy of x without its dead papers, numbered from 0 in
// their order, with every paper in the maps (nothing loaded).
func (x *data) compacted() data {
	c := newData()
	renum := make([]int32, len(x.ids))
	c.byID = make(map[string]int32, x.nlive)
	for d := range x.ids {
		renum[d] = -1
		if x.lens[d].title < 0 {
			continue
		}
		n := int32(len(c.ids))
		renum[d] = n
		c.ids = append(c.ids, x.ids[d])
		c.fps = append(c.fps, x.fps[d])
		c.lens = append(c.lens, x.lens[d])
		c.days = append(c.days, x.days[d])
		c.authors = append(c.authors, x.authors[d])
		c.newTerms = append(c.newTerms, x.termsOf(int32(d))...)
		c.termsEnd = append(c.termsEnd, int64(len(c.newTerms)))
		c.catArena = append(c.catArena, x.catsOf(int32(d))...)
		c.catsEnd = append(c.catsEnd, int64(len(c.catArena)))
		c.byID[x.ids[d]] = n
	}
	c.words, c.df, c.live, c.titleStats = x.words, x.df, x.live, x.titleStats
	c.sortedWords, c.added = x.sortedWords, x.added
	c.catNames, c.catNums = x.catNames, x.catNums
	c.lists = make([][]posting, len(x.lists))
	for t, l := range x.lists {
		var out []posting
		for _, p := range l {
			if n := renum[p.doc]; n >= 0 {
				p.doc = n
				out = append(out, p)
			}
		}
		c.lists[t] = out
	}
	c.nlive, c.sum = x.nlive, x.sum
	c.titleWords, c.abstractWords = x.titleWords, x.abstractWords
	return c
}

// checksum is the number of papers held and the sum of their fingerprints.
func (x *postings) checksum() (int, uint64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.nlive, x.sum
}

// clause is one word of a query: boost multiplies its score, and it stands
// for count copies of the word (a word repeated in a short query counts
// that many times).
type clause struct {
	term  string
	boost float64
	count int
}

// keyTermsOfPaper is keyTermsOf the words of the paper id, as wordsOf
// counts them, worked out from term numbers under one lock rather than
// word by word: a tenth of a "papers like this one" ranking otherwise. It
// reports false when the paper is not held.
func (x *postings) keyTermsOfPaper(id string) ([]keyTerm, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	d, ok := x.docOf(id)
	if !ok {
		return nil, false
	}
	nums := x.termsOf(d)
	if len(nums) <= words.MaxQueryTerms {
		return nil, true
	}
	total := float64(x.nlive)
	terms := make([]keyTerm, 0, len(nums))
	for _, t := range nums {
		l := x.lists[t]
		i, ok := slices.BinarySearchFunc(l, d, func(p posting, d int32) int { return cmp.Compare(p.doc, d) })
		if !ok || x.df[t] == 0 {
			continue
		}
		n, df := int(l[i].title)+int(l[i].abstract), float64(x.df[t])
		idf := math.Log(1 + (total-df+0.5)/(df+0.5))
		topic := x.topicalityOf(t)
		terms = append(terms, keyTerm{term: x.words[t], freq: n, score: float64(n) * idf * topic, topic: topic})
	}
	return topKeyTerms(terms), true
}

// docFreq is how many papers hold word, and how many papers there are.
func (x *postings) docFreq(word string) (df, total int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if t, ok := x.termOf(word); ok {
		df = int(x.df[t])
	}
	return df, x.nlive
}

// scope narrows a ranking: to the papers that pass pass (nil: all), to
// the papers only (nil: all), leaving out the papers exclude. uncounted
// says the caller does not need the number of papers that match, which
// lets the ranking skip the papers that cannot reach the top (see
// rankPruned).
type scope struct {
	pass      *filterSet
	only      []string
	exclude   []string
	uncounted bool
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
// more than the usual single idf. It returns the best n of the papers in
// sc and how many of them matched in all (0 when sc.uncounted).
func (x *postings) search(clauses []clause, n int, sc scope) ([]paper.Scored, int) {
	return x.searchWith(DefaultRanking, clauses, n, sc)
}

// searchWith is search with the constants of r.
func (x *postings) searchWith(r Ranking, clauses []clause, n int, sc scope) ([]paper.Scored, int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	total := x.nlive
	if total == 0 || len(clauses) == 0 {
		return []paper.Scored{}, 0
	}
	// A field no paper has words in (no titles) weighs nothing.
	var q prepared
	for _, c := range clauses {
		t, ok := x.termOf(c.term)
		if !ok || x.df[t] == 0 {
			continue // in no paper: matches nothing
		}
		q.lists, q.terms = append(q.lists, x.lists[t]), append(q.terms, t)
		q.weights = append(q.weights, c.boost*float64(c.count)*r.idfWeight(int(x.df[t]), total))
	}
	if len(q.lists) == 0 {
		return []paper.Scored{}, 0
	}
	q.r = r
	q.norms = x.normsLocked(r, newLengthNorm(r.B, x.titleWords, total), newLengthNorm(r.B, x.abstractWords, total))
	if sc.pass != nil {
		q.allow = x.allowLocked(sc.pass)
	}
	if sc.only != nil {
		q.allow = make(bitset, (len(x.ids)+63)/64)
		for _, id := range sc.only {
			if d, ok := x.docOf(id); ok {
				q.allow.set(d)
			}
		}
	}
	for _, id := range sc.exclude {
		if d, ok := x.docOf(id); ok {
			if q.exclude == nil {
				q.exclude = make(bitset, (len(x.ids)+63)/64)
			}
			q.exclude.set(d)
		}
	}

	// Pruning pays for short queries, whose common words it skips (3.5
	// times less processor time for five words over 20k papers); a long
	// one, such as "papers like this one" with its 25 words, needs most
	// lists read anyway, and a single pass costs less (BenchmarkRankLike).
	if sc.uncounted && n > 0 && len(q.lists) > 1 && len(q.lists) <= maxPrunedWords {
		return x.rankPruned(&q, n), 0
	}
	// Each part of the documents is ranked on its own core when the lists
	// are long enough to be worth it.
	var size int
	for _, l := range q.lists {
		size += len(l)
	}
	parts := 1
	if size >= partedSize {
		parts = min(runtime.GOMAXPROCS(0), 4)
	}
	results := make([]partResult, parts)
	var wg sync.WaitGroup
	for i := range parts {
		lo, hi := int32(i*len(x.ids)/parts), int32((i+1)*len(x.ids)/parts)
		run := func() { results[i] = x.rankPart(&q, lo, hi, n) }
		if parts == 1 {
			run()
		} else {
			wg.Go(run)
		}
	}
	wg.Wait()
	hits, matched := results[0].hits, results[0].matched
	for _, r := range results[1:] {
		hits, matched = append(hits, r.hits...), matched+r.matched
	}
	slices.SortFunc(hits, byBetter)
	return hits[:min(len(hits), max(n, 0))], matched
}

// maxPrunedWords is the longest query rankPruned ranks.
var maxPrunedWords = 12

// rankedBlock is how many papers a ranking scores at a time (see
// rankPart): their scores and norms, 24 bytes a paper, fit in a core's
// cache.
var rankedBlock int32 = 1 << 15

// partedSize is how many postings a ranking reads before it splits the
// papers into parts, one per core.
var partedSize = 1 << 17

// prepared is a ranking ready to run: the lists of its words, their weights
// (boost·count·idf²) and the papers it may return.
type prepared struct {
	r       Ranking
	lists   [][]posting
	terms   []int32
	weights []float64
	norms   []docNorm
	allow   bitset // nil: every paper
	exclude bitset // nil: none
}

// partResult is the best papers of a part of the documents, and how many
// matched.
type partResult struct {
	hits    []paper.Scored
	matched int
}

// rankPart ranks the papers numbered lo..hi-1. The caller holds x.mu.
func (x *postings) rankPart(q *prepared, lo, hi int32, n int) partResult {
	s, _ := x.pool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if len(s.score) < len(x.ids) {
		s.score = make([]float64, len(x.ids))
	}
	score, touched := s.score, s.touched[:0]
	norms, allow := q.norms, q.allow
	// The part of each list in lo..hi: lists are sorted by document.
	at, to := make([]int, len(q.lists)), make([]int, len(q.lists))
	for i, list := range q.lists {
		at[i], to[i] = 0, len(list)
		if lo > 0 {
			at[i] = sort.Search(len(list), func(j int) bool { return list[j].doc >= lo })
		}
		if int(hi) < len(x.ids) {
			to[i] = at[i] + sort.Search(len(list)-at[i], func(j int) bool { return list[at[i]+j].doc >= hi })
		}
	}
	// Every list is read a block of papers at a time, so that the scores
	// and norms of the papers it touches stay in the processor's cache:
	// over a million papers a word's postings otherwise miss it at each
	// step.
	for block := lo; block < hi; block += rankedBlock {
		end := min(block+rankedBlock, hi)
		for i, list := range q.lists {
			w, j := q.weights[i], at[i]
			for ; j < to[i] && list[j].doc < end; j++ {
				e := list[j]
				nm := norms[e.doc]
				if nm.title < 0 || (allow != nil && !allow.has(e.doc)) {
					continue // dead, or filtered out
				}
				if score[e.doc] == 0 {
					touched = append(touched, e.doc)
				}
				score[e.doc] += w * saturated(q.r, e, nm)
			}
			at[i] = j
		}
	}
	hits := make([]paper.Scored, 0, min(max(n, 0), len(touched)))
	matched := 0
	for _, doc := range touched {
		sc := score[doc]
		score[doc] = 0
		if q.exclude.has(doc) {
			continue
		}
		matched++
		switch {
		case n <= 0:
		case len(hits) < n:
			hits = append(hits, paper.Scored{ID: x.ids[doc], Score: sc})
			up(hits, len(hits)-1)
		case sc > hits[0].Score || (sc == hits[0].Score && x.ids[doc] < hits[0].ID):
			hits[0] = paper.Scored{ID: x.ids[doc], Score: sc}
			down(hits, 0)
		}
	}
	s.touched = touched
	x.pool.Put(s)
	return partResult{hits: hits, matched: matched}
}

// saturated is BM25F's saturated term frequency of a posting, tf·(k1+1)/(tf+k1)
// (Ranking.saturate of Ranking.fieldTF), for a paper whose inverse length
// normalisations are nm.
func saturated(r Ranking, e posting, nm docNorm) float64 {
	return r.saturate(r.TitleWeight*float64(e.title)*nm.title + float64(e.abstract)*nm.abstract)
}

// normsLocked is the norm table of the current generation, worked out on
// every core when a write made the last one stale. The caller holds x.mu.
func (x *postings) normsLocked(r Ranking, titleNorm, abstractNorm lengthNorm) []docNorm {
	if t := x.norms.Load(); t != nil && t.gen == x.gen && t.r == r {
		return t.inv
	}
	x.normMu.Lock()
	defer x.normMu.Unlock()
	if t := x.norms.Load(); t != nil && t.gen == x.gen && t.r == r {
		return t.inv
	}
	inv := make([]docNorm, len(x.lens))
	workers := min(runtime.GOMAXPROCS(0), len(inv)/(1<<16)+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for d := w * len(inv) / workers; d < (w+1)*len(inv)/workers; d++ {
				l := x.lens[d]
				if l.title < 0 {
					inv[d] = docNorm{-1, -1}
					continue
				}
				inv[d] = docNorm{1 / titleNorm.of(l.title), 1 / abstractNorm.of(l.abstract)}
			}
		})
	}
	wg.Wait()
	x.norms.Store(&normTable{gen: x.gen, r: r, inv: inv, most: make([]atomic.Uint64, len(x.lists))})
	return inv
}

// mostLocked is the most a posting of term t adds to a score before its
// weight, as of the norm table's generation: read from the table, or
// worked out from the list once. The caller holds x.mu.
func (x *postings) mostLocked(r Ranking, t int32) float64 {
	nt := x.norms.Load()
	if nt == nil || nt.gen != x.gen || nt.r != r || int(t) >= len(nt.most) {
		return r.K1 + 1
	}
	if b := nt.most[t].Load(); b != 0 {
		return math.Float64frombits(b)
	}
	if len(x.lists[t]) > mostScanned {
		// Reading a long list for its bound would cost what pruning it
		// saves; a common word weighs little, so k1+1 serves.
		return r.K1 + 1
	}
	var most float64
	for _, e := range x.lists[t] {
		if nm := nt.inv[e.doc]; nm.title >= 0 {
			most = max(most, saturated(r, e, nm))
		}
	}
	nt.most[t].Store(math.Float64bits(most))
	return most
}

// mostScanned is the longest list mostLocked reads for a word's bound: at
// a million papers, reading every list a query names for its bound took as
// long as scoring them.
const mostScanned = 1 << 16

// rankPruned is rankPart over every paper, without the count of the papers
// that match, and without reading the whole lists of the words that cannot
// change the top n (MaxScore, Turtle and Flood 1995). A word adds at most
// its weight times the most one of its postings adds (see mostLocked; less
// than k1+1). Words are taken from the heaviest: once the words left could add less together than the n-th
// best score so far, a paper no word taken has matched cannot reach the
// top n, nor can a matched paper whose score plus that sum falls short of
// it; the words left are then looked up for the papers that still can,
// by galloping through their lists. The top n and their scores are those
// of rankPart. The caller holds x.mu.
func (x *postings) rankPruned(q *prepared, n int) []paper.Scored {
	order, bound := make([]int, len(q.lists)), make([]float64, len(q.lists))
	size := 0
	for i := range order {
		order[i], bound[i] = i, q.weights[i]*x.mostLocked(q.r, q.terms[i])
		size += len(q.lists[i])
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(bound[b], bound[a]) })
	rest := make([]float64, len(order)+1) // rest[i]: what the words order[i:] can add
	for i := len(order) - 1; i >= 0; i-- {
		rest[i] = rest[i+1] + bound[order[i]]
	}
	s, _ := x.pool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if len(s.score) < len(x.ids) {
		s.score = make([]float64, len(x.ids))
	}
	score, norms, allow := s.score, q.norms, q.allow
	// Long lists are read by parts of the documents, each on its own core;
	// the parts share score, each writing its own papers'.
	type part struct {
		lo, hi         int32
		touched, cands []int32
		best           float64
		hits           []paper.Scored
	}
	parts := make([]part, 1)
	if size >= partedSize {
		parts = make([]part, min(runtime.GOMAXPROCS(0), 4))
	}
	for i := range parts {
		parts[i].lo, parts[i].hi = int32(i*len(x.ids)/len(parts)), int32((i+1)*len(x.ids)/len(parts))
	}
	parts[0].touched = s.touched[:0]
	each := func(do func(p *part)) {
		if len(parts) == 1 {
			do(&parts[0])
			return
		}
		var wg sync.WaitGroup
		for i := range parts {
			wg.Go(func() { do(&parts[i]) })
		}
		wg.Wait()
	}
	within := func(list []posting, p *part) []posting { // the part's postings: lists are sorted
		from := sort.Search(len(list), func(j int) bool { return list[j].doc >= p.lo })
		return list[from : from+sort.Search(len(list)-from, func(j int) bool { return list[from+j].doc >= p.hi })]
	}
	var theta float64 // the n-th best score so far
	taken := 0
	for ; taken < len(order); taken++ {
		best := 0.0
		for i := range parts {
			best = max(best, parts[i].best)
		}
		// Working theta out reads every paper matched so far: only when
		// the words left might be below it (it only grows).
		if taken > 0 && rest[taken] < best && (rest[taken] < 1.5*theta || theta == 0) {
			var touched [][]int32
			for i := range parts {
				touched = append(touched, parts[i].touched)
			}
			if theta, s.buf = nthBest(score, touched, n, s.buf); rest[taken] < theta {
				break
			}
		}
		list, w := q.lists[order[taken]], q.weights[order[taken]]
		each(func(p *part) {
			for _, e := range within(list, p) {
				nm := norms[e.doc]
				if nm.title < 0 || (allow != nil && !allow.has(e.doc)) || q.exclude.has(e.doc) {
					continue
				}
				if score[e.doc] == 0 {
					p.touched = append(p.touched, e.doc)
				}
				score[e.doc] += w * saturated(q.r, e, nm)
				p.best = max(p.best, score[e.doc])
			}
		})
	}
	each(func(p *part) {
		p.cands = p.touched
		if taken < len(order) {
			p.cands = x.scoreCandidates(q, order[taken:], score, p.touched, rest[taken], theta, func(list []posting) []posting { return within(list, p) })
		}
		p.hits = make([]paper.Scored, 0, min(n, len(p.cands)))
		for _, doc := range p.cands {
			sc := score[doc]
			switch {
			case len(p.hits) < n:
				p.hits = append(p.hits, paper.Scored{ID: x.ids[doc], Score: sc})
				up(p.hits, len(p.hits)-1)
			case sc > p.hits[0].Score || (sc == p.hits[0].Score && x.ids[doc] < p.hits[0].ID):
				p.hits[0] = paper.Scored{ID: x.ids[doc], Score: sc}
				down(p.hits, 0)
			}
		}
		for _, d := range p.touched {
			score[d] = 0
		}
	})
	hits := parts[0].hits
	for i := range parts[1:] {
		hits = append(hits, parts[i+1].hits...)
	}
	s.touched = parts[0].touched
	x.pool.Put(s)
	slices.SortFunc(hits, byBetter)
	return hits[:min(n, len(hits))]
}

// scoreCandidates adds the words order (numbers into q.lists) to the
// scores of those of the papers touched that can still reach the top n:
// those whose score plus rest, the most the words can add, is at least
// theta. It sets the others' scores to 0, which marks them out, and
// returns the candidates. within cuts a list to the papers of touched.
func (x *postings) scoreCandidates(q *prepared, order []int, score []float64, touched []int32, rest, theta float64, within func([]posting) []posting) []int32 {
	cands := make([]int32, 0, 1024)
	for _, d := range touched {
		if score[d]+rest >= theta {
			cands = append(cands, d)
		} else {
			score[d] = 0
		}
	}
	sorted := false
	for _, i := range order {
		list, w := within(q.lists[i]), q.weights[i]
		if len(list) <= 8*len(cands) { // reading the list costs less than looking each paper up
			for _, e := range list {
				if score[e.doc] > 0 {
					score[e.doc] += w * saturated(q.r, e, q.norms[e.doc])
				}
			}
			continue
		}
		if !sorted {
			slices.Sort(cands)
			sorted = true
		}
		at := 0
		for _, d := range cands {
			if at = gallop(list, at, d); at == len(list) {
				break
			}
			if list[at].doc == d {
				score[d] += w * saturated(q.r, list[at], q.norms[d])
			}
		}
	}
	return cands
}

// nthBest is the n-th best of the scores of the papers touched, or 0 when
// fewer than n are, found by quickselect in buf (returned for reuse).
func nthBest(score []float64, touched [][]int32, n int, buf []float64) (float64, []float64) {
	buf = buf[:0]
	for _, t := range touched {
		for _, d := range t {
			buf = append(buf, score[d])
		}
	}
	if len(buf) < n || n <= 0 {
		return 0, buf
	}
	// The n-th largest is at n-1 once buf is partitioned around it,
	// largest first.
	k, lo, hi := n-1, 0, len(buf)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if buf[mid] > buf[lo] {
			buf[mid], buf[lo] = buf[lo], buf[mid]
		}
		if buf[hi] > buf[lo] {
			buf[hi], buf[lo] = buf[lo], buf[hi]
		}
		if buf[mid] > buf[hi] {
			buf[mid], buf[hi] = buf[hi], buf[mid]
		}
		pivot := buf[hi] // the median of three, largest-first order
		i := lo
		for j := lo; j < hi; j++ {
			if buf[j] > pivot {
				buf[i], buf[j] = buf[j], buf[i]
				i++
			}
		}
		buf[i], buf[hi] = buf[hi], buf[i]
		switch {
		case i == k:
			return buf[i], buf
		case i < k:
			lo = i + 1
		default:
			hi = i - 1
		}
	}
	return buf[k], buf
}

// gallop is the first position from at on of list whose paper is d or
// after it, found by doubling steps and then halving them.
func gallop(list []posting, at int, d int32) int {
	if at >= len(list) {
		return len(list)
	}
	step := 1
	for at+step < len(list) && list[at+step].doc < d {
		step *= 2
	}
	lo, hi := at, min(at+step, len(list)-1)
	if lo < len(list) && list[lo].doc >= d {
		return lo
	}
	for lo < hi { // list[lo].doc < d
		mid := (lo + hi + 1) / 2
		if list[mid].doc < d {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	// list[lo].doc < d: the answer is the next one.
	return lo + 1
}

// lengthNorm is BM25's length normalisation of a field, 1−b+b·len/avg.
type lengthNorm struct{ base, perWord float64 }

func (l lengthNorm) of(length int32) float64 { return l.base + l.perWord*float64(length) }

// newLengthNorm is the normalisation, with BM25's b, of a field whose live
// papers hold words words in all over papers papers.
func newLengthNorm(b float64, words int64, papers int) lengthNorm {
	avg := float64(words) / float64(papers)
	if avg == 0 {
		return lengthNorm{base: 1}
	}
	return lengthNorm{base: 1 - b, perWord: b / avg}
}

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

// byBetter orders hits by better, for sorting.
func byBetter(a, b paper.Scored) int {
	if better(a, b) {
		return -1
	}
	if better(b, a) {
		return 1
	}
	return 0
}

// better orders hits by score, best first, then by id.
func better(a, b paper.Scored) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return cmp.Less(a.ID, b.ID)
}

// filedAll is filedOnly of every paper, with its fingerprint in fps.
func filedAll(papers []paper.Paper, fps []uint64) []analysed {
	out := make([]analysed, len(papers))
	for i := range papers {
		out[i] = filedOnly(&papers[i], fps[i])
	}
	return out
}

// fingerprintsOf is every paper's fingerprint, worked out on every core
// (they read all the text), and their sum: the checksum of postings
// holding papers, each once.
func fingerprintsOf(papers []paper.Paper) ([]uint64, uint64) {
	fps := make([]uint64, len(papers))
	workers := min(runtime.GOMAXPROCS(0), len(papers)/1024+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * len(papers) / workers; i < (w+1)*len(papers)/workers; i++ {
				fps[i] = fingerprint(&papers[i])
			}
		})
	}
	wg.Wait()
	var sum uint64
	for _, fp := range fps {
		sum += fp
	}
	return fps, sum
}

// counted is postings that hold nothing but the count and checksum of
// papers: a stand-in while the saved postings of those papers load.
func counted(n int, sum uint64) *postings {
	x := newPostings()
	x.nlive, x.sum = n, sum
	return x
}

// collect is the papers of recs in one slice, gathered in blocks and
// copied once: growing one slice by appending copied a million papers
// about twice over, and the garbage collector scanned every copy.
func collect(recs iter.Seq2[paper.Record, error]) ([]paper.Paper, error) {
	var blocks [][]paper.Paper
	block := make([]paper.Paper, 0, 4096)
	n := 0
	for r, err := range recs {
		if err != nil {
			return nil, err
		}
		if len(block) == cap(block) {
			blocks = append(blocks, block)
			block = make([]paper.Paper, 0, min(2*cap(block), 1<<16))
		}
		block = append(block, r.Paper)
		n++
	}
	if len(blocks) == 0 {
		return block, nil
	}
	all := make([]paper.Paper, 0, n)
	for _, b := range append(blocks, block) {
		all = append(all, b...)
	}
	return all, nil
}
