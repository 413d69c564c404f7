// Package store keeps papers and their vectors. It wraps chromem-go, the
// embedded vector store, so that nothing else imports it.
//
// A data folder holds one collection, named after the embedder and model that
// made its vectors, and a manifest (manifest.json) recording embedder, model,
// dimension and count. Opening a folder with another embedder or dimension is
// refused: vectors from different models cannot be compared.
//
// chromem-go's collection is the system of record: it is what is written to
// disk, as one snapshot file in chromem-go's export format (snapshot.gob)
// plus a log of the changes made since (changes.log), fsynced before a write
// returns. Queries are answered by a vecindex kept in step with it, which
// scans an int8 matrix in parallel and re-scores the best candidates
// exactly; it is several times faster than chromem-go's own query. See
// docs/performance.md.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store/vecindex"
	chromem "github.com/philippgille/chromem-go"
)

// ManifestFile is the name of the manifest inside a data folder.
const ManifestFile = "manifest.json"

var (
	// ErrClosed is returned by a write to a store that was closed.
	ErrClosed = errors.New("store: closed")
	// ErrMismatch is returned when a data folder was built by another
	// embedder, model or dimension than the one it is opened with.
	ErrMismatch = errors.New("data folder built with a different embedder")
)

// Manifest describes a data folder.
type Manifest struct {
	embeddings.Info
	Collection string    `json:"collection"`
	Count      int       `json:"count"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	// Fitted is the fusion fitted to the folder, if any (paperlens tune).
	Fitted *Fitted `json:"fitted,omitempty"`
}

// entry is what the vector index keeps per row besides the vector: enough
// to answer Get and to run a Filter during the scan.
type entry struct {
	paper paper.Paper
	hash  string
}

// Store is a collection of papers and vectors, on disk unless made by
// NewMemory. It is safe for concurrent use: reads run in parallel and keep
// answering while a write is being made durable; writes are serialised.
type Store struct {
	dir  string // "" for a store that keeps nothing on disk
	db   *chromem.DB
	coll *chromem.Collection

	wmu  sync.Mutex  // serialises writers: the log, snapshots, the manifest file
	log  *changeLog  // nil for a memory store
	lock *folderLock // nil for a memory store

	mu       sync.RWMutex // guards idx, coll's contents and manifest
	idx      *vecindex.Index[*entry]
	manifest Manifest
	written  WriteStats
	version  atomic.Uint64 // bumped by every write, after it is visible
}

// WriteStats adds up where the time of writes went since the store was
// opened, for the bench command.
type WriteStats struct {
	// Log is the time spent encoding and appending changes to the log,
	// Sync the time spent in fsync, Apply the time spent updating
	// chromem-go's collection and the vector index, and Snapshot the time
	// spent writing snapshots.
	Log, Sync, Apply, Snapshot time.Duration
	// Snapshots counts the snapshots written.
	Snapshots int
}

// Open opens the data folder dir for papers embedded by info, creating it if
// needed. It refuses a folder built with a different embedder, model or
// (when both are known) dimension, wrapping ErrMismatch. A folder written by
// an earlier version (chromem-go's one file per paper under vectors/) is
// migrated to a snapshot on open.
//
// Only one Store at a time may have a folder open: Open takes an exclusive
// lock on DIR/LOCK first, and fails at once, wrapping ErrLocked and naming
// the holder, when another process (or an unclosed Store) has it. Close
// releases it; so does the death of the process. Files a crash left
// half-written are set aside or skipped with a warning, never a failed open.
func Open(dir string, info embeddings.Info) (*Store, error) {
	if dir == "" {
		return nil, errors.New("store: no data folder given (set --data or PAPERLENS_DATA)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: cannot create data folder %q: %w", dir, err)
	}
	// The lock comes before anything else opens a file in the folder, so a
	// second process fails at once with a message that names the first,
	// instead of failing later on a file the other process is writing.
	lock, err := lockFolder(dir)
	if err != nil {
		return nil, err
	}
	s, err := open(dir, info)
	if err != nil {
		_ = lock.release()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func open(dir string, info embeddings.Info) (*Store, error) {
	m, err := readManifest(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		// The manifest is rewritten on every open from what the folder
		// holds, so a damaged one is set aside and made again; the
		// snapshot's collection name still guards against a mismatch.
		aside, merr := setAside(filepath.Join(dir, ManifestFile))
		if merr != nil {
			return nil, fmt.Errorf("%w (and it cannot be moved aside: %v)", err, merr)
		}
		slog.Warn("store: the manifest was damaged; it was moved aside and will be made again from the papers",
			"dir", dir, "moved_to", aside, "error", err)
		err = os.ErrNotExist
	}
	fresh := err != nil
	switch {
	case fresh:
		now := time.Now().UTC()
		m = Manifest{Info: info, Collection: CollectionName(info), Created: now, Updated: now}
	default:
		if m.Embedder != info.Embedder || m.Model != info.Model ||
			(info.Dimension != 0 && m.Dimension != 0 && info.Dimension != m.Dimension) {
			return nil, mismatch(dir, m.Info, info)
		}
	}
	if m.Dimension == 0 {
		m.Dimension = info.Dimension
	}
	s, err := newStore(dir, m)
	if err != nil {
		return nil, err
	}
	if err := s.load(fresh); err != nil {
		if s.log != nil {
			_ = s.log.close()
		}
		return nil, err
	}
	s.manifest.Count = s.idx.Len()
	if err := s.writeManifest(s.manifest); err != nil {
		return nil, err
	}
	return s, nil
}

// NewMemory returns an empty store for papers embedded by info that keeps
// nothing on disk: for benchmarks and for trying things out.
func NewMemory(info embeddings.Info) *Store {
	now := time.Now().UTC()
	s, err := newStore("", Manifest{Info: info, Collection: CollectionName(info), Created: now, Updated: now})
	if err != nil { // an in-memory chromem-go collection cannot fail to open
		panic(err)
	}
	return s
}

func newStore(dir string, m Manifest) (*Store, error) {
	db := chromem.NewDB()
	coll, err := db.GetOrCreateCollection(m.Collection, map[string]string{"embedder": m.Embedder, "model": m.Model}, refuseToEmbed)
	if err != nil {
		return nil, fmt.Errorf("store: cannot open collection %q in %q: %w", m.Collection, dir, err)
	}
	return &Store{dir: dir, db: db, coll: coll, manifest: m, idx: vecindex.New[*entry](m.Dimension)}, nil
}

// Close releases the change log and the folder's lock; later calls do
// nothing. The store must not be used afterwards.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var err error
	if s.log != nil {
		err = s.log.close()
		s.log = nil
	}
	if lerr := s.lock.release(); err == nil {
		err = lerr
	}
	s.lock = nil
	return err
}

// setAside renames a damaged file out of the way, keeping its bytes for a
// post-mortem, and returns the new name.
func setAside(path string) (string, error) {
	aside := fmt.Sprintf("%s.damaged-%d", path, time.Now().UnixNano())
	if err := os.Rename(path, aside); err != nil {
		return "", err
	}
	return aside, nil
}

// refuseToEmbed is the collection's embedding function: every vector comes
// from our own embedder, so chromem-go must never be asked to make one.
func refuseToEmbed(context.Context, string) ([]float32, error) {
	return nil, errors.New("store: papers must be stored with their vectors")
}

func mismatch(dir string, have, want embeddings.Info) error {
	return fmt.Errorf("%w: %q holds vectors from %s (%d dims), not %s: "+
		"use another --data folder for %s, or rebuild this one by deleting it and running "+
		"'paperlens ingest --data %s --embedder %s --model %s FILE...'",
		ErrMismatch, dir, describe(have), have.Dimension, describe(want), describe(want), dir, want.Embedder, want.Model)
}

func describe(i embeddings.Info) string { return i.Embedder + "/" + i.Model }

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// CollectionName is the collection that holds vectors made by info.
func CollectionName(i embeddings.Info) string {
	return unsafeName.ReplaceAllString(i.Embedder+"-"+i.Model, "_")
}

// ReadManifest reads the manifest of the data folder dir without opening
// the store, so a caller can learn which embedder built it.
func ReadManifest(dir string) (Manifest, error) { return readManifest(dir) }

func readManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("store: manifest %q is damaged (%v): move it aside and re-ingest", filepath.Join(dir, ManifestFile), err)
	}
	return m, nil
}

// writeManifest replaces the manifest file atomically. The papers do not
// depend on it (their count is recounted on open), so it is not fsynced.
func (s *Store) writeManifest(m Manifest) error {
	if s.dir == "" {
		return nil
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, ManifestFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("store: cannot write manifest: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store: cannot write manifest: %w", err)
	}
	return nil
}

// Manifest returns a copy of the folder's manifest with the current count.
func (s *Store) Manifest() Manifest {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.manifest
	m.Count = s.idx.Len()
	return m
}

// WriteStats returns where the time of writes went since the store opened.
func (s *Store) WriteStats() WriteStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.written
}

// Version changes whenever a write becomes visible: a cache of rankings
// that remembers the Version it was filled at knows to drop them when it
// changes. It is 0 for a store opened and never written to since.
func (s *Store) Version() uint64 { return s.version.Load() }

// Dir is the data folder ("" for a memory store).
func (s *Store) Dir() string { return s.dir }

// Count is the number of papers stored.
func (s *Store) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.Len()
}

// Upsert stores records, replacing papers with the same id. The records are
// on disk (fsynced) when Upsert returns without error; a failed Upsert
// stores none of them, unless the process dies while writing, in which case
// a prefix of them may be kept. Searches keep answering meanwhile.
func (s *Store) Upsert(ctx context.Context, recs []paper.Record) error {
	return s.upsert(ctx, recs, true)
}

// upsert is Upsert; normalise false keeps the vectors as given (Restore
// has checked they are unit vectors).
func (s *Store) upsert(ctx context.Context, recs []paper.Record, normalise bool) error {
	if len(recs) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.dir != "" && s.log == nil {
		return ErrClosed
	}
	dim := s.manifest.Dimension // changes only under wmu
	if dim == 0 {
		dim = len(recs[0].Vector)
	}
	clean := make([]paper.Record, len(recs))
	for i, r := range recs {
		if err := r.Paper.Validate(); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		v, err := s.unitVector(r.Paper.ID, r.Vector, dim)
		if err != nil {
			return err
		}
		if normalise {
			r.Vector = v
		} else {
			r.Vector = slices.Clone(r.Vector)
		}
		r.Paper.Authors, r.Paper.Categories = slices.Clone(r.Paper.Authors), slices.Clone(r.Paper.Categories)
		clean[i] = r
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var logged, synced time.Duration
	if s.log != nil {
		var err error
		if logged, synced, err = s.log.append(upserts(clean)); err != nil {
			return err
		}
	}
	start := time.Now()
	s.mu.Lock()
	if s.manifest.Dimension == 0 {
		s.manifest.Dimension = dim
		s.idx = vecindex.New[*entry](dim)
	}
	for _, r := range clean {
		s.apply(r)
	}
	s.written.Apply += time.Since(start)
	m := s.wrote(logged, synced)
	s.mu.Unlock()
	s.afterWrite(m)
	return nil
}

// afterWrite does the housekeeping of a write that is already durable and
// visible: the manifest file and, now and then, a snapshot. Their failure
// loses nothing (the log holds the change, the count is recounted on open),
// so it is logged rather than reported as a failed write. The caller holds
// s.wmu.
func (s *Store) afterWrite(m Manifest) {
	if err := s.writeManifest(m); err != nil {
		slog.Warn("store: the write is saved, but the manifest could not be updated", "dir", s.dir, "error", err)
	}
	if err := s.maybeSnapshot(); err != nil {
		slog.Warn("store: the write is saved in the change log, but a snapshot could not be written; will retry",
			"dir", s.dir, "error", err)
	}
}

// apply puts r in chromem-go's collection and the vector index. The caller
// holds s.mu for writing, or owns s.
func (s *Store) apply(r paper.Record) {
	// The collection is in memory: AddDocument fails only for an empty id
	// or vector, which Upsert and the log reader have ruled out.
	_ = s.coll.AddDocument(context.Background(), toDocument(r))
	s.idx.Set(r.Paper.ID, r.Vector, &entry{paper: r.Paper, hash: r.Hash})
}

// remove takes id out of the collection and the index. The caller holds
// s.mu for writing, or owns s.
func (s *Store) remove(id string) {
	_ = s.coll.Delete(context.Background(), nil, nil, id)
	s.idx.Delete(id)
}

// unitVector checks v and returns a normalised copy of it.
func (s *Store) unitVector(id string, v []float32, dim int) ([]float32, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("store: paper %q has no vector", id)
	}
	if len(v) != dim {
		return nil, fmt.Errorf("%w: paper %q has a %d-dim vector but %q holds %d-dim vectors from %s",
			ErrMismatch, id, len(v), s.dir, dim, describe(s.manifest.Info))
	}
	var norm float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("store: paper %q has a vector with NaN or Inf", id)
		}
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		return nil, fmt.Errorf("store: paper %q has a zero vector", id)
	}
	u := make([]float32, len(v))
	inv := 1 / math.Sqrt(norm)
	for i, x := range v {
		u[i] = float32(float64(x) * inv)
	}
	return u, nil
}

// wrote records an applied write: the manifest's time and count, the
// write timings and a new Version. It returns the manifest to persist.
// Callers hold s.mu.
func (s *Store) wrote(logged, synced time.Duration) Manifest {
	s.manifest.Updated = time.Now().UTC()
	s.manifest.Count = s.idx.Len()
	s.written.Log += logged
	s.written.Sync += synced
	s.version.Add(1)
	return s.manifest
}

// Delete removes the paper id, or returns paper.ErrNotFound. The removal is on
// disk when Delete returns.
func (s *Store) Delete(ctx context.Context, id string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.dir != "" && s.log == nil {
		return ErrClosed
	}
	s.mu.RLock()
	_, _, ok := s.idx.Get(id)
	s.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: %q", paper.ErrNotFound, id)
	}
	var logged, synced time.Duration
	if s.log != nil {
		var err error
		if logged, synced, err = s.log.append(deletion(id)); err != nil {
			return fmt.Errorf("store: cannot delete %q: %w", id, err)
		}
	}
	s.mu.Lock()
	s.remove(id)
	m := s.wrote(logged, synced)
	s.mu.Unlock()
	s.afterWrite(m)
	return nil
}

// Get returns the stored record for id, or paper.ErrNotFound. The record's vector
// is shared with the store: do not modify it.
func (s *Store) Get(ctx context.Context, id string) (paper.Record, error) {
	if id == "" {
		return paper.Record{}, fmt.Errorf("%w: empty id", paper.ErrNotFound)
	}
	s.mu.RLock()
	v, e, ok := s.idx.Get(id)
	s.mu.RUnlock()
	if !ok {
		return paper.Record{}, fmt.Errorf("%w: %q", paper.ErrNotFound, id)
	}
	return paper.Record{Paper: clonePaper(e.paper), Hash: e.hash, Vector: v}, nil
}

// clonePaper copies p's lists, so a caller cannot change a stored paper.
// GetMany returns the stored records of those ids that are stored.
func (s *Store) GetMany(ctx context.Context, ids []string) (map[string]paper.Record, error) {
	out := make(map[string]paper.Record, len(ids))
	for _, id := range ids {
		rec, err := s.Get(ctx, id)
		if errors.Is(err, paper.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = rec
	}
	return out, nil
}

func clonePaper(p paper.Paper) paper.Paper {
	p.Authors, p.Categories = slices.Clone(p.Authors), slices.Clone(p.Categories)
	if p.Authors == nil {
		p.Authors = []string{}
	}
	if p.Categories == nil {
		p.Categories = []string{}
	}
	return p
}

// Hash returns the content hash stored for id, and whether id is stored.
func (s *Store) Hash(ctx context.Context, id string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, e, ok := s.idx.Get(id)
	if !ok {
		return "", false
	}
	return e.hash, true
}

// Filter decides whether a stored paper may be returned by Nearest; nil
// lets every paper through. It must not keep or modify p, and may be called
// from several goroutines at once.
type Filter func(p *paper.Paper) bool

// All yields every stored record, in no particular order, until the loop
// stops or ctx is done (then it yields ctx's error). It sees the papers
// stored when it starts; the loop may call the store, including to write.
func (s *Store) All(ctx context.Context) iter.Seq2[paper.Record, error] {
	return func(yield func(paper.Record, error) bool) {
		s.mu.RLock()
		recs := make([]paper.Record, 0, s.idx.Len())
		s.idx.Each(func(_ string, v []float32, e *entry) bool {
			recs = append(recs, paper.Record{Paper: e.paper, Hash: e.hash, Vector: v})
			return true
		})
		s.mu.RUnlock()
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				yield(paper.Record{}, err)
				return
			}
			r.Paper = clonePaper(r.Paper)
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Papers yields every stored paper with its hash (no vector), in no
// particular order, until the loop stops or ctx is done (then it yields
// ctx's error). Unlike All it copies nothing, holding the store's read
// lock throughout: the loop must not write to the store, nor keep or
// change the papers' slices. It is how the word index reads a million
// papers at open, where All's copies cost seconds and gigabytes.
func (s *Store) Papers(ctx context.Context) iter.Seq2[paper.Record, error] {
	return func(yield func(paper.Record, error) bool) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		i := 0
		s.idx.Each(func(_ string, _ []float32, e *entry) bool {
			if i++; i%4096 == 0 && ctx.Err() != nil {
				yield(paper.Record{}, ctx.Err())
				return false
			}
			return yield(paper.Record{Paper: e.paper, Hash: e.hash}, nil)
		})
	}
}

// Nearest returns the n papers whose vectors are closest to v by cosine
// similarity, best first (ties by id), that pass filter (nil: all). n
// larger than the collection is fine: it returns what there is. It scans
// every paper; the cost grows linearly with their number (see
// docs/performance.md).
func (s *Store) Nearest(ctx context.Context, v []float32, n int, filter Filter) ([]paper.Hit, error) {
	var accept func(string, *entry) bool
	if filter != nil {
		accept = func(_ string, e *entry) bool { return filter(&e.paper) }
	}
	return s.nearest(ctx, v, n, func(q []float32) []vecindex.Hit[*entry] { return s.idx.Search(q, n, accept) })
}

// NearestAmong is Nearest over the papers ids only (unknown ids are left
// out): for a filter that few papers pass, a caller that knows which do
// ranks them at a fraction of the cost of testing every paper. ids must
// not change once given (see vecindex.Index.SearchAmong).
func (s *Store) NearestAmong(ctx context.Context, v []float32, n int, ids []string) ([]paper.Hit, error) {
	return s.nearest(ctx, v, n, func(q []float32) []vecindex.Hit[*entry] { return s.idx.SearchAmong(q, n, ids, nil) })
}

// nearest checks v, ranks its unit vector with rank under the read lock
// and returns the hits with copies of their papers.
func (s *Store) nearest(ctx context.Context, v []float32, n int, rank func(q []float32) []vecindex.Hit[*entry]) ([]paper.Hit, error) {
	if n <= 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if dim := s.manifest.Dimension; dim != 0 && len(v) != dim {
		return nil, fmt.Errorf("%w: query vector has %d dims, %q holds %d", ErrMismatch, len(v), s.dir, dim)
	}
	q, err := s.unitVector("(query)", v, len(v))
	if err != nil {
		return nil, nil // a zero query is similar to nothing
	}
	found := rank(q)
	hits := make([]paper.Hit, len(found))
	for i, h := range found {
		hits[i] = paper.Hit{Paper: clonePaper(h.Item.paper), Score: float64(h.Score)}
	}
	return hits, nil
}

// ReferenceNearest ranks with chromem-go's own exhaustive query
// (Collection.QueryEmbedding) instead of the vector index: the exact
// baseline the bench command compares Nearest against. Hits carry only the
// id and score.
func (s *Store) ReferenceNearest(ctx context.Context, v []float32, n int) ([]paper.Hit, error) {
	n = min(n, s.coll.Count())
	if n <= 0 {
		return nil, nil
	}
	res, err := s.coll.QueryEmbedding(ctx, v, n, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("store: chromem-go query failed: %w", err)
	}
	hits := make([]paper.Hit, len(res))
	for i, r := range res {
		hits[i] = paper.Hit{Paper: paper.Paper{ID: r.ID}, Score: float64(r.Similarity)}
	}
	return hits, nil
}
