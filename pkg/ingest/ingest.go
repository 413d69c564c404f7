// Package ingest is the write road: it reads papers, embeds the ones whose
// text is new or changed, and stores them in the vector store and the word
// index, which it keeps in step. A paper whose title and abstract are
// unchanged keeps its vector: re-ingesting a file embeds nothing.
package ingest

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"golang.org/x/sync/errgroup"
)

// DefaultBatchSize is how many papers are embedded and stored together.
const DefaultBatchSize = 64

// Stats counts what an ingest did. Embedded counts the texts sent to the
// embedder: Added plus the Updated papers whose text changed.
type Stats struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Embedded  int `json:"embedded"`
}

// Total is the number of papers seen.
func (s Stats) Total() int { return s.Added + s.Updated + s.Unchanged }

func (s *Stats) add(o Stats) {
	s.Added += o.Added
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
	s.Embedded += o.Embedded
}

// Target is where an ingester writes: a backend (package backend opens
// one: the embedded store with its word index, or a Weaviate cluster).
type Target interface {
	// Stored returns the stored records, vectors included, of those ids
	// that are stored.
	Stored(ctx context.Context, ids []string) (map[string]paper.Record, error)
	// Write stores recs, whose vectors are filled, replacing the papers
	// with the same ids. When it fails, a record may or may not be stored,
	// but no other stored paper is lost.
	Write(ctx context.Context, recs []paper.Record) error
	// Delete removes the paper id, or wraps paper.ErrNotFound.
	Delete(ctx context.Context, id string) error
}

// Ingester embeds and stores papers. BatchSize may be set before use.
type Ingester struct {
	embedder embeddings.Embedder
	target   Target
	// BatchSize is how many papers are embedded and then stored at once;
	// a failure loses at most the batch in flight. 0 means DefaultBatchSize.
	BatchSize int
}

// NewTo returns an ingester that embeds with e and writes to t.
func NewTo(e embeddings.Embedder, t Target) *Ingester {
	return &Ingester{embedder: e, target: t}
}

// Delete removes the paper id, or wraps paper.ErrNotFound.
func (in *Ingester) Delete(ctx context.Context, id string) error {
	return in.target.Delete(ctx, paper.NormalizeID(id))
}

// Upsert normalises and stores papers, embedding only those whose content
// hash differs from the stored one. All papers are validated first: if one is
// invalid nothing is stored and the error names it. Papers are written batch
// by batch; if embedding fails, the batches before are kept and the returned
// Stats count them.
func (in *Ingester) Upsert(ctx context.Context, papers []paper.Paper) (Stats, error) {
	clean := make([]paper.Paper, 0, len(papers))
	pos := make(map[string]int, len(papers))
	for i, p := range papers {
		p.Normalize()
		if err := p.Validate(); err != nil {
			return Stats{}, fmt.Errorf("paper %d: %w", i+1, err)
		}
		if j, ok := pos[p.ID]; ok { // the later copy wins
			clean[j] = p
			continue
		}
		pos[p.ID] = len(clean)
		clean = append(clean, p)
	}
	var total Stats
	size := cmp.Or(max(in.BatchSize, 0), DefaultBatchSize)
	for start := 0; start < len(clean); start += size {
		b, err := in.prepare(ctx, clean[start:min(start+size, len(clean))])
		if err == nil {
			err = in.commit(ctx, b)
		}
		if err != nil {
			return total, err
		}
		total.add(b.stats)
	}
	return total, nil
}

// batch is a batch of papers ready to be written: the records to store
// (vectors filled) and what was done to get them.
type batch struct {
	recs  []paper.Record
	stats Stats
}

// prepare decides which papers of a batch are new, changed or unchanged, and
// embeds the ones whose text is new or changed. It writes nothing.
func (in *Ingester) prepare(ctx context.Context, papers []paper.Paper) (batch, error) {
	var st Stats
	var recs []paper.Record
	var toEmbed []int // indexes into recs
	ids := make([]string, len(papers))
	for i, p := range papers {
		ids[i] = p.ID
	}
	stored, err := in.target.Stored(ctx, ids)
	if err != nil {
		return batch{}, err
	}
	for _, p := range papers {
		hash := p.ContentHash()
		old, ok := stored[p.ID]
		switch {
		case !ok: // new
			st.Added++
		case old.Hash == hash && old.Paper.Equal(p):
			st.Unchanged++
			continue
		case old.Hash == hash: // metadata only: keep the vector
			st.Updated++
			recs = append(recs, paper.Record{Paper: p, Hash: hash, Vector: old.Vector})
			continue
		default:
			st.Updated++
		}
		toEmbed = append(toEmbed, len(recs))
		recs = append(recs, paper.Record{Paper: p, Hash: hash})
	}
	if len(toEmbed) > 0 {
		texts := make([]string, len(toEmbed))
		for i, r := range toEmbed {
			texts[i] = recs[r].Paper.Text()
		}
		vecs, err := in.embedder.Embed(ctx, texts, embeddings.Document)
		if err != nil {
			return batch{}, fmt.Errorf("cannot embed papers %s…: %w", recs[toEmbed[0]].Paper.ID, err)
		}
		if len(vecs) != len(texts) {
			return batch{}, fmt.Errorf("embedder returned %d vectors for %d texts", len(vecs), len(texts))
		}
		for i, r := range toEmbed {
			recs[r].Vector = vecs[i]
		}
		st.Embedded = len(texts)
	}
	return batch{recs: recs, stats: st}, nil
}

// commit writes a prepared batch.
func (in *Ingester) commit(ctx context.Context, b batch) error {
	if len(b.recs) == 0 {
		return nil
	}
	return in.target.Write(ctx, b.recs)
}

// Progress reports how far a file ingest has come.
type Progress struct {
	Path      string
	BytesRead int64
	BytesSize int64
	Stats     Stats
}

// File ingests the papers of one file in the given format, in batches, and
// reports progress after each batch if progress is not nil. Malformed
// records are skipped and listed in the report, or with opts.Strict stop the
// ingest after the papers read before them are stored. Papers stored before
// an error stay stored.
func (in *Ingester) File(ctx context.Context, path string, opts loader.Options, progress func(Progress)) (Stats, loader.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, loader.Report{}, fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	cr := &countingReader{r: f}
	batchSize := cmp.Or(max(in.BatchSize, 0), DefaultBatchSize)

	// Three stages overlap: one reads the next batch of the file, one
	// embeds, one writes (word index, store, fsync), so that the embedder
	// is asked for batch after batch and, with a slow embedder (a model
	// server), the reads and writes cost almost nothing. When embedding or
	// writing fails, the stages stop, and every batch handed to the writer
	// before is still written: the writer works under ctx, not the group's.
	type read struct {
		papers    []paper.Paper
		bytesRead int64
	}
	type job struct {
		b         batch
		bytesRead int64
	}
	reads := make(chan read, 1)
	jobs := make(chan job, 1)
	g, gctx := errgroup.WithContext(ctx)
	var (
		rep     loader.Report
		loadErr error // a malformed record with opts.Strict, kept apart: it must not stop the other stages
		total   Stats
	)
	g.Go(func() error {
		defer close(reads)
		pending := make([]paper.Paper, 0, batchSize)
		send := func() error {
			select {
			case reads <- read{papers: pending, bytesRead: cr.n}:
				pending = make([]paper.Paper, 0, batchSize)
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		var err error
		rep, err = loader.Load(cr, opts, func(p paper.Paper) error {
			pending = append(pending, p)
			if len(pending) >= batchSize {
				return send()
			}
			return gctx.Err()
		})
		if gctx.Err() != nil {
			return gctx.Err()
		}
		// Papers read before a malformed record (with opts.Strict) are
		// valid: keep them.
		if len(pending) > 0 {
			if serr := send(); serr != nil {
				return serr
			}
		}
		loadErr = err
		return nil
	})
	g.Go(func() error {
		defer close(jobs)
		for r := range reads {
			// The loader hands on papers already normalised, valid and unique.
			b, err := in.prepare(gctx, r.papers)
			if err != nil {
				return err
			}
			select {
			case jobs <- job{b: b, bytesRead: r.bytesRead}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		for j := range jobs {
			if err := in.commit(ctx, j.b); err != nil {
				return err
			}
			total.add(j.b.stats)
			if progress != nil {
				progress(Progress{Path: path, BytesRead: j.bytesRead, BytesSize: size, Stats: total})
			}
		}
		return nil
	})
	if err := cmp.Or(g.Wait(), loadErr); err != nil {
		return total, rep, fmt.Errorf("%s: %w", path, err)
	}
	return total, rep, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
