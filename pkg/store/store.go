// Package store keeps papers and their vectors on disk. It wraps chromem-go,
// the embedded vector store, so that nothing else imports it.
//
// A data folder holds one collection, named after the embedder and model that
// made its vectors, and a manifest (manifest.json) recording embedder, model,
// dimension and count. Opening a folder with another embedder or dimension is
// refused: vectors from different models cannot be compared.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	chromem "github.com/philippgille/chromem-go"
)

// ManifestFile is the name of the manifest inside a data folder.
const ManifestFile = "manifest.json"

// vectorsDir is chromem-go's persistence folder inside a data folder.
const vectorsDir = "vectors"

var (
	// ErrNotFound is returned for an id the store does not hold.
	ErrNotFound = errors.New("paper not found")
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
}

// Record is a paper with its vector, as stored.
type Record struct {
	Paper  paper.Paper
	Hash   string
	Vector []float32
}

// Store is a persistent collection of papers and vectors. It is safe for
// concurrent use: reads run in parallel, writes are serialised.
type Store struct {
	dir  string
	coll *chromem.Collection

	mu       sync.Mutex // serialises writes and guards manifest
	manifest Manifest
}

// Open opens the data folder dir for papers embedded by info, creating it if
// needed. It refuses a folder built with a different embedder, model or
// (when both are known) dimension, wrapping ErrMismatch.
func Open(dir string, info embeddings.Info) (*Store, error) {
	if dir == "" {
		return nil, errors.New("store: no data folder given (set --data or PAPERLENS_DATA)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: cannot create data folder %q: %w", dir, err)
	}
	m, err := readManifest(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		now := time.Now().UTC()
		m = Manifest{Info: info, Collection: CollectionName(info), Created: now, Updated: now}
	case err != nil:
		return nil, err
	default:
		if m.Embedder != info.Embedder || m.Model != info.Model ||
			(info.Dimension != 0 && m.Dimension != 0 && info.Dimension != m.Dimension) {
			return nil, mismatch(dir, m.Info, info)
		}
	}
	if m.Dimension == 0 {
		m.Dimension = info.Dimension
	}
	db, err := chromem.NewPersistentDB(filepath.Join(dir, vectorsDir), false)
	if err != nil {
		return nil, fmt.Errorf("store: cannot read vectors in %q: %w", dir, err)
	}
	coll, err := db.GetOrCreateCollection(m.Collection, map[string]string{"embedder": m.Embedder, "model": m.Model}, refuseToEmbed)
	if err != nil {
		return nil, fmt.Errorf("store: cannot open collection %q in %q: %w", m.Collection, dir, err)
	}
	s := &Store{dir: dir, coll: coll, manifest: m}
	s.manifest.Count = coll.Count()
	if err := s.writeManifest(); err != nil {
		return nil, err
	}
	return s, nil
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

// writeManifest replaces the manifest atomically. Callers hold s.mu or own s.
func (s *Store) writeManifest() error {
	b, err := json.MarshalIndent(s.manifest, "", "  ")
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
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.manifest
	m.Count = s.coll.Count()
	return m
}

// Dir is the data folder.
func (s *Store) Dir() string { return s.dir }

// Count is the number of papers stored.
func (s *Store) Count() int { return s.coll.Count() }

// Upsert stores records, replacing papers with the same id. Each record is
// on disk when Upsert returns; on error, records written before it stay.
func (s *Store) Upsert(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	docs := make([]chromem.Document, 0, len(recs))
	for _, r := range recs {
		if err := r.Paper.Validate(); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := s.checkVector(r.Paper.ID, r.Vector); err != nil {
			return err
		}
		docs = append(docs, toDocument(r))
	}
	if s.manifest.Dimension == 0 {
		s.manifest.Dimension = len(recs[0].Vector)
	}
	var err error
	for _, d := range docs {
		if err = ctx.Err(); err != nil {
			break
		}
		if err = s.coll.AddDocument(ctx, d); err != nil {
			err = fmt.Errorf("store: cannot write paper %q: %w", d.ID, err)
			break
		}
	}
	s.manifest.Updated = time.Now().UTC()
	s.manifest.Count = s.coll.Count()
	if merr := s.writeManifest(); err == nil {
		err = merr
	}
	return err
}

func (s *Store) checkVector(id string, v []float32) error {
	if len(v) == 0 {
		return fmt.Errorf("store: paper %q has no vector", id)
	}
	if s.manifest.Dimension != 0 && len(v) != s.manifest.Dimension {
		return fmt.Errorf("%w: paper %q has a %d-dim vector but %q holds %d-dim vectors from %s",
			ErrMismatch, id, len(v), s.dir, s.manifest.Dimension, describe(s.manifest.Info))
	}
	var norm float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("store: paper %q has a vector with NaN or Inf", id)
		}
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		return fmt.Errorf("store: paper %q has a zero vector", id)
	}
	return nil
}

// Delete removes the paper id, or returns ErrNotFound.
func (s *Store) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.coll.GetByID(ctx, id); err != nil {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err := s.coll.Delete(ctx, nil, nil, id); err != nil {
		return fmt.Errorf("store: cannot delete %q: %w", id, err)
	}
	s.manifest.Updated = time.Now().UTC()
	s.manifest.Count = s.coll.Count()
	return s.writeManifest()
}

// Get returns the stored record for id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	if id == "" {
		return Record{}, fmt.Errorf("%w: empty id", ErrNotFound)
	}
	d, err := s.coll.GetByID(ctx, id)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return fromDocument(d.ID, d.Metadata, d.Content, d.Embedding), nil
}

// Hash returns the content hash stored for id, and whether id is stored.
func (s *Store) Hash(ctx context.Context, id string) (string, bool) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return "", false
	}
	return r.Hash, true
}

// Filter decides whether a stored paper may be returned by Nearest; nil
// lets every paper through. It must not keep or modify p.
type Filter func(p *paper.Paper) bool

// Each calls fn for every stored record, in no particular order, until fn
// returns an error, which Each returns.
func (s *Store) Each(ctx context.Context, fn func(Record) error) error {
	n := s.coll.Count()
	if n == 0 || s.manifest.Dimension == 0 {
		return nil
	}
	// chromem-go has no iterator: a query for every document returns them all.
	probe := make([]float32, s.manifest.Dimension)
	probe[0] = 1
	res, err := s.coll.QueryEmbedding(ctx, probe, n, nil, nil)
	if err != nil {
		return fmt.Errorf("store: cannot list papers: %w", err)
	}
	for _, r := range res {
		if err := fn(fromDocument(r.ID, r.Metadata, r.Content, r.Embedding)); err != nil {
			return err
		}
	}
	return nil
}

// Nearest returns the n papers whose vectors are closest to v by cosine
// similarity, best first, that pass filter (nil: all), leaving out the ids
// in exclude. n larger than the collection is fine: it returns what there is.
func (s *Store) Nearest(ctx context.Context, v []float32, n int, filter Filter, exclude ...string) ([]paper.Hit, error) {
	if n <= 0 {
		return nil, nil
	}
	if s.manifest.Dimension != 0 && len(v) != s.manifest.Dimension {
		return nil, fmt.Errorf("%w: query vector has %d dims, %q holds %d", ErrMismatch, len(v), s.dir, s.manifest.Dimension)
	}
	// chromem-go fails when asked for more results than it holds, and has no
	// way to skip ids: ask for at most what it holds, plus the excluded ids.
	ask := min(n+len(exclude), s.coll.Count())
	if filter != nil { // chromem-go filters only by equality: rank all, then filter
		ask = s.coll.Count()
	}
	if ask == 0 {
		return nil, nil
	}
	res, err := s.coll.QueryEmbedding(ctx, v, ask, nil, nil)
	if err != nil {
		// The collection may have shrunk between Count and the query.
		if ask = min(ask, s.coll.Count()); ask == 0 {
			return nil, nil
		}
		if res, err = s.coll.QueryEmbedding(ctx, v, ask, nil, nil); err != nil {
			return nil, fmt.Errorf("store: query failed: %w", err)
		}
	}
	hits := make([]paper.Hit, 0, min(n, len(res)))
	for _, r := range res {
		if len(hits) == n {
			break
		}
		if contains(exclude, r.ID) {
			continue
		}
		rec := fromDocument(r.ID, r.Metadata, r.Content, nil)
		if filter != nil && !filter(&rec.Paper) {
			continue
		}
		hits = append(hits, paper.Hit{Paper: rec.Paper, Score: float64(r.Similarity)})
	}
	// Equal scores come back in map order; make ties deterministic.
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	return hits, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Metadata keys of a stored document; the abstract is its content.
const (
	keyTitle      = "title"
	keyAuthors    = "authors"
	keyPublished  = "published"
	keyCategories = "categories"
	keyURL        = "url"
	keyHash       = "hash"
)

func toDocument(r Record) chromem.Document {
	p := r.Paper
	return chromem.Document{
		ID: p.ID,
		Metadata: map[string]string{
			keyTitle:      p.Title,
			keyAuthors:    joinList(p.Authors),
			keyPublished:  p.Published,
			keyCategories: joinList(p.Categories),
			keyURL:        p.URL,
			keyHash:       r.Hash,
		},
		Embedding: r.Vector,
		Content:   p.Abstract,
	}
}

func fromDocument(id string, md map[string]string, content string, vec []float32) Record {
	return Record{
		Paper: paper.Paper{
			ID:         id,
			Title:      md[keyTitle],
			Abstract:   content,
			Authors:    splitList(md[keyAuthors]),
			Published:  md[keyPublished],
			Categories: splitList(md[keyCategories]),
			URL:        md[keyURL],
		},
		Hash:   md[keyHash],
		Vector: vec,
	}
}

// Lists are kept as JSON arrays: author names may contain commas.
func joinList(l []string) string {
	if len(l) == 0 {
		return ""
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func splitList(s string) []string {
	var l []string
	if s == "" || json.Unmarshal([]byte(s), &l) != nil {
		if s != "" && !strings.HasPrefix(s, "[") {
			return []string{s}
		}
		return []string{}
	}
	return l
}
