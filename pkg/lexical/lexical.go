// Package lexical is the word index beside the vector store: BM25F over
// titles and abstracts with an English analyser (lower case, stop words,
// Porter stemming), metadata filters, and highlighted abstract fragments. It
// wraps bleve's analysis and highlighting, so that nothing else imports
// bleve.
//
// Everything it answers comes from memory. Rankings come from postings
// (see postings), which Open loads from the copy saved at the last Close
// or, when that is missing or stale, builds from the store in the
// background; rankings wait for them (see Ready). Filters read the year,
// categories and authors of every paper, which Open takes from the store
// at once. Highlights analyse the abstracts of the page's papers when asked.
//
// The lexical/ folder of a data folder holds only the saved postings. It
// is a cache tied to the store's papers by their count and a checksum, so
// deleting it is always safe and a crash cannot leave it silently stale.
// There is no index on disk to keep in step with the store: an ingest
// spends its time embedding, not indexing (docs/performance.md).
package lexical

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/analysis"
	"golang.org/x/sync/singleflight"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/words"
)

// Dir is the name of the index folder inside a data folder.
const Dir = "lexical"

// Index is a BM25F index of papers with their filter fields. It is safe for
// concurrent use.
type Index struct {
	dir       string
	closeOnce sync.Once
	// an analyses queries; papers analyses the papers indexed, the same
	// way, remembering each word (see wordCache), which a query's words
	// should not fill.
	an, papers analysis.Analyzer
	// mem holds the postings. While the background build of Open runs
	// (ready is open), it holds every paper's fingerprint but no words:
	// Count and the checksum are right, and rankings wait.
	mem   atomic.Pointer[postings]
	ready chan struct{} // closed once mem holds the words
	// backlog is the writes made while the postings are built, replayed
	// into them once built; nil when there is no build. Guarded by writeMu.
	backlog []write
	// stopBuild cancels the background build; building waits for it.
	stopBuild context.CancelFunc
	building  sync.WaitGroup
	closed    chan struct{} // closed by Close
	// writeMu orders writes.
	writeMu sync.Mutex
	// saved is what the postings file holds, when it was loaded at open:
	// Close rewrites it only for other papers. Set by the build, read by
	// Close after it.
	saved checksum

	// filed holds, by id, what filters read of each paper: its date,
	// categories and authors (the rest of the paper is left empty). gen
	// counts the writes to it; it changes under filedMu.
	filedMu sync.RWMutex
	filed   map[string]*paper.Paper
	gen     atomic.Uint64
	// passed is the last filter's papers, until the next write; passMu
	// guards only the pointer. passFlight works a filter out once for the
	// requests that ask for it at once (see passing).
	passMu     sync.Mutex
	passed     *passSet
	passFlight singleflight.Group
	// ranking is the constants rankings use; nil: DefaultRanking.
	ranking atomic.Pointer[Ranking]
}

// passSet is the papers that pass a filter, as filed was at generation gen.
type passSet struct {
	key  string
	gen  uint64
	ids  map[string]struct{}
	list []string // the same ids, one slice for every request (see PassingIDs)

	// docs is the same papers by their number in the postings docsIn,
	// worked out when a word ranking first asks; docsMu guards both.
	docsMu sync.Mutex
	docsIn *postings
	docs   docBits
}

// docsOf is the papers of s by their number in mem: a word ranking tests
// each paper a query's words meet, and a bit costs less to test than an
// id to look up.
func (s *passSet) docsOf(mem *postings) docBits {
	s.docsMu.Lock()
	defer s.docsMu.Unlock()
	if s.docsIn != mem {
		s.docs, s.docsIn = mem.docsOf(s.list), mem
	}
	return s.docs
}

// fileOf is what filters read of p.
func fileOf(p *paper.Paper) *paper.Paper {
	return &paper.Paper{ID: p.ID, Published: p.Published, Categories: p.Categories, Authors: p.Authors}
}

// Open opens the word index of the data folder data, holding the papers of
// recs (every stored paper, each once; a store's All), and starts building
// the in-memory postings from them in the background, or loads them as
// saved at the last Close; rankings wait until they are ready, filters do
// not.
func Open(ctx context.Context, data string, recs iter.Seq2[paper.Record, error]) (*Index, error) {
	var all []paper.Paper
	for r, err := range recs {
		if err != nil {
			return nil, fmt.Errorf("lexical: cannot read the papers: %w", err)
		}
		all = append(all, r.Paper)
	}
	dir := filepath.Join(data, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lexical: cannot make the index folder %s: %w", dir, err)
	}
	removeBleveIndex(dir)
	an, err := words.Analyzer()
	if err != nil {
		return nil, err
	}
	x := &Index{dir: dir, an: an, papers: words.Cached(an), closed: make(chan struct{}), filed: make(map[string]*paper.Paper, len(all))}
	// The fingerprints and filter fields are cheap; analysing the words is
	// what takes seconds, and it is left to the background build.
	fps := make([]analysed, len(all))
	for i := range all {
		p := &all[i]
		fps[i] = analysed{id: p.ID, fp: fingerprint(p)}
		x.filed[p.ID] = fileOf(p)
	}
	mem := newPostings()
	mem.add(fps)
	x.mem.Store(mem)
	x.startBuild(all)
	return x, nil
}

// removeBleveIndex deletes the bleve index that versions before 0.4 kept
// in the index folder: nothing reads it any more.
func removeBleveIndex(dir string) {
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
		return
	}
	_ = os.RemoveAll(filepath.Join(dir, "store"))
	_ = os.Remove(filepath.Join(dir, "index_meta.json"))
}

// startBuild builds the postings of papers in the background, then replays
// into them the writes made meanwhile and puts them in place of the
// fingerprints-only postings.
func (x *Index) startBuild(papers []paper.Paper) {
	ctx, cancel := context.WithCancel(context.Background())
	x.writeMu.Lock()
	x.ready = make(chan struct{})
	x.backlog = []write{}
	x.stopBuild = cancel
	x.writeMu.Unlock()
	hook := buildHook
	n, sum := x.mem.Load().checksum() // the fingerprints of papers (see Open)
	x.building.Add(1)
	go func() {
		defer x.building.Done()
		defer cancel()
		if hook != nil {
			hook(ctx)
		}
		// The postings saved at the last Close, if they are these papers':
		// loading them takes a fraction of analysing every paper again.
		full, err := loadPostings(filepath.Join(x.dir, cacheFile), n, sum)
		if err == nil {
			x.saved = checksum{n: n, sum: sum}
		} else {
			docs, err := analyseAll(ctx, x.papers, papers)
			if err != nil {
				return // closed meanwhile
			}
			full = newPostings()
			full.add(docs)
		}
		x.writeMu.Lock()
		for _, w := range x.backlog {
			if w.deleted != nil {
				full.remove(w.deleted)
			} else {
				full.add(w.docs)
			}
		}
		x.backlog = nil
		x.mem.Store(full)
		close(x.ready)
		x.writeMu.Unlock()
	}()
}

// buildHook, when set (by tests), runs at the start of every background
// build, which waits for it.
var buildHook func(ctx context.Context)

// write is one Upsert or Delete made during the background build.
type write struct {
	docs    []analysed
	deleted []string
}

// Ready is closed once the in-memory postings are built or loaded; rankings
// wait for it. It is never closed when the index is closed before.
func (x *Index) Ready() <-chan struct{} { return x.ready }

// rankerFor is the postings to rank with, waiting for them while they are
// built.
func (x *Index) rankerFor(ctx context.Context) (*postings, error) {
	select {
	case <-x.ready:
		return x.mem.Load(), nil
	default:
	}
	select {
	case <-x.ready:
		return x.mem.Load(), nil
	case <-x.closed:
		return nil, errors.New("lexical: the index is closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// analyseAll analyses papers on every core.
func analyseAll(ctx context.Context, an analysis.Analyzer, papers []paper.Paper) ([]analysed, error) {
	docs := make([]analysed, len(papers))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(papers); i += workers {
				if i%256 < workers && ctx.Err() != nil {
					return
				}
				docs[i] = analyse(an, &papers[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return docs, nil
}

// Close stops a build still running and saves the postings for the next
// Open, when they hold other papers than the file (a failure to save only
// costs that Open the time to analyse again); later calls do nothing. The
// index cannot be used afterwards.
func (x *Index) Close() error {
	x.closeOnce.Do(func() {
		close(x.closed)
		x.stopBuild()
		x.building.Wait()
		select {
		case <-x.ready:
			mem := x.mem.Load()
			if n, sum := mem.checksum(); (checksum{n: n, sum: sum}) != x.saved { // else the file holds them already
				_ = mem.save(filepath.Join(x.dir, cacheFile))
			}
		default:
		}
	})
	return nil
}

// Count is the number of papers indexed.
func (x *Index) Count() int {
	n, _ := x.mem.Load().checksum()
	return n
}

// Upsert indexes papers, replacing those with the same id; they are ranked
// and filtered at once.
func (x *Index) Upsert(ctx context.Context, papers []paper.Paper) error {
	if len(papers) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	docs := make([]analysed, len(papers))
	for i := range papers {
		docs[i] = analyse(x.papers, &papers[i])
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	// The filter fields first: a paper the postings rank is one filters
	// know.
	x.filedMu.Lock()
	for i := range papers {
		x.filed[papers[i].ID] = fileOf(&papers[i])
	}
	x.gen.Add(1)
	x.filedMu.Unlock()
	x.mem.Load().add(docs)
	if x.backlog != nil {
		x.backlog = append(x.backlog, write{docs: docs})
	}
	return nil
}

// Delete removes papers by id; unknown ids are ignored.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mem.Load().remove(ids)
	if x.backlog != nil {
		x.backlog = append(x.backlog, write{deleted: slices.Clone(ids)})
	}
	x.filedMu.Lock()
	for _, id := range ids {
		delete(x.filed, id)
	}
	x.gen.Add(1)
	x.filedMu.Unlock()
	return nil
}

type keyTerm struct {
	term  string
	freq  int
	score float64
	topic float64 // the word's topicality (see topicality.go)
}

// countWords counts the analysed words of text.
func (x *Index) countWords(text string) map[string]int {
	freq := map[string]int{}
	for _, tok := range x.an.Analyze([]byte(text)) {
		freq[string(tok.Term)]++
	}
	return freq
}

// keyTermsOf returns the words.MaxQueryTerms most distinctive of a text's
// counted words, with the document frequencies of mem, or nil when the text
// has no more than that. A word's distinctiveness is its count × idf ×
// topicality (genre words such as "challenges" or "recent" count less; see
// topicality.go).
func keyTermsOf(mem *postings, freq map[string]int) []keyTerm {
	if len(freq) <= words.MaxQueryTerms {
		return nil
	}
	terms := make([]keyTerm, 0, len(freq))
	for t, n := range freq {
		df, total := mem.docFreq(t)
		if df == 0 {
			continue // in no paper: cannot match
		}
		idf := math.Log(1 + (float64(total)-float64(df)+0.5)/(float64(df)+0.5))
		topic := mem.topicality(t)
		terms = append(terms, keyTerm{term: t, freq: n, score: float64(n) * idf * topic, topic: topic})
	}
	sort.Slice(terms, func(i, j int) bool {
		if terms[i].score != terms[j].score {
			return terms[i].score > terms[j].score
		}
		return terms[i].term < terms[j].term
	})
	if len(terms) > words.MaxQueryTerms {
		terms = terms[:words.MaxQueryTerms]
	}
	if len(terms) == 0 {
		terms = []keyTerm{} // not nil: nothing can match
	}
	return terms
}

// Search returns up to n papers ranked by BM25F against text, best first,
// that pass f, and how many papers match in all.
func (x *Index) Search(ctx context.Context, text string, n int, f paper.Filter) ([]paper.Scored, int, error) {
	return x.SearchLike(ctx, "", text, n, f)
}

// SearchLike is Search for the text of the indexed paper id ("papers like
// this one"): when the index holds id, it takes the paper's words from the
// index instead of analysing text again. text must be the paper's Text().
func (x *Index) SearchLike(ctx context.Context, id, text string, n int, f paper.Filter) ([]paper.Scored, int, error) {
	return x.searchLike(ctx, id, text, n, f, true)
}

// RankLike is SearchLike without the count: it leaves out of its tests
// the papers that cannot reach the top n, which a ranking that need not
// say how many papers match can skip.
func (x *Index) RankLike(ctx context.Context, id, text string, n int, f paper.Filter) ([]paper.Scored, error) {
	hits, _, err := x.searchLike(ctx, id, text, n, f, false)
	return hits, err
}

func (x *Index) searchLike(ctx context.Context, id, text string, n int, f paper.Filter, count bool) ([]paper.Scored, int, error) {
	mem, err := x.rankerFor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var clauses []clause
	if freq, ok := mem.wordsOf(id); ok && id != "" && len(freq) > words.MaxQueryTerms {
		clauses = clausesOf(keyTermsOf(mem, freq))
	} else {
		clauses = x.clauses(mem, text)
	}
	var allow func(int32, string) bool
	if f.HasConditions() {
		set, err := x.passing(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		docs := set.docsOf(mem)
		allow = func(doc int32, _ string) bool { return docs.has(doc) }
	}
	hits, total := mem.searchWith(x.Ranking(), clauses, n, allow, f.Exclude, count)
	return hits, total, nil
}

// clauses is the query of a text: the words.MaxQueryTerms most distinctive words
// of a long text, each boosted by its count, or every word of a short one,
// a repeated word counting as often as it is repeated.
func (x *Index) clauses(mem *postings, text string) []clause {
	if terms := keyTermsOf(mem, x.countWords(text)); terms != nil {
		return clausesOf(terms)
	}
	var cs []clause
	at := map[string]int{}
	for _, tok := range x.an.Analyze([]byte(text)) {
		w := string(tok.Term)
		if i, ok := at[w]; ok {
			cs[i].count++
			continue
		}
		at[w] = len(cs)
		cs = append(cs, clause{term: w, boost: 1, count: 1})
	}
	return cs
}

// clausesOf is the query of a long text's key words, each boosted by its
// count and its topicality.
func clausesOf(terms []keyTerm) []clause {
	cs := make([]clause, len(terms))
	for i, t := range terms {
		cs[i] = clause{term: t.term, boost: float64(t.freq) * t.topic, count: 1}
	}
	return cs
}

// Passing reports whether the paper id passes the field tests of f (its
// excluded ids play no part). The papers that pass are worked out once per
// filter until the next write, since a query tests the same filter on its
// vector ranking, its word ranking and its count. It stops, with ctx's
// error, when ctx is done.
func (x *Index) Passing(ctx context.Context, f paper.Filter) (func(id string) bool, error) {
	set, err := x.passing(ctx, f)
	if err != nil {
		return nil, err
	}
	return func(id string) bool {
		_, ok := set.ids[id]
		return ok
	}, nil
}

// PassingIDs is the papers that pass the field tests of f (its excluded
// ids play no part), in no particular order, when there are at most most
// of them (few is true); when there are more it returns few false and no
// ids. A filter few papers pass is cheaper to rank by scoring just those
// papers than by testing every paper a scan meets. Like Passing, it works
// the set out once per filter until the next write and stops when ctx is
// done. The slice is the same for every request until the next write
// (the store keeps what it worked out from it meanwhile): it must not be
// changed.
func (x *Index) PassingIDs(ctx context.Context, f paper.Filter, most int) (ids []string, few bool, err error) {
	set, err := x.passing(ctx, f)
	if err != nil || len(set.ids) > most {
		return nil, false, err
	}
	return set.list, true, nil
}

// passChunk is how many papers passing tests between two looks at its
// context, holding the read lock on the filter fields: about 0.1 ms.
const passChunk = 4096

// passing is the set of papers that pass the field tests of f. The
// requests that ask for one filter at once share one pass over the papers
// (the parts of a query ask at once); requests for other filters do not
// wait for it, and a write waits at most for one chunk of it. When the
// request doing the pass leaves, the pass stops and a request still
// waiting for it does its own.
func (x *Index) passing(ctx context.Context, f paper.Filter) (*passSet, error) {
	f = f.Fields()
	key := f.Key()
	for {
		x.passMu.Lock()
		c := x.passed
		x.passMu.Unlock()
		if c != nil && c.key == key && c.gen == x.gen.Load() {
			return c, nil
		}
		// The pass runs under the context of the request that starts it.
		done := x.passFlight.DoChan(key, func() (any, error) { return x.pass(ctx, f, key) })
		select {
		case r := <-done:
			switch {
			case r.Err == nil:
				return r.Val.(*passSet), nil
			case ctx.Err() != nil:
				return nil, ctx.Err()
			}
			// The request that ran the pass left: run one for this one.
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// pass tests every paper against f, passChunk papers at a time under the
// read lock, and keeps the set for the next request with this key unless
// a write came in meanwhile.
func (x *Index) pass(ctx context.Context, f paper.Filter, key string) (*passSet, error) {
	match := f.Matcher()
	ids := map[string]struct{}{}
	x.filedMu.RLock()
	gen := x.gen.Load()
	n := 0
	// A write between two chunks changes the map during the range, which
	// Go allows: a paper added meanwhile may or may not be seen, as a
	// write in flight may or may not be.
	for id, p := range x.filed {
		if match(p) {
			ids[id] = struct{}{}
		}
		if n++; n%passChunk == 0 {
			x.filedMu.RUnlock()
			if passHook != nil {
				passHook(ctx, key)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			x.filedMu.RLock()
		}
	}
	x.filedMu.RUnlock()
	set := &passSet{key: key, gen: gen, ids: ids, list: make([]string, 0, len(ids))}
	for id := range ids {
		set.list = append(set.list, id)
	}
	if x.gen.Load() == gen {
		x.passMu.Lock()
		x.passed = set
		x.passMu.Unlock()
	}
	return set, nil
}

// passHook, when set (by tests), runs between two chunks of a pass, with
// the pass's context and its filter's key.
var passHook func(ctx context.Context, key string)

// CountMatching is how many papers pass f.
func (x *Index) CountMatching(ctx context.Context, f paper.Filter) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var ids map[string]struct{}
	if f.HasConditions() {
		set, err := x.passing(ctx, f)
		if err != nil {
			return 0, err
		}
		ids = set.ids
	}
	exclude := f.Exclude
	x.filedMu.RLock()
	defer x.filedMu.RUnlock()
	pass := func(id string) bool { return x.filed[id] != nil }
	n := len(x.filed)
	if ids != nil {
		pass = func(id string) bool { _, ok := ids[id]; return ok }
		n = len(ids)
	}
	for i, id := range exclude {
		if pass(id) && !slices.Contains(exclude[:i], id) {
			n--
		}
	}
	return n, nil
}

// Highlights returns, for each of papers whose abstract contains a word of
// text (of its words.MaxQueryTerms most distinctive words, for a long text), up
// to max short fragments of its abstract with the matched words marked
// <mark>…</mark> and the rest HTML-escaped.
func (x *Index) Highlights(ctx context.Context, text string, papers []paper.Paper, max int) (map[string][]string, error) {
	if len(papers) == 0 || max <= 0 {
		return map[string][]string{}, nil
	}
	freq := x.countWords(text)
	if len(freq) <= words.MaxQueryTerms { // short: the highlighter analyses it
		return words.Highlight(ctx, text, papers, max)
	}
	mem, err := x.rankerFor(ctx) // for the key words' document frequencies
	if err != nil {
		return nil, err
	}
	keys := keyTermsOf(mem, freq)
	terms := make([]string, len(keys))
	for i, t := range keys {
		terms[i] = t.term
	}
	return words.HighlightTerms(ctx, terms, papers, max)
}

// Scores returns the BM25F score against text of each of the papers ids
// that contains a word of it.
func (x *Index) Scores(ctx context.Context, text string, ids []string) (map[string]float64, error) {
	mem, err := x.rankerFor(ctx)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	hits, _ := mem.searchWith(x.Ranking(), x.clauses(mem, text), len(ids), func(_ int32, id string) bool { return want[id] }, nil, true)
	out := make(map[string]float64, len(hits))
	for _, h := range hits {
		out[h.ID] = h.Score
	}
	return out, nil
}
