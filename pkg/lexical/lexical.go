// Package lexical is the word index beside the vector store: BM25F over
// titles and abstracts with an English analyser (lower case, stop words,
// Porter stemming), metadata filters, and highlighted abstract fragments. It
// wraps bleve's analysis and highlighting, so that nothing else imports
// bleve.
//
// Everything it answers comes from memory. Rankings come from postings
// (see postings), which Open loads from the copy saved at the last Close
// or, when that is missing or stale, builds from the store in the
// background; rankings wait for them (see Ready). Filters read the date,
// categories and authors of every paper, which the postings hold too;
// until they are loaded or built, filters are answered from what Open
// takes from the store at once. Highlights analyse the abstracts of the
// page's papers when asked.
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
	filed chan struct{} // closed once mem holds the filter fields
	// toFile is the papers Open took and their fingerprints, until ready,
	// in case a filter is asked for before the saved postings are loaded.
	// Guarded by writeMu.
	toFile    []paper.Paper
	toFileFPs []uint64
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
	// ranking is the constants rankings use; nil: DefaultRanking.
	ranking atomic.Pointer[Ranking]

	// passed is the last filter's papers, until the next write; passMu
	// guards only the pointer. passFlight works a filter out once for the
	// requests that ask for it at once (see passing).
	passMu     sync.Mutex
	passed     *filterSet
	passFlight singleflight.Group
}

// Open opens the word index of the data folder data, holding the papers of
// recs (every stored paper, each once; a store's All), and starts building
// the in-memory postings from them in the background, or loads them as
// saved at the last Close; rankings wait until they are ready, filters do
// not.
func Open(ctx context.Context, data string, recs iter.Seq2[paper.Record, error]) (*Index, error) {
	all, err := collect(recs)
	if err != nil {
		return nil, fmt.Errorf("lexical: cannot read the papers: %w", err)
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
	x := &Index{dir: dir, an: an, papers: words.Cached(an), closed: make(chan struct{})}
	// The fingerprints are cheap; analysing the words is what takes
	// seconds, and it is left to the background build.
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

// startBuild loads the postings of papers saved at the last Close, or
// builds them, in the background, then replays into them the writes made
// meanwhile and puts them in place. Unless the saved postings are the
// papers', filters are answered from the papers' filter fields until then.
func (x *Index) startBuild(papers []paper.Paper) {
	ctx, cancel := context.WithCancel(context.Background())
	x.writeMu.Lock()
	x.ready, x.filed = make(chan struct{}), make(chan struct{})
	x.backlog = []write{}
	x.stopBuild = cancel
	x.writeMu.Unlock()
	hook := buildHook
	fps, sum := fingerprintsOf(papers)
	n := len(papers)
	x.toFile, x.toFileFPs = papers, fps
	if savedFor(filepath.Join(x.dir, cacheFile), n, sum) {
		// Loading them takes a fraction of the time of making the
		// fingerprints-only postings that answer filters meanwhile: those
		// are made only if a filter is asked for first (see filedFor).
		x.mem.Store(counted(n, sum))
	} else {
		x.fileOnly()
	}
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
			x.fileOnly()
			docs, err := analyseAll(ctx, x.papers, papers)
			if err != nil {
				return // closed meanwhile
			}
			full = newPostings()
			full.add(docs)
		}
		x.writeMu.Lock()
		full.replay(x.backlog)
		x.backlog = nil
		x.mem.Store(full)
		select {
		case <-x.filed:
		default:
			close(x.filed)
		}
		x.toFile, x.toFileFPs = nil, nil
		close(x.ready)
		x.writeMu.Unlock()
	}()
}

// fileOnly puts in place postings that hold the fingerprints and filter
// fields of the papers Open took and the writes made since, without words,
// unless filters can be answered already.
func (x *Index) fileOnly() {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	select {
	case <-x.filed:
		return
	default:
	}
	mem := newPostings()
	mem.add(filedAll(x.toFile, x.toFileFPs))
	mem.replay(x.backlog)
	x.mem.Store(mem)
	close(x.filed)
}

// filedFor is the postings to filter with, made from what Open took when
// the saved postings are still loading.
func (x *Index) filedFor(ctx context.Context) (*postings, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case <-x.filed:
	default:
		x.fileOnly()
	}
	return x.mem.Load(), nil
}

// replay applies to x the writes made while it was built.
func (x *postings) replay(backlog []write) {
	for _, w := range backlog {
		if w.deleted != nil {
			x.remove(w.deleted)
		} else {
			x.add(w.docs)
		}
	}
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
	workers := min(runtime.GOMAXPROCS(0), (len(papers)+7)/8)
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
	mem, err := x.filedFor(context.Background())
	if err != nil {
		return 0
	}
	n, _ := mem.checksum()
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
	// Analysing is most of a write's time, and an ingest writes one batch
	// at a time: on every core, the writes no longer hold up the
	// embedding of the next batch (docs/performance.md).
	docs, err := analyseAll(ctx, x.papers, papers)
	if err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
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
	return topKeyTerms(terms)
}

// topKeyTerms is the words.MaxQueryTerms best of terms, by score and then
// word.
func topKeyTerms(terms []keyTerm) []keyTerm {
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

// RankLike is SearchLike without the count of the papers that match, which
// lets a short query skip the papers that cannot reach the top n: several
// times faster over a million papers (docs/performance.md).
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
	if terms, ok := mem.keyTermsOfPaper(id); ok && id != "" && terms != nil {
		clauses = clausesOf(terms)
	} else {
		clauses = x.clauses(mem, text)
	}
	sc := scope{exclude: f.Exclude, uncounted: !count}
	if f.HasConditions() {
		if sc.pass, err = x.passing(ctx, f); err != nil {
			return nil, 0, err
		}
	}
	hits, total := mem.searchWith(x.Ranking(), clauses, n, sc)
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
	return set.passes, nil
}

// PassingIDs is the papers that pass the field tests of f (its excluded
// ids play no part), in no particular order, when there are at most most
// of them (few is true); when there are more it returns few false and no
// ids. A filter few papers pass is cheaper to rank by scoring just those
// papers (see store.NearestAmong) than by testing every paper a scan
// meets. Like Passing, it works the set out once per filter until the next
// write and stops when ctx is done. The slice is the same for every
// request until the next write (the store keeps what it worked out from
// it meanwhile): it must not be changed.
func (x *Index) PassingIDs(ctx context.Context, f paper.Filter, most int) (ids []string, few bool, err error) {
	set, err := x.passing(ctx, f)
	if err != nil || set.count > most {
		return nil, false, err
	}
	return set.ids(), true, nil
}

// CountMatching is how many papers pass f.
func (x *Index) CountMatching(ctx context.Context, f paper.Filter) (int, error) {
	if !f.HasConditions() {
		mem, err := x.filedFor(ctx)
		if err != nil {
			return 0, err
		}
		return mem.countExcept(nil, f.Exclude), nil
	}
	set, err := x.passing(ctx, f)
	if err != nil {
		return 0, err
	}
	return set.in.countExcept(set, f.Exclude), nil
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
	hits, _ := mem.searchWith(x.Ranking(), x.clauses(mem, text), len(ids), scope{only: ids})
	out := make(map[string]float64, len(hits))
	for _, h := range hits {
		out[h.ID] = h.Score
	}
	return out, nil
}
