package store

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"github.com/paperlens/paperlens/pkg/paper"
	"io"
	"iter"
	"math"

	chromem "github.com/philippgille/chromem-go"
)

// backupFormat names the layout of a backup file, so a later version can
// tell its own backups from older ones.
const backupFormat = "paperlens-backup/1"

// backupHeader opens a backup: what made it and which vectors it holds.
type backupHeader struct {
	Format   string
	Manifest Manifest
}

// ErrNotBackup is returned by ReadBackup for a file that is not a backup
// written by Export.
var ErrNotBackup = errors.New("not a paperlens backup")

// Backup is the content of a backup file: the manifest of the folder it was
// made from and every paper with its vector.
type Backup struct {
	Manifest Manifest
	Records  []paper.Record
}

// Export writes every stored paper with its vector and the folder's
// manifest to w (see WriteBackup). It sees the papers stored when it
// starts; writes made meanwhile go on. It returns the number of papers
// written.
func (s *Store) Export(ctx context.Context, w io.Writer) (int, error) {
	return WriteBackup(w, s.Manifest(), s.All(ctx))
}

// WriteBackup writes recs, made by the embedder m names, to w as a backup
// that ReadBackup reads and Restore stores: one gzip stream holding a gob
// header and then the collection in chromem-go's export format. Any
// backend's papers can be written so, not only a data folder's. The whole
// collection is encoded in memory first (about the size of a snapshot).
func WriteBackup(w io.Writer, m Manifest, recs iter.Seq2[paper.Record, error]) (int, error) {
	if m.Collection == "" {
		m.Collection = CollectionName(m.Info)
	}
	c := &snapshotCollection{
		Name:      m.Collection,
		Metadata:  map[string]string{"embedder": m.Embedder, "model": m.Model},
		Documents: make(map[string]*chromem.Document, m.Count),
	}
	for r, err := range recs {
		if err != nil {
			return 0, err
		}
		d := toDocument(r)
		c.Documents[r.Paper.ID] = &d
	}
	m.Count = len(c.Documents)
	zw := gzip.NewWriter(w)
	enc := gob.NewEncoder(zw)
	if err := enc.Encode(backupHeader{Format: backupFormat, Manifest: m}); err != nil {
		return 0, fmt.Errorf("store: cannot write the backup: %w", err)
	}
	if err := enc.Encode(snapshotDB{Collections: map[string]*snapshotCollection{m.Collection: c}}); err != nil {
		return 0, fmt.Errorf("store: cannot write the backup: %w", err)
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("store: cannot write the backup: %w", err)
	}
	return m.Count, nil
}

// ReadBackup reads a backup written by Export, checking that every vector
// has the dimension its manifest records.
func ReadBackup(r io.Reader) (*Backup, error) {
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNotBackup, err)
	}
	dec := gob.NewDecoder(bufio.NewReaderSize(zr, 1<<20))
	var h backupHeader
	if err := dec.Decode(&h); err != nil || h.Format != backupFormat {
		return nil, fmt.Errorf("%w (no %s header)", ErrNotBackup, backupFormat)
	}
	var db snapshotDB
	if err := dec.Decode(&db); err != nil {
		return nil, fmt.Errorf("store: the backup is damaged or cut short (%v): make it again with 'paperlens export'", err)
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("store: the backup is damaged (%v): make it again with 'paperlens export'", err)
	}
	docs := db.documents(h.Manifest.Collection)
	b := &Backup{Manifest: h.Manifest, Records: make([]paper.Record, 0, len(docs))}
	for _, d := range docs {
		r := fromDocument(d.ID, d.Metadata, d.Content, d.Embedding)
		if len(r.Vector) != h.Manifest.Dimension {
			return nil, fmt.Errorf("store: the backup is damaged: paper %q has a %d-dim vector, its manifest says %d",
				r.Paper.ID, len(r.Vector), h.Manifest.Dimension)
		}
		b.Records = append(b.Records, r)
	}
	if len(b.Records) != h.Manifest.Count {
		return nil, fmt.Errorf("store: the backup is damaged: it holds %d papers, its manifest says %d",
			len(b.Records), h.Manifest.Count)
	}
	return b, nil
}

// Restore stores records read from a backup, replacing papers with the same
// id. Unlike Upsert it keeps each vector bit for bit (Export wrote the unit
// vectors the store holds), after checking it is one. It is as durable as
// Upsert.
func (s *Store) Restore(ctx context.Context, recs []paper.Record) error {
	for _, r := range recs {
		var norm float64
		for _, x := range r.Vector {
			norm += float64(x) * float64(x)
		}
		if math.IsNaN(norm) || math.Abs(norm-1) > 1e-3 {
			return fmt.Errorf("store: paper %q in the backup does not have a unit vector: the backup is damaged", r.Paper.ID)
		}
	}
	return s.upsert(ctx, recs, false)
}
