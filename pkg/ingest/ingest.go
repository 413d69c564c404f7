// Package ingest is the write road: it reads papers, embeds the ones whose
// text is new or changed, and stores them in the vector store and the word
// index, which it keeps in step. A paper whose title and abstract are
// unchanged keeps its vector: re-ingesting a file embeds nothing.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
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

// Target is where an ingester writes: the embedded store with its word
// index (Local), or a remote engine such as a Weaviate cluster.
type Target interface {
	// Stored returns the stored records, vectors included, of those ids
	// that are stored.
	Stored(ctx context.Context, ids []string) (map[string]store.Record, error)
	// Write stores recs, whose vectors are filled, replacing the papers
	// with the same ids. When it fails, a record may or may not be stored,
	// but no other stored paper is lost.
	Write(ctx context.Context, recs []store.Record) error
	// Delete removes the paper id, or wraps store.ErrNotFound.
	Delete(ctx context.Context, id string) error
}

// Local is the embedded target: the store s and its word index lx (see
// lexical.Open).
func Local(s *store.Store, lx *lexical.Index) Target { return local{s: s, lx: lx} }

type local struct {
	s  *store.Store
	lx *lexical.Index
}

func (l local) Stored(ctx context.Context, ids []string) (map[string]store.Record, error) {
	return l.s.GetMany(ctx, ids)
}

// Write writes the word index first, then the store. If the store then
// fails, the index holds papers the store does not, which the query road
// skips and lexical.Open repairs by a rebuild.
func (l local) Write(ctx context.Context, recs []store.Record) error {
	ps := make([]paper.Paper, len(recs))
	for i, r := range recs {
		ps[i] = r.Paper
	}
	if err := l.lx.Upsert(ctx, ps); err != nil {
		return err
	}
	return l.s.Upsert(ctx, recs)
}

func (l local) Delete(ctx context.Context, id string) error {
	if err := l.s.Delete(ctx, id); err != nil {
		return err
	}
	// After the store: if this fails, the index holds one paper more than
	// the store, and lexical.Open rebuilds it.
	return l.lx.Delete(ctx, id)
}

// Ingester embeds and stores papers. BatchSize may be set before use.
type Ingester struct {
	embedder embeddings.Embedder
	target   Target
	// BatchSize is how many papers are embedded and then stored at once;
	// a failure loses at most the batch in flight. 0 means DefaultBatchSize.
	BatchSize int
}

// New returns an ingester that embeds with e and stores into s and its word
// index lx (see lexical.Open).
func New(e embeddings.Embedder, s *store.Store, lx *lexical.Index) *Ingester {
	return NewTo(e, Local(s, lx))
}

// NewTo returns an ingester that embeds with e and writes to t.
func NewTo(e embeddings.Embedder, t Target) *Ingester {
	return &Ingester{embedder: e, target: t}
}

// Delete removes the paper id, or wraps store.ErrNotFound.
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
	size := in.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
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
	recs  []store.Record
	stats Stats
}

// prepare decides which papers of a batch are new, changed or unchanged, and
// embeds the ones whose text is new or changed. It writes nothing.
func (in *Ingester) prepare(ctx context.Context, papers []paper.Paper) (batch, error) {
	var st Stats
	var recs []store.Record
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
			recs = append(recs, store.Record{Paper: p, Hash: hash, Vector: old.Vector})
			continue
		default:
			st.Updated++
		}
		toEmbed = append(toEmbed, len(recs))
		recs = append(recs, store.Record{Paper: p, Hash: hash})
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
	size64 := in.BatchSize
	if size64 <= 0 {
		size64 = DefaultBatchSize
	}

	// Two stages overlap: while one batch is written (word index, store,
	// fsync), the next is read and embedded. With a slow embedder (a model
	// server) the writes then cost almost nothing; on error both stages stop
	// and every batch handed to the writer before is written.
	type job struct {
		b         batch
		bytesRead int64
	}
	jobs := make(chan job, 1)
	var total Stats
	writeErr := make(chan error, 1)
	stopWriter := make(chan struct{})
	go func() {
		var err error
		for j := range jobs {
			if err != nil {
				continue // drain
			}
			if err = in.commit(ctx, j.b); err != nil {
				close(stopWriter)
				continue
			}
			total.add(j.b.stats)
			if progress != nil {
				progress(Progress{Path: path, BytesRead: j.bytesRead, BytesSize: size, Stats: total})
			}
		}
		writeErr <- err
	}()

	// A third stage reads ahead: the next batch is parsed while this one
	// is embedded, so that the embedder is asked for batch after batch
	// without waiting for the file in between.
	type read struct {
		papers    []paper.Paper
		bytesRead int64
	}
	reads := make(chan read, 1)
	stopReader := make(chan struct{})
	readErr := make(chan error, 1)
	var rep loader.Report
	go func() {
		defer close(reads)
		pending := make([]paper.Paper, 0, size64)
		send := func() error {
			select {
			case reads <- read{papers: pending, bytesRead: cr.n}:
				pending = make([]paper.Paper, 0, size64)
				return nil
			case <-stopReader:
				return errReaderStopped
			}
		}
		var err error
		rep, err = loader.Load(cr, opts, func(p paper.Paper) error {
			pending = append(pending, p)
			if len(pending) >= size64 {
				return send()
			}
			return ctx.Err()
		})
		// Papers read before a malformed record (with opts.Strict) are
		// valid: keep them, unless embedding or writing was what failed.
		if len(pending) > 0 && !errors.Is(err, errReaderStopped) && ctx.Err() == nil {
			if serr := send(); err == nil {
				err = serr
			}
		}
		readErr <- err
	}()

	// err is nil here: the file opened.
	for r := range reads {
		if err != nil {
			continue // drain: the reader stops at its next batch
		}
		select {
		case <-stopWriter:
			err = errWriterStopped
		default:
			// The loader hands on papers already normalised, valid and unique.
			var bt batch
			if bt, err = in.prepare(ctx, r.papers); err != nil {
				break
			}
			select {
			case jobs <- job{b: bt, bytesRead: r.bytesRead}:
			case <-stopWriter:
				err = errWriterStopped
			}
		}
		if err != nil {
			close(stopReader)
		}
	}
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	close(jobs)
	if werr := <-writeErr; werr != nil {
		err = werr // the writer's error is the cause of errWriterStopped
	}
	if err != nil {
		return total, rep, fmt.Errorf("%s: %w", path, err)
	}
	return total, rep, nil
}

// errWriterStopped tells the reading stage that the writing stage failed.
var errWriterStopped = errors.New("ingest: writing stopped")

// errReaderStopped tells the stage that reads the file that the stages
// after it failed.
var errReaderStopped = errors.New("ingest: reading stopped")

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
