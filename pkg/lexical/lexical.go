// Package lexical is the word index beside the vector store: BM25 over
// titles and abstracts with an English analyser (lower case, stop words,
// Porter stemming), metadata filters, and highlighted abstract fragments. It
// wraps bleve, so that nothing else imports it.
//
// Ranking (BM25F over title and abstract) is answered from postings held in
// memory, which Open loads from the copy saved at the last Close or, when
// that is missing or stale, builds from the store in the background;
// rankings wait for them (see Ready). bleve keeps, on disk, what filters and
// highlights need.
//
// The bleve index lives in the lexical/ folder of a data folder. It holds no
// data of its own: it is written in the background, without waiting for its
// own fsync (every read of it waits for the writes before), records
// with every write the count and a checksum of the papers it holds, and Open
// rebuilds it from the store when it is missing or those differ from the
// store's, so deleting the folder is always safe and a crash cannot leave it
// silently stale.
package lexical

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	bdoc "github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// Dir is the name of the index folder inside a data folder.
const Dir = "lexical"

// Field names in the index.
const (
	fieldText     = "text"     // title and abstract: what BM25 ranks
	fieldTitle    = "title"    // the title alone, for a title boost
	fieldAbstract = "abstract" // stored with term positions, for highlights
	fieldYear     = "year"
	fieldCategory = "category" // lower case, exact
	fieldAuthor   = "author"   // lower case, matched as a substring
)

// Index is a BM25 index of papers. It is safe for concurrent use.
type Index struct {
	idx       bleve.Index
	dir       string
	closeOnce sync.Once
	closeErr  error
	an        analysis.Analyzer
	// compactMu lets one Compact run at a time: bleve refuses a second
	// force merge while one is in progress (the background build compacts
	// too, and may still be at it when an ingest ends).
	compactMu sync.Mutex
	// mem holds the postings. While the background build of Open runs
	// (ready is open), it holds every paper's fingerprint but no words:
	// Count and the checksums are right, rankings come from bleve.
	mem   atomic.Pointer[postings]
	ready chan struct{} // closed once mem holds the words
	// backlog is the writes made while the postings are built, replayed
	// into them once built; nil when there is no build. Guarded by writeMu.
	backlog []write
	// stopBuild cancels the background build; building waits for it.
	stopBuild context.CancelFunc
	building  sync.WaitGroup
	closed    chan struct{} // closed by Close
	// writeMu orders writes, so that the checksum each bleve batch records
	// is that of the papers bleve holds once the batch is in.
	writeMu sync.Mutex
	// persisted is closed once the last bleve batch written is on disk
	// (bleve persists batches in order); nil before the first. Close and
	// Compact wait for it. Guarded by mu.
	persisted chan struct{}
	// pending are writes the postings hold and bleve does not yet, with
	// the checksum bleve will hold once they are in. They go to bleve in
	// the background, one batch at a time (see queueLocked), and every read
	// of bleve writes the rest first (see flush).
	pending    map[string]*queued // nil: a delete
	pendingSum []byte
	// saved is what the postings file holds, when it was loaded at open:
	// Close rewrites it only for other papers. Set by the build, read by
	// Close after it.
	saved checksum
	// inflight is the bleve batch being written in the background, or
	// nil. Guarded by writeMu; its fields are the writer's until done is
	// closed.
	inflight *bleveWrite

	// authorIDs caches the papers that pass the last author filter, until
	// the next write.
	mu         sync.Mutex
	generation uint64
	authorKey  string
	authorGen  uint64
	authorIDs  []string
	// TitleBoost weighs a match in the title on top of its match in the
	// title-and-abstract text; 0 turns the title field off.
	TitleBoost float64
}

// Hit is a paper id with its BM25 score, best first.
type Hit struct {
	ID    string
	Score float64
}

// Filter narrows a ranking to papers by year, category and author. The zero
// value lets every paper through.
type Filter struct {
	// YearFrom and YearTo bound the publication year, inclusive; 0 means
	// unbounded. A paper without a date fails a year bound.
	YearFrom, YearTo int
	// Categories keeps papers in any of these categories (case-insensitive).
	Categories []string
	// Author keeps papers with an author whose name contains it
	// (case-insensitive).
	Author string
}

// IsZero reports whether f lets every paper through.
func (f Filter) IsZero() bool {
	return f.YearFrom == 0 && f.YearTo == 0 && len(f.Categories) == 0 && strings.TrimSpace(f.Author) == ""
}

// Match reports whether p passes f. It is the same test the index applies,
// for rankings that do not go through the index; Matcher is faster for
// many papers.
func (f Filter) Match(p *paper.Paper) bool { return f.Matcher()(p) }

// Matcher returns Match with the filter's words prepared once: a test
// that allocates nothing for ASCII names, since a vector ranking applies it
// to every stored paper.
func (f Filter) Matcher() func(p *paper.Paper) bool {
	author := strings.ToLower(strings.TrimSpace(f.Author))
	cats := make([]string, len(f.Categories))
	for i, c := range f.Categories {
		cats[i] = strings.TrimSpace(c)
	}
	yearFrom, yearTo := f.YearFrom, f.YearTo
	return func(p *paper.Paper) bool {
		if yearFrom != 0 || yearTo != 0 {
			y := Year(p.Published)
			if y == 0 || (yearFrom != 0 && y < yearFrom) || (yearTo != 0 && y > yearTo) {
				return false
			}
		}
		if len(cats) > 0 && !slices.ContainsFunc(p.Categories, func(c string) bool {
			return slices.ContainsFunc(cats, func(want string) bool { return strings.EqualFold(c, want) })
		}) {
			return false
		}
		if author != "" {
			return slices.ContainsFunc(p.Authors, func(name string) bool { return containsFold(name, author) })
		}
		return true
	}
}

// containsFold reports whether strings.ToLower(s) contains sub, which is
// in lower case, without allocating when s is ASCII.
func containsFold(s, sub string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), sub)
		}
	}
	n := len(sub)
outer:
	for i := 0; i+n <= len(s); i++ {
		for j := 0; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

// Year is the year of a YYYY-MM-DD date, or 0: what the year filters
// compare.
func Year(date string) int {
	if len(date) < 4 {
		return 0
	}
	y, err := strconv.Atoi(date[:4])
	if err != nil {
		return 0
	}
	return y
}

// document is what the index stores for a paper.
type document struct {
	Text       string   `json:"text"`
	Title      string   `json:"title"`
	Abstract   string   `json:"abstract"`
	Year       *float64 `json:"year,omitempty"`
	Categories []string `json:"category"`
	Authors    []string `json:"author"`
}

func toDocument(p paper.Paper) document {
	d := document{Text: p.Text(), Title: p.Title, Abstract: p.Abstract}
	if y := Year(p.Published); y != 0 {
		f := float64(y)
		d.Year = &f
	}
	for _, c := range p.Categories {
		d.Categories = append(d.Categories, strings.ToLower(c))
	}
	for _, a := range p.Authors {
		d.Authors = append(d.Authors, strings.ToLower(a))
	}
	return d
}

func newMapping() *mapping.IndexMappingImpl {
	text := func(store, positions bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = en.AnalyzerName
		f.Store = store
		f.IncludeTermVectors = positions
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	num := bleve.NewNumericFieldMapping()
	num.Store = false
	num.IncludeInAll = false
	num.DocValues = false

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldText, text(false, false))
	doc.AddFieldMappingsAt(fieldTitle, text(false, false))
	doc.AddFieldMappingsAt(fieldAbstract, text(true, true))
	doc.AddFieldMappingsAt(fieldYear, num)
	doc.AddFieldMappingsAt(fieldCategory, kw())
	doc.AddFieldMappingsAt(fieldAuthor, kw())
	// No field is in bleve's "_all" field, and no query reads it; left on,
	// bleve still adds an empty one to every paper, at a cost.
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = en.AnalyzerName
	m.DefaultField = fieldText
	m.ScoringModel = bindex.BM25Scoring
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

// Open opens the index of the data folder that st lives in, creating it if
// needed, and starts building the in-memory postings from st in the
// background (every paper passes through store.Each once, here), or loads
// them as saved at the last Close; rankings wait until they are ready. When
// the bleve index is missing,
// unreadable or holds other papers than st (its recorded count and checksum
// differ from st's), it is rebuilt from st, so the index can never stay out
// of step after a crash.
func Open(ctx context.Context, st *store.Store) (*Index, error) {
	var papers []paper.Paper
	err := st.Each(ctx, func(r store.Record) error {
		papers = append(papers, r.Paper)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lexical: cannot read the papers: %w", err)
	}
	// The fingerprints alone are cheap; analysing the words is what takes
	// seconds, and it is left to the background build.
	fps := make([]analysed, len(papers))
	for i := range papers {
		fps[i] = analysed{id: papers[i].ID, fp: fingerprint(&papers[i])}
	}
	mem := newPostings()
	mem.add(fps)
	dir := filepath.Join(st.Dir(), Dir)
	x, err := openDir(dir)
	if err == nil {
		n, sum := mem.checksum()
		rn, rsum, ok := x.recorded()
		dn, cerr := x.idx.DocCount()
		if !ok || cerr != nil || rn != n || rsum != sum || int(dn) != n {
			_ = x.idx.Close()
			x = nil
		}
	}
	if x == nil {
		if x, err = rebuild(ctx, st, mem); err != nil {
			return nil, err
		}
	}
	x.mem.Store(mem)
	x.startBuild(papers)
	return x, nil
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
			docs, err := analyseAll(ctx, x.an, papers)
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
		// One segment answers filters and highlights faster than many.
		if same, err := x.compacted(); err == nil && !same {
			_ = x.Compact(ctx)
		}
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

// ranker is the postings when they are ready to rank, or nil.
func (x *Index) ranker() *postings {
	select {
	case <-x.ready:
		return x.mem.Load()
	default:
		return nil
	}
}

// rankerFor is the postings to rank with, waiting for them while they are
// built: bleve's BM25 ranks otherwise than their BM25F (see postings.search).
func (x *Index) rankerFor(ctx context.Context) (*postings, error) {
	if mem := x.ranker(); mem != nil {
		return mem, nil
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

// compacted reports whether bleve holds one segment (or none) without
// deleted papers.
func (x *Index) compacted() (bool, error) {
	adv, err := x.idx.Advanced()
	if err != nil {
		return false, fmt.Errorf("lexical: %w", err)
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return false, nil
	}
	r, err := sc.Reader()
	if err != nil {
		return false, fmt.Errorf("lexical: cannot read the index: %w", err)
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return false, nil
	}
	segs := snap.Segments()
	return len(segs) == 0 || (len(segs) == 1 && segs[0].FullSize() == segs[0].LiveSize()), nil
}

// checksumKey is where the bleve index records the count and checksum of
// the papers it holds.
var checksumKey = []byte("paperlens.papers")

func (x *Index) recorded() (n int, sum uint64, ok bool) {
	v, err := x.idx.GetInternal(checksumKey)
	if err != nil || len(v) != 16 {
		return 0, 0, false
	}
	return int(binary.LittleEndian.Uint64(v)), binary.LittleEndian.Uint64(v[8:]), true
}

func encodeChecksum(n int, sum uint64) []byte {
	v := make([]byte, 16)
	binary.LittleEndian.PutUint64(v, uint64(n))
	binary.LittleEndian.PutUint64(v[8:], sum)
	return v
}

func analyzer() (analysis.Analyzer, error) {
	an := newMapping().AnalyzerNamed(en.AnalyzerName)
	if an == nil {
		return nil, fmt.Errorf("lexical: no analyser %q", en.AnalyzerName)
	}
	return an, nil
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

// DefaultTitleBoost is Index.TitleBoost for a new index; see docs/quality.md
// for how it was chosen.
const DefaultTitleBoost = 0

func openDir(dir string) (*Index, error) {
	idx, err := bleve.OpenUsing(dir, bleveConfig)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		idx, err = bleve.NewUsing(dir, newMapping(), bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, bleveConfig)
	}
	if err != nil {
		return nil, fmt.Errorf("lexical: cannot open the index in %s: %w (delete the folder: it is rebuilt from the papers)", dir, err)
	}
	an, err := analyzer()
	if err != nil {
		_ = idx.Close()
		return nil, err
	}
	x := &Index{idx: idx, dir: dir, an: an, ready: make(chan struct{}), closed: make(chan struct{}), TitleBoost: DefaultTitleBoost}
	x.mem.Store(newPostings())
	close(x.ready)
	return x, nil
}

// bleveConfig is the runtime configuration of the bleve index: a batch
// returns once it is searchable, without waiting for its fsync (the index is
// rebuilt from the store when a crash loses a batch, see Open), and bleve's
// background merges count a segment as at least asyncAt papers, the size of
// the batches an ingest writes, instead of 2,000. With bleve's default
// floor, every new batch of a small index was merged at once into the
// segments before it, rewriting the whole index each time: a third of
// bleve's work in an ingest of 2,000 papers, on the cores the embedder needs, and
// undone by the Compact that ends an ingest. Merges now begin once an index
// has more than about ten segments per size tier.
var bleveConfig = map[string]interface{}{
	"unsafe_batch":           true,
	"scorchMergePlanOptions": map[string]interface{}{"FloorSegmentSize": asyncAt},
}

// Rebuild throws the index of st's data folder away and indexes every paper
// of st again.
func Rebuild(ctx context.Context, st *store.Store) (*Index, error) {
	return rebuild(ctx, st, nil)
}

// rebuild rebuilds the bleve index; mem, if not nil, already holds st's
// papers.
func rebuild(ctx context.Context, st *store.Store, mem *postings) (*Index, error) {
	dir := filepath.Join(st.Dir(), Dir)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("lexical: cannot remove the old index %s: %w", dir, err)
	}
	x, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	upsert := func(ctx context.Context, ps []paper.Paper, _ bool) error { return x.Upsert(ctx, ps) }
	if mem != nil {
		x.mem.Store(mem)
		upsert = x.upsertBleve
	}
	var batch []paper.Paper
	err = st.Each(ctx, func(r store.Record) error {
		batch = append(batch, r.Paper)
		if len(batch) == 512 {
			err := upsert(ctx, batch, false)
			batch = batch[:0]
			return err
		}
		return nil
	})
	if err == nil {
		err = upsert(ctx, batch, true)
	}
	if err == nil {
		err = x.Compact(ctx)
	}
	if err != nil {
		_ = x.Close()
		return nil, fmt.Errorf("lexical: cannot rebuild the index from the papers: %w", err)
	}
	return x, nil
}

// Close releases the index files; later calls do nothing. The index cannot
// be used afterwards.
func (x *Index) Close() error {
	x.closeOnce.Do(func() {
		close(x.closed)
		if x.stopBuild != nil {
			x.stopBuild()
		}
		x.building.Wait()
		ferr := x.flush()
		// Save the postings for the next Open, once they are built; a
		// failure only costs that Open the time to analyse again.
		select {
		case <-x.ready:
			mem := x.mem.Load()
			if n, sum := mem.checksum(); (checksum{n: n, sum: sum}) != x.saved { // else the file holds them already
				_ = mem.save(filepath.Join(x.dir, cacheFile))
			}
		default:
		}
		// Let bleve's written batches reach the disk, so that the next Open
		// need not rebuild; if that takes too long, it will.
		select {
		case <-x.lastPersisted():
		case <-time.After(closeWait):
		}
		x.closeErr = errors.Join(ferr, x.idx.Close())
	})
	return x.closeErr
}

// closeWait bounds how long Close waits for bleve to write its batches.
const closeWait = 30 * time.Second

// Count is the number of papers indexed.
func (x *Index) Count() int {
	n, _ := x.mem.Load().checksum()
	return n
}

// Upsert indexes papers, replacing those with the same id. They are ranked
// at once (the postings hold them); bleve, which filters and highlights,
// takes them in the background, before it is next read.
func (x *Index) Upsert(ctx context.Context, papers []paper.Paper) error {
	if len(papers) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Each paper is analysed once, for the postings and the three text
	// fields of bleve alike.
	docs := make([]analysed, len(papers))
	qs := make([]*queued, len(papers))
	for i := range papers {
		w := analyseWords(x.an, &papers[i])
		docs[i] = analysedFrom(&papers[i], w.title, w.abstract)
		qs[i] = &queued{p: papers[i], w: &w}
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mem.Load().add(docs)
	if x.backlog != nil {
		x.backlog = append(x.backlog, write{docs: docs})
	}
	for _, q := range qs {
		x.queue(q.p.ID, q)
	}
	return x.queueLocked()
}

// queued is a paper waiting for bleve, with its analysed words (nil: to
// be analysed when written).
type queued struct {
	p paper.Paper
	w *words
}

// words are the analysed words of a paper's title and abstract, each
// analysed on its own as bleve analyses a field.
type words struct {
	title, abstract analysis.TokenStream
}

func analyseWords(an analysis.Analyzer, p *paper.Paper) words {
	var w words
	if p.Title != "" {
		w.title = an.Analyze([]byte(p.Title))
	}
	if p.Abstract != "" {
		w.abstract = an.Analyze([]byte(p.Abstract))
	}
	return w
}

// text is the words of the paper's Text(), for bleve's text field: the
// title's then the abstract's, since the ". " that joins them never joins
// two words (see TestWordsAnalysedOnceAreTheWordsBleveFinds). The
// abstract's words keep their own positions and offsets, which the text
// field does not keep (it has no term vectors).
func (w words) text() analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(w.title)+len(w.abstract))
	return append(append(out, w.title...), w.abstract...)
}

// given is an analyser that answers words analysed before, whatever it is
// asked to analyse.
type given analysis.TokenStream

func (g given) Analyze([]byte) analysis.TokenStream { return analysis.TokenStream(g) }

// Pending writes go to bleve in batches written in the background: a batch
// starts once asyncAt writes are pending and no batch is being written, so
// that bleve's work overlaps whatever the caller does meanwhile (embedding
// the next papers) and little is left to write when an ingest ends. When
// bleve is slower than the writes, the pending writes grow into larger
// batches, which bleve writes at a lower cost per paper (its cost per batch,
// a segment written then merged, is what made batches of 64 papers take 30
// of the 35 s of an arXiv ingest); at maxPending the writer waits for bleve.
const (
	asyncAt    = 256
	maxPending = 4096
)

// bleveWrite is a bleve batch written in the background.
type bleveWrite struct {
	writes map[string]*queued
	sum    []byte
	done   chan struct{}
	err    error
}

// queueLocked starts writing the pending writes to bleve in the background
// when there are enough of them and no batch is in flight, and waits for
// bleve when it has fallen too far behind. It returns the error of a
// background batch that failed, whose writes are pending again. The caller
// holds writeMu.
func (x *Index) queueLocked() error {
	if x.inflight != nil {
		select {
		case <-x.inflight.done:
		default:
			if len(x.pending) < maxPending {
				return nil
			}
		}
		if err := x.waitLocked(); err != nil {
			return err
		}
	}
	if len(x.pending) < asyncAt {
		return nil
	}
	w := &bleveWrite{writes: x.pending, sum: x.pendingSum, done: make(chan struct{})}
	x.pending, x.pendingSum = nil, nil
	x.inflight = w
	go func() {
		defer close(w.done)
		papers, deleted := split(w.writes)
		w.err = x.writeBleveSum(papers, deleted, w.sum)
	}()
	return nil
}

// waitLocked waits for the batch in flight, if any. When it failed, its
// writes are pending again (under those made since) and its error is
// returned. The caller holds writeMu, which the background writer does not
// take.
func (x *Index) waitLocked() error {
	w := x.inflight
	if w == nil {
		return nil
	}
	<-w.done
	x.inflight = nil
	if w.err == nil {
		return nil
	}
	if x.pending == nil {
		x.pending, x.pendingSum = w.writes, w.sum
	} else {
		for id, p := range w.writes {
			if _, newer := x.pending[id]; !newer {
				x.pending[id] = p
			}
		}
	}
	return w.err
}

// split turns pending writes into the papers to index and the ids to
// delete.
func split(writes map[string]*queued) (papers []*queued, deleted []string) {
	for id, q := range writes {
		if q == nil {
			deleted = append(deleted, id)
		} else {
			papers = append(papers, q)
		}
	}
	return papers, deleted
}

// queue makes q (nil: a delete) pending for bleve. The caller holds
// writeMu and has updated the postings.
func (x *Index) queue(id string, q *queued) {
	if x.pending == nil {
		x.pending = map[string]*queued{}
	}
	x.pending[id] = q
	x.pendingSum = encodeChecksum(x.mem.Load().checksum())
}

// flush writes the pending writes to bleve, after the batch in flight;
// every read of bleve calls it first.
func (x *Index) flush() error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	return x.flushLocked()
}

// flushLocked is flush for a caller that holds writeMu.
func (x *Index) flushLocked() error {
	if err := x.waitLocked(); err != nil {
		return err
	}
	if len(x.pending) == 0 {
		return nil
	}
	papers, deleted := split(x.pending)
	if err := x.writeBleveSum(papers, deleted, x.pendingSum); err != nil {
		return err
	}
	x.pending, x.pendingSum = nil, nil
	return nil
}

// upsertBleve indexes papers in bleve alone, for a rebuild: the postings
// hold them already. The checksum is recorded by the rebuild's last batch
// only, so that a crash midway leaves an index Open rebuilds again.
func (x *Index) upsertBleve(ctx context.Context, papers []paper.Paper, last bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if err := x.waitLocked(); err != nil {
		return err
	}
	var sum []byte
	if last {
		sum = encodeChecksum(x.mem.Load().checksum())
	}
	qs := make([]*queued, len(papers))
	for i := range papers {
		qs[i] = &queued{p: papers[i]}
	}
	return x.writeBleveSum(qs, nil, sum)
}

// writeBleveSum indexes papers and deletes ids in one bleve batch, which
// records sum (unless nil) as the count and checksum of the papers bleve
// holds once the batch is in. Batches are written one at a time, in order.
func (x *Index) writeBleveSum(papers []*queued, deleted []string, sum []byte) error {
	b := x.idx.NewBatch()
	for _, q := range papers {
		doc, err := x.bleveDocument(q)
		if err == nil {
			err = b.IndexAdvanced(doc)
		}
		if err != nil {
			return fmt.Errorf("lexical: cannot index paper %q: %w", q.p.ID, err)
		}
	}
	for _, id := range deleted {
		b.Delete(id)
	}
	if sum != nil {
		b.SetInternal(checksumKey, sum)
	}
	persisted := make(chan struct{})
	var once sync.Once
	b.SetPersistedCallback(func(error) { once.Do(func() { close(persisted) }) })
	if err := x.idx.Batch(b); err != nil {
		once.Do(func() { close(persisted) })
		return fmt.Errorf("lexical: cannot write the index: %w", err)
	}
	x.mu.Lock()
	x.generation++
	x.persisted = persisted
	x.mu.Unlock()
	return nil
}

// bleveDocument is the document bleve's mapping makes of q's paper, with
// the words of its text fields already analysed: the analyser runs once
// per paper, where bleve would run it on the title, the abstract and both
// again.
func (x *Index) bleveDocument(q *queued) (*bdoc.Document, error) {
	doc := bdoc.NewDocument(q.p.ID)
	if err := x.idx.Mapping().MapDocument(doc, toDocument(q.p)); err != nil {
		return nil, err
	}
	w := q.w
	if w == nil {
		aw := analyseWords(x.an, &q.p)
		w = &aw
	}
	for i, f := range doc.Fields {
		tf, ok := f.(*bdoc.TextField)
		if !ok {
			continue
		}
		var toks analysis.TokenStream
		switch tf.Name() {
		case fieldText:
			toks = w.text()
		case fieldTitle:
			toks = w.title
		case fieldAbstract:
			toks = w.abstract
		default:
			continue
		}
		doc.Fields[i] = bdoc.NewTextFieldCustom(tf.Name(), tf.ArrayPositions(), tf.Value(), tf.Options(), given(toks))
	}
	return doc, nil
}

// lastPersisted is closed once every bleve batch written so far is on disk.
func (x *Index) lastPersisted() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.persisted == nil {
		done := make(chan struct{})
		close(done)
		return done
	}
	return x.persisted
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
	for _, id := range ids {
		x.queue(id, nil)
	}
	return x.queueLocked()
}

// MaxQueryTerms bounds the distinct words of a lexical query. A longer
// text, such as an abstract for "papers like this one", is cut to its
// MaxQueryTerms most distinctive words (by term frequency × inverse document
// frequency, as Lucene's MoreLikeThis does): the rest add time, not
// ranking quality.
const MaxQueryTerms = 25

// textQuery ranks by BM25 over title and abstract, plus the title alone
// weighed by TitleBoost.
func (x *Index) textQuery(ctx context.Context, text string) (query.Query, error) {
	terms, err := x.keyTerms(ctx, text)
	if err != nil {
		return nil, err
	}
	if terms == nil { // short: bleve analyses it
		return x.matchQuery(text), nil
	}
	var qs []query.Query
	for _, t := range terms {
		for _, f := range x.fields() {
			q := query.NewTermQuery(t.term)
			q.SetField(f.name)
			q.SetBoost(float64(t.freq) * f.boost)
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return query.NewMatchNoneQuery(), nil
	}
	return query.NewDisjunctionQuery(qs), nil
}

type field struct {
	name  string
	boost float64
}

func (x *Index) fields() []field {
	if x.TitleBoost <= 0 {
		return []field{{fieldText, 1}}
	}
	return []field{{fieldText, 1}, {fieldTitle, x.TitleBoost}}
}

func (x *Index) matchQuery(text string) query.Query {
	var qs []query.Query
	for _, f := range x.fields() {
		q := query.NewMatchQuery(text)
		q.SetField(f.name)
		q.SetBoost(f.boost)
		qs = append(qs, q)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

type keyTerm struct {
	term  string
	freq  int
	score float64
}

// keyTerms returns the MaxQueryTerms most distinctive analysed words of
// text with their counts, or nil when text has no more than that.
func (x *Index) keyTerms(ctx context.Context, text string) ([]keyTerm, error) {
	freq := map[string]int{}
	for _, tok := range x.an.Analyze([]byte(text)) {
		freq[string(tok.Term)]++
	}
	return x.keyTermsOf(ctx, x.ranker(), freq)
}

// keyTermsOf is keyTerms of a text's counted words, with the document
// frequencies of mem, or of bleve when mem is nil (the postings are not
// built yet).
func (x *Index) keyTermsOf(ctx context.Context, mem *postings, freq map[string]int) ([]keyTerm, error) {
	if len(freq) <= MaxQueryTerms {
		return nil, nil
	}
	docFreq := func(t string) (int, int, error) {
		df, total := mem.docFreq(t)
		return df, total, nil
	}
	if mem == nil {
		if err := x.flush(); err != nil {
			return nil, err
		}
		r, err := x.idx.Advanced()
		if err != nil {
			return nil, fmt.Errorf("lexical: %w", err)
		}
		rd, err := r.Reader()
		if err != nil {
			return nil, fmt.Errorf("lexical: cannot read the index: %w", err)
		}
		defer rd.Close()
		total, err := rd.DocCount()
		if err != nil {
			return nil, fmt.Errorf("lexical: cannot read the index: %w", err)
		}
		// bleve's own BM25 takes a word's document frequency from the same
		// reader count, so the words chosen are those the postings choose.
		docFreq = func(t string) (int, int, error) {
			tr, err := rd.TermFieldReader(ctx, []byte(t), fieldText, false, false, false)
			if err != nil {
				return 0, 0, fmt.Errorf("lexical: cannot read the index: %w", err)
			}
			defer tr.Close()
			return int(tr.Count()), int(total), nil
		}
	}
	terms := make([]keyTerm, 0, len(freq))
	for t, n := range freq {
		df, total, err := docFreq(t)
		if err != nil {
			return nil, err
		}
		if df == 0 {
			continue // in no paper: cannot match
		}
		idf := math.Log(1 + (float64(total)-float64(df)+0.5)/(float64(df)+0.5))
		terms = append(terms, keyTerm{term: t, freq: n, score: float64(n) * idf})
	}
	sort.Slice(terms, func(i, j int) bool {
		if terms[i].score != terms[j].score {
			return terms[i].score > terms[j].score
		}
		return terms[i].term < terms[j].term
	})
	if len(terms) > MaxQueryTerms {
		terms = terms[:MaxQueryTerms]
	}
	if len(terms) == 0 {
		terms = []keyTerm{} // not nil: nothing can match
	}
	return terms, nil
}

// filterQuery is f as a query that matches without scoring, or nil.
func (x *Index) filterQuery(f Filter, exclude []string) (query.Query, error) {
	var must []query.Query
	if f.YearFrom != 0 || f.YearTo != 0 {
		var lo, hi *float64
		if f.YearFrom != 0 {
			v := float64(f.YearFrom)
			lo = &v
		}
		if f.YearTo != 0 {
			v := float64(f.YearTo)
			hi = &v
		}
		yes := true
		r := query.NewNumericRangeInclusiveQuery(lo, hi, &yes, &yes)
		r.SetField(fieldYear)
		must = append(must, r)
	}
	if len(f.Categories) > 0 {
		var any []query.Query
		for _, c := range f.Categories {
			t := query.NewTermQuery(strings.ToLower(strings.TrimSpace(c)))
			t.SetField(fieldCategory)
			any = append(any, t)
		}
		must = append(must, query.NewDisjunctionQuery(any))
	}
	if a := strings.ToLower(strings.TrimSpace(f.Author)); a != "" {
		ids, err := x.papersByAuthor(a)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			must = append(must, query.NewMatchNoneQuery())
		} else {
			must = append(must, query.NewDocIDQuery(ids))
		}
	}
	var not []query.Query
	if len(exclude) > 0 {
		not = append(not, query.NewDocIDQuery(exclude))
	}
	if len(must) == 0 && len(not) == 0 {
		return nil, nil
	}
	if len(must) == 0 {
		must = append(must, query.NewMatchAllQuery())
	}
	return query.NewBooleanQuery(must, nil, not), nil
}

// papersByAuthor lists the ids of the papers with an author whose
// (lower-case) name contains a. It scans the dictionary of names, which is
// much faster than bleve's regular expression query for a substring, and
// keeps the answer until the next write: a filter is applied twice per
// ranking (the hits and their count), and a query of many names costs more
// than a list of ids.
func (x *Index) papersByAuthor(a string) ([]string, error) {
	x.mu.Lock()
	if x.authorKey == a && x.authorGen == x.generation && x.authorIDs != nil {
		ids := x.authorIDs
		x.mu.Unlock()
		return ids, nil
	}
	gen := x.generation
	x.mu.Unlock()
	d, err := x.idx.FieldDict(fieldAuthor)
	if err != nil {
		return nil, fmt.Errorf("lexical: cannot read the author names: %w", err)
	}
	var names []query.Query
	for {
		e, err := d.Next()
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("lexical: cannot read the author names: %w", err)
		}
		if e == nil {
			break
		}
		if strings.Contains(e.Term, a) {
			t := query.NewTermQuery(e.Term)
			t.SetField(fieldAuthor)
			names = append(names, t)
		}
	}
	d.Close()
	ids := []string{}
	if len(names) > 0 {
		req := bleve.NewSearchRequestOptions(query.NewDisjunctionQuery(names), maxAuthorPapers, 0, false)
		req.Score = "none"
		res, err := x.idx.Search(req)
		if err != nil {
			return nil, fmt.Errorf("lexical: cannot find the papers by author: %w", err)
		}
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
	}
	x.mu.Lock()
	x.authorKey, x.authorGen, x.authorIDs = a, gen, ids
	x.mu.Unlock()
	return ids, nil
}

// maxAuthorPapers bounds the papers an author filter can keep.
const maxAuthorPapers = 1 << 20

// Search returns up to n papers ranked by BM25 against text, best first,
// that pass f, leaving out the ids in exclude, and how many papers match in
// all.
func (x *Index) Search(ctx context.Context, text string, n int, f Filter, exclude ...string) ([]Hit, int, error) {
	return x.SearchLike(ctx, "", text, n, f, exclude...)
}

// SearchLike is Search for the text of the indexed paper id ("papers like
// this one"): when the index holds id, it takes the paper's words from the
// index instead of analysing text again. text must be the paper's Text().
func (x *Index) SearchLike(ctx context.Context, id, text string, n int, f Filter, exclude ...string) ([]Hit, int, error) {
	if x.TitleBoost > 0 {
		return x.searchBleve(ctx, text, n, f, exclude...)
	}
	mem, err := x.rankerFor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if mem != nil {
		var clauses []clause
		if freq, ok := mem.wordsOf(id); ok && id != "" && len(freq) > MaxQueryTerms {
			clauses, err = x.clausesOf(x.keyTermsOf(ctx, mem, freq))
		} else {
			clauses, err = x.clauses(ctx, mem, text)
		}
		if err != nil {
			return nil, 0, err
		}
		var allow func(string) bool
		if !f.IsZero() {
			if allow, err = x.allowed(ctx, f); err != nil {
				return nil, 0, err
			}
		}
		hits, total := mem.search(clauses, n, allow, exclude)
		return hits, total, nil
	}
	return x.searchBleve(ctx, text, n, f, exclude...)
}

// searchBleve is Search answered by bleve, for a title boost (which the
// in-memory postings do not hold) or while the postings are built.
func (x *Index) searchBleve(ctx context.Context, text string, n int, f Filter, exclude ...string) ([]Hit, int, error) {
	if err := x.flush(); err != nil {
		return nil, 0, err
	}
	tq, err := x.textQuery(ctx, text)
	if err != nil {
		return nil, 0, err
	}
	q := query.NewBooleanQuery([]query.Query{tq}, nil, nil)
	fq, err := x.filterQuery(f, exclude)
	if err != nil {
		return nil, 0, err
	}
	if fq != nil {
		q.AddFilter(fq)
	}
	req := bleve.NewSearchRequestOptions(q, max(n, 0), 0, false)
	req.SortBy([]string{"-_score", "_id"})
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, 0, fmt.Errorf("lexical: search failed: %w", err)
	}
	hits := make([]Hit, len(res.Hits))
	for i, h := range res.Hits {
		hits[i] = Hit{ID: h.ID, Score: h.Score}
	}
	return hits, int(res.Total), nil
}

// clauses is the in-memory form of textQuery without a title field: the
// MaxQueryTerms most distinctive words of a long text, each boosted by its
// count, or every word of a short one as bleve's match query has it.
func (x *Index) clauses(ctx context.Context, mem *postings, text string) ([]clause, error) {
	freq := map[string]int{}
	for _, tok := range x.an.Analyze([]byte(text)) {
		freq[string(tok.Term)]++
	}
	terms, err := x.keyTermsOf(ctx, mem, freq)
	if err != nil {
		return nil, err
	}
	if terms != nil {
		return x.clausesOf(terms, nil)
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
	return cs, nil
}

// clausesOf is the query of a long text's key words.
func (x *Index) clausesOf(terms []keyTerm, err error) ([]clause, error) {
	if err != nil {
		return nil, err
	}
	cs := make([]clause, len(terms))
	for i, t := range terms {
		cs[i] = clause{term: t.term, boost: float64(t.freq), count: 1}
	}
	return cs, nil
}

// allowed is the set of papers that pass f, as a test.
func (x *Index) allowed(ctx context.Context, f Filter) (func(string) bool, error) {
	if err := x.flush(); err != nil {
		return nil, err
	}
	q, err := x.filterQuery(f, nil)
	if err != nil {
		return nil, err
	}
	req := bleve.NewSearchRequestOptions(q, max(x.Count(), 1), 0, false)
	req.Score = "none"
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("lexical: filter failed: %w", err)
	}
	ok := make(map[string]bool, len(res.Hits))
	for _, h := range res.Hits {
		ok[h.ID] = true
	}
	return func(id string) bool { return ok[id] }, nil
}

// CountMatching is how many papers pass f, leaving out the ids in exclude.
func (x *Index) CountMatching(ctx context.Context, f Filter, exclude ...string) (int, error) {
	if err := x.flush(); err != nil {
		return 0, err
	}
	q, err := x.filterQuery(f, exclude)
	if err != nil {
		return 0, err
	}
	if q == nil {
		return x.Count(), nil
	}
	res, err := x.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(q, 0, 0, false))
	if err != nil {
		return 0, fmt.Errorf("lexical: count failed: %w", err)
	}
	return int(res.Total), nil
}

// Highlights returns, for each of the papers ids whose abstract contains a
// word of text, up to max short fragments of its abstract with the matched
// words marked <mark>…</mark> and the rest HTML-escaped.
func (x *Index) Highlights(ctx context.Context, text string, ids []string, maxFragments int) (map[string][]string, error) {
	if len(ids) == 0 {
		return map[string][]string{}, nil
	}
	if err := x.flush(); err != nil {
		return nil, err
	}
	terms, err := x.keyTerms(ctx, text)
	if err != nil {
		return nil, err
	}
	var m query.Query
	if terms == nil {
		mq := query.NewMatchQuery(text)
		mq.SetField(fieldAbstract)
		m = mq
	} else {
		var qs []query.Query
		for _, t := range terms {
			tq := query.NewTermQuery(t.term)
			tq.SetField(fieldAbstract)
			qs = append(qs, tq)
		}
		m = query.NewDisjunctionQuery(qs)
		if len(qs) == 0 {
			return map[string][]string{}, nil
		}
	}
	q := query.NewConjunctionQuery([]query.Query{m, query.NewDocIDQuery(ids)})
	req := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	req.Highlight = bleve.NewHighlightWithStyle(html.Name)
	req.Highlight.AddField(fieldAbstract)
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("lexical: highlight failed: %w", err)
	}
	return abstractFragments(res, maxFragments), nil
}

// abstractFragments are the highlighted abstract fragments of a search's
// hits, at most max a paper, cut to whole words.
func abstractFragments(res *bleve.SearchResult, max int) map[string][]string {
	out := make(map[string][]string, len(res.Hits))
	for _, h := range res.Hits {
		frags := h.Fragments[fieldAbstract]
		if len(frags) > max {
			frags = frags[:max]
		}
		for i, f := range frags {
			frags[i] = wholeWords(f)
		}
		if len(frags) > 0 {
			out[h.ID] = frags
		}
	}
	return out
}

// Scores returns the BM25 score against text of each of the papers ids
// that contains a word of it.
func (x *Index) Scores(ctx context.Context, text string, ids []string) (map[string]float64, error) {
	var mem *postings
	if x.TitleBoost <= 0 {
		var err error
		if mem, err = x.rankerFor(ctx); err != nil {
			return nil, err
		}
	}
	if mem != nil {
		clauses, err := x.clauses(ctx, mem, text)
		if err != nil {
			return nil, err
		}
		want := make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
		hits, _ := mem.search(clauses, len(ids), func(id string) bool { return want[id] }, nil)
		out := make(map[string]float64, len(hits))
		for _, h := range hits {
			out[h.ID] = h.Score
		}
		return out, nil
	}
	if err := x.flush(); err != nil {
		return nil, err
	}
	tq, err := x.textQuery(ctx, text)
	if err != nil {
		return nil, err
	}
	q := query.NewBooleanQuery([]query.Query{tq}, nil, nil)
	q.AddFilter(query.NewDocIDQuery(ids))
	res, err := x.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(q, len(ids), 0, false))
	if err != nil {
		return nil, fmt.Errorf("lexical: search failed: %w", err)
	}
	out := make(map[string]float64, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = h.Score
	}
	return out, nil
}

// ellipsis marks where bleve cut a fragment out of the abstract.
const ellipsis = "…"

// wholeWords drops the partial words bleve's fixed-size fragments begin and
// end with, unless that would drop a marked word.
func wholeWords(f string) string {
	if rest, ok := strings.CutPrefix(f, ellipsis); ok {
		if i := strings.IndexByte(rest, ' '); i >= 0 && !strings.Contains(rest[:i], "<mark>") {
			f = ellipsis + rest[i+1:]
		}
	}
	if rest, ok := strings.CutSuffix(f, ellipsis); ok {
		if i := strings.LastIndexByte(rest, ' '); i >= 0 && !strings.Contains(rest[i:], "</mark>") {
			f = rest[:i] + ellipsis
		}
	}
	return f
}

// Compact merges the index into as few segments as it can, which makes
// queries faster after a large ingest; the index answers queries meanwhile.
func (x *Index) Compact(ctx context.Context) error {
	x.compactMu.Lock()
	defer x.compactMu.Unlock()
	if err := x.flush(); err != nil {
		return err
	}
	adv, err := x.idx.Advanced()
	if err != nil {
		return fmt.Errorf("lexical: %w", err)
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	// ForceMerge merges the segments bleve has written to disk: wait for
	// the last batch to get there, so that one merge leaves one segment. A
	// batch written meanwhile is merged by a later round.
	select {
	case <-x.lastPersisted():
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(closeWait):
	}
	for round := 0; ; round++ {
		if err := sc.ForceMerge(ctx, nil); err != nil {
			return fmt.Errorf("lexical: cannot compact the index: %w", err)
		}
		if same, err := x.compacted(); err != nil || same || round == compactRounds {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// compactRounds bounds the extra rounds of Compact.
const compactRounds = 20
