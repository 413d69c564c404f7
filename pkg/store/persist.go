package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"github.com/paperlens/paperlens/pkg/paper"
	"hash/crc32"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/paperlens/paperlens/pkg/store/vecindex"
	chromem "github.com/philippgille/chromem-go"
)

// Files of a data folder besides the manifest.
const (
	// SnapshotFile is chromem-go's export of the collection (gob), written
	// whole and renamed into place.
	SnapshotFile = "snapshot.gob"
	// LogFile holds the changes made since the snapshot, one checksummed
	// frame per paper upserted or deleted, fsynced before a write returns.
	LogFile = "changes.log"
	// legacyDir is where earlier versions let chromem-go keep one gob file
	// per paper; such a folder is migrated to a snapshot on open.
	legacyDir = "vectors"
)

// minSnapshotLog is how long the log may grow before a snapshot replaces
// it; past that, a snapshot is written once the log is longer than the last
// snapshot, so rewriting the snapshot costs O(1) per change, amortised.
const minSnapshotLog = 64 << 20

// snapshotDB mirrors the value chromem-go's DB.ExportToWriter encodes (gob
// matches fields by name), so a snapshot can be decoded straight into
// documents and chromem-go's DB.ImportFromReader can read it too.
type snapshotDB struct {
	Collections map[string]*snapshotCollection
}

type snapshotCollection struct {
	Name      string
	Metadata  map[string]string
	Documents map[string]*chromem.Document
}

// load fills the collection and index from the snapshot (or an earlier
// version's folder, which it then migrates) and the log.
// fresh says the folder had no (readable) manifest, so the snapshot must
// show which embedder it was built with.
func (s *Store) load(fresh bool) error {
	snapPath := filepath.Join(s.dir, SnapshotFile)
	legacy := filepath.Join(s.dir, legacyDir)
	if _, err := os.Stat(snapPath + ".tmp"); err == nil {
		// A snapshot cut short by a crash before its rename: the log still
		// holds every change it was to hold.
		if err := os.Remove(snapPath + ".tmp"); err != nil {
			return fmt.Errorf("store: cannot remove a half-written snapshot: %w", err)
		}
		slog.Warn("store: removed a snapshot that a crash left half-written (the change log holds its changes)",
			"dir", s.dir, "file", snapPath+".tmp")
	}
	docs, others, size, err := readSnapshot(snapPath, s.manifest.Collection)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		// Snapshots are renamed into place whole, so this is damage from
		// outside (a disk, a copy cut short). Keep the bytes, open with
		// what the log holds, and say how to get the rest back.
		aside, aerr := setAside(snapPath)
		if aerr != nil {
			return fmt.Errorf("%w (and it cannot be moved aside: %v)", err, aerr)
		}
		slog.Error("store: the snapshot is damaged and was moved aside; the folder opens with only the changes "+
			"made since it was written: restore the rest with 'paperlens import' from a backup, or ingest the "+
			"source files again", "dir", s.dir, "moved_to", aside, "error", err)
		err = os.ErrNotExist
	}
	if err == nil && docs == nil && fresh && len(others) > 0 {
		return fmt.Errorf("%w: %q holds collection %q, not %q, and its manifest is missing: open it with the "+
			"embedder and model that built it", ErrMismatch, s.dir, others[0], s.manifest.Collection)
	}
	migrate, fromSnapshot := false, err == nil
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist):
		if fi, lerr := os.Stat(legacy); lerr == nil && fi.IsDir() {
			if docs, err = readLegacy(legacy, s.manifest.Collection); err != nil {
				return err
			}
			migrate = true
		}
	default:
		return err
	}
	if len(docs) > 0 {
		if s.manifest.Dimension == 0 {
			s.manifest.Dimension = len(docs[0].Embedding)
			s.idx = vecindex.New[*entry](s.manifest.Dimension)
		}
		s.idx.Grow(len(docs))
	}
	for _, d := range docs {
		r := fromDocument(d.ID, d.Metadata, d.Content, d.Embedding)
		if len(r.Vector) != s.manifest.Dimension || r.Paper.ID == "" {
			return fmt.Errorf("store: paper %q in %q has a %d-dim vector, the folder holds %d: the folder is damaged; "+
				"delete it and ingest again", r.Paper.ID, s.dir, len(r.Vector), s.manifest.Dimension)
		}
		// The document goes in as decoded (chromem-go copies its metadata and
		// keeps the vector, already a unit vector, which the index shares).
		_ = s.coll.AddDocument(context.Background(), *d)
		s.idx.Set(r.Paper.ID, r.Vector, &entry{paper: r.Paper, hash: r.Hash})
	}
	s.log, err = openLog(filepath.Join(s.dir, LogFile), s.replay)
	if err != nil {
		return err
	}
	s.log.snapshotSize = size
	if migrate {
		if err := s.snapshot(); err != nil {
			return fmt.Errorf("store: cannot migrate %q to a snapshot: %w", s.dir, err)
		}
		slog.Info("store: migrated the data folder from one file per paper to a snapshot",
			"dir", s.dir, "papers", s.idx.Len())
		if lost := s.manifest.Count - len(docs); lost > 0 {
			slog.Warn("store: papers are missing from the data folder, probably lost to chromem-go's 8-character "+
				"file names colliding; ingest the source files again to restore them",
				"dir", s.dir, "manifest_count", s.manifest.Count, "found", len(docs), "missing", lost)
		}
	}
	if _, serr := os.Stat(legacy); serr != nil {
		return nil
	}
	if migrate { // the snapshot holds it all now
		if err := os.RemoveAll(legacy); err != nil {
			return fmt.Errorf("store: cannot remove the migrated %q: %w", legacy, err)
		}
		return nil
	}
	if fromSnapshot {
		// Left by a migration cut short, or written by an earlier version
		// since: not read, but kept aside rather than deleted.
		aside := fmt.Sprintf("%s.old-%d", legacy, time.Now().Unix())
		if err := os.Rename(legacy, aside); err != nil {
			return fmt.Errorf("store: cannot move %q aside: %w", legacy, err)
		}
		slog.Warn("store: the folder has a snapshot and also an earlier version's vectors/; "+
			"the snapshot was read and vectors/ moved aside (ingest again anything added by an earlier version)",
			"dir", s.dir, "moved_to", aside)
	}
	return nil
}

// replay applies one change read from the log while opening.
func (s *Store) replay(c change) error {
	if c.op == opDelete {
		s.remove(c.rec.Paper.ID)
		return nil
	}
	if s.manifest.Dimension == 0 {
		s.manifest.Dimension = len(c.rec.Vector)
		s.idx = vecindex.New[*entry](s.manifest.Dimension)
	}
	if len(c.rec.Vector) != s.manifest.Dimension || c.rec.Paper.ID == "" {
		return fmt.Errorf("paper %q has a %d-dim vector, the folder holds %d", c.rec.Paper.ID, len(c.rec.Vector), s.manifest.Dimension)
	}
	s.apply(c.rec)
	return nil
}

// readSnapshot returns the documents of collection name in the snapshot at
// path, the names of the other collections it holds, and its size.
func readSnapshot(path, name string) ([]*chromem.Document, []string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, 0, err
	}
	var db snapshotDB
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&db); err != nil {
		return nil, nil, 0, fmt.Errorf("store: snapshot %q is damaged (%v)", path, err)
	}
	var others []string
	for n := range db.Collections {
		if n != name {
			others = append(others, n)
		}
	}
	return db.documents(name), others, fi.Size(), nil
}

func decodeSnapshot(r io.Reader, name string) ([]*chromem.Document, error) {
	var db snapshotDB
	if err := gob.NewDecoder(r).Decode(&db); err != nil {
		return nil, err
	}
	return db.documents(name), nil
}

// documents returns the documents of collection name, nil if there is none.
func (db *snapshotDB) documents(name string) []*chromem.Document {
	c := db.Collections[name]
	if c == nil {
		return nil
	}
	docs := make([]*chromem.Document, 0, len(c.Documents))
	for _, d := range c.Documents {
		docs = append(docs, d)
	}
	return docs
}

// readLegacy reads the one-file-per-paper folder of earlier versions.
func readLegacy(dir, name string) ([]*chromem.Document, error) {
	db, err := chromem.NewPersistentDB(dir, false)
	if err != nil {
		return nil, fmt.Errorf("store: cannot read vectors in %q: %w", dir, err)
	}
	if db.GetCollection(name, refuseToEmbed) == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := db.ExportToWriter(&buf, false, "", name); err != nil {
		return nil, fmt.Errorf("store: cannot read vectors in %q: %w", dir, err)
	}
	return decodeSnapshot(&buf, name)
}

// snapshot writes the collection to the snapshot file and empties the log.
// The caller holds s.wmu (so nothing changes the collection meanwhile) or
// owns s. A crash at any point leaves a folder that opens with every change:
// the log is emptied only once the new snapshot is in place, and replaying
// changes the snapshot already holds does no harm.
func (s *Store) snapshot() error {
	start := time.Now()
	path := filepath.Join(s.dir, SnapshotFile)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("store: cannot write a snapshot: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = s.db.ExportToWriter(w, false, "", s.manifest.Collection)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var size int64
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(tmp); err == nil {
			size = fi.Size()
			err = os.Rename(tmp, path)
		}
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: cannot write a snapshot of %q: %w", s.dir, err)
	}
	if err := s.log.reset(); err != nil {
		return err
	}
	s.log.snapshotSize = size
	s.mu.Lock()
	s.written.Snapshot += time.Since(start)
	s.written.Snapshots++
	s.mu.Unlock()
	return nil
}

// maybeSnapshot writes a snapshot when the log has grown past the point
// where replaying it costs more than reading a snapshot. The caller holds
// s.wmu.
func (s *Store) maybeSnapshot() error {
	if s.log == nil || s.log.size <= max(minSnapshotLog, s.log.snapshotSize) {
		return nil
	}
	return s.snapshot()
}

// Snapshot writes a snapshot now and empties the log, so the next open
// reads one file. It is never needed for safety.
func (s *Store) Snapshot() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.log == nil {
		return nil
	}
	return s.snapshot()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// The log is a sequence of frames: the payload's length and CRC-32C (4
// bytes each, little-endian), then the payload: an op byte and, for an
// upsert, the record's fields as length-prefixed strings and the vector as
// float32s; for a delete, the id.
const (
	opUpsert byte = 1
	opDelete byte = 2
)

// maxFrame bounds a frame's length, so a damaged length is not allocated.
const maxFrame = 1 << 28

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type change struct {
	op  byte
	rec paper.Record
}

type changeLog struct {
	f            *os.File
	path         string
	size         int64 // bytes written, as far as this process knows
	snapshotSize int64 // of the snapshot the log continues
}

// openLog replays the log at path through apply and opens it for appending.
// Bytes that are not a whole frame (a write cut short by a crash, never
// acknowledged) are skipped with a warning and left in place; frames
// appended after them are found again past them (resync), and they go away
// with the next snapshot. Leaving them costs nothing and keeps what a crash
// wrote for anyone who wants to look. No other process can be appending
// meanwhile: the folder's LOCK (see lockFolder) admits one process at a
// time.
func openLog(path string, apply func(change) error) (*changeLog, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: cannot open the change log: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: cannot open the change log: %w", err)
	}
	l := &changeLog{f: f, path: path}
	if err := l.replay(apply); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// maxResync bounds how far past a damaged frame the replay looks for the
// next whole one.
const maxResync = 64 << 20

func (l *changeLog) replay(apply func(change) error) error {
	fi, err := l.f.Stat()
	if err != nil {
		return err
	}
	total := fi.Size()
	var off int64
	for off < total {
		end, bad, err := l.replayFrom(off, total, apply)
		if err != nil {
			return err
		}
		if end >= total {
			break
		}
		// Not a whole frame at end: skip to the next one, if any.
		next := l.resync(end, total)
		slog.Warn("store: skipped the half-written end of a change that never finished (it was not acknowledged)",
			"log", l.path, "reason", bad, "at_byte", end, "bytes", next-end)
		off = next
	}
	l.size = total
	return nil
}

// replayFrom applies whole frames from off until the first bad one and
// returns where that one starts (total if none) and what is wrong with it.
func (l *changeLog) replayFrom(off, total int64, apply func(change) error) (int64, string, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(l.f, off, total-off), 1<<20)
	var head [8]byte
	var payload []byte
	for off < total {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return off, "a frame header cut short", nil
		}
		n := int64(binary.LittleEndian.Uint32(head[:4]))
		if n == 0 || n > maxFrame || off+8+n > total {
			return off, "a frame cut short", nil
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(r, payload); err != nil {
			return off, "", fmt.Errorf("store: cannot read %q: %w", l.path, err)
		}
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(head[4:]) {
			return off, "a frame with a wrong checksum", nil
		}
		c, err := decodeChange(payload)
		if err == nil {
			err = apply(c)
		}
		if err != nil { // a whole frame we wrote but cannot use: stop, lose nothing
			return off, "", fmt.Errorf("store: change log %q is damaged at byte %d (%v): move it aside to open the "+
				"folder without the changes it holds, then ingest them again", l.path, off, err)
		}
		off += 8 + n
	}
	return off, "", nil
}

// resync returns the offset of the first whole frame after the bad one at
// off, or total if there is none.
func (l *changeLog) resync(off, total int64) int64 {
	size := min(total-off, maxResync)
	buf := make([]byte, size)
	if _, err := l.f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return total
	}
	for i := int64(1); i+8 <= size; i++ {
		n := int64(binary.LittleEndian.Uint32(buf[i:]))
		if n == 0 || n > maxFrame || off+i+8+n > total {
			continue
		}
		var p []byte
		if i+8+n <= size {
			p = buf[i+8 : i+8+n]
		} else {
			p = make([]byte, n)
			if _, err := l.f.ReadAt(p, off+i+8); err != nil {
				continue
			}
		}
		if crc32.Checksum(p, castagnoli) == binary.LittleEndian.Uint32(buf[i+4:]) {
			return off + i
		}
	}
	return total
}

// append writes frames and fsyncs them. A write that fails half-way leaves
// bytes the next replay skips.
func (l *changeLog) append(frames []byte) (logged, synced time.Duration, err error) {
	start := time.Now()
	_, err = l.f.Write(frames)
	logged = time.Since(start)
	if err == nil {
		err = l.f.Sync()
		synced = time.Since(start) - logged
	}
	if err != nil {
		return logged, synced, fmt.Errorf("store: cannot write the change log %q: %w", l.path, err)
	}
	l.size += int64(len(frames))
	return logged, synced, nil
}

// reset empties the log once a snapshot holds its changes.
func (l *changeLog) reset() error {
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("store: cannot empty the change log: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("store: cannot empty the change log: %w", err)
	}
	l.size = 0
	return nil
}

func (l *changeLog) close() error { return l.f.Close() }

// upserts encodes one frame per record.
func upserts(recs []paper.Record) []byte {
	var b []byte
	for _, r := range recs {
		b = frame(b, func(p []byte) []byte {
			p = append(p, opUpsert)
			for _, s := range []string{r.Paper.ID, r.Paper.Title, r.Paper.Abstract, r.Paper.Published, r.Paper.URL, r.Hash} {
				p = appendString(p, s)
			}
			for _, l := range [][]string{r.Paper.Authors, r.Paper.Categories} {
				p = binary.AppendUvarint(p, uint64(len(l)))
				for _, s := range l {
					p = appendString(p, s)
				}
			}
			p = binary.AppendUvarint(p, uint64(len(r.Vector)))
			for _, x := range r.Vector {
				p = binary.LittleEndian.AppendUint32(p, math.Float32bits(x))
			}
			// The Daily Papers fields follow the vector, and only when a
			// paper has them: frames written before they existed end at
			// the vector, and read as a paper without them.
			if r.Paper.Upvotes != 0 || r.Paper.GithubRepo != "" || r.Paper.ProjectPage != "" {
				p = binary.AppendUvarint(p, uint64(r.Paper.Upvotes))
				p = appendString(p, r.Paper.GithubRepo)
				p = appendString(p, r.Paper.ProjectPage)
			}
			return p
		})
	}
	return b
}

// deletion encodes the frame that deletes id.
func deletion(id string) []byte {
	return frame(nil, func(p []byte) []byte { return appendString(append(p, opDelete), id) })
}

func frame(b []byte, payload func([]byte) []byte) []byte {
	at := len(b)
	b = append(b, make([]byte, 8)...)
	b = payload(b)
	p := b[at+8:]
	binary.LittleEndian.PutUint32(b[at:], uint32(len(p)))
	binary.LittleEndian.PutUint32(b[at+4:], crc32.Checksum(p, castagnoli))
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errShort = errors.New("change ends early")

func decodeChange(p []byte) (change, error) {
	var c change
	if len(p) == 0 {
		return c, errShort
	}
	c.op, p = p[0], p[1:]
	str := func() string {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			p = nil
			return ""
		}
		s := string(p[k : k+int(n)])
		p = p[k+int(n):]
		return s
	}
	count := func(size int) int {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k)/uint64(size) {
			p = nil
			return 0
		}
		p = p[k:]
		return int(n)
	}
	switch c.op {
	case opDelete:
		c.rec.Paper.ID = str()
		if p == nil {
			return c, errShort
		}
		return c, nil
	case opUpsert:
	default:
		return c, fmt.Errorf("unknown change %d", c.op)
	}
	pp := &c.rec.Paper
	pp.ID, pp.Title, pp.Abstract, pp.Published, pp.URL, c.rec.Hash = str(), str(), str(), str(), str(), str()
	for _, l := range []*[]string{&pp.Authors, &pp.Categories} {
		n := count(1)
		*l = make([]string, n)
		for i := range n {
			(*l)[i] = str()
		}
	}
	n := count(4)
	if p == nil {
		return c, errShort
	}
	c.rec.Vector = make([]float32, n)
	for i := range c.rec.Vector {
		c.rec.Vector[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	if p = p[4*n:]; len(p) > 0 {
		up, k := binary.Uvarint(p)
		if k <= 0 || up > math.MaxInt32 {
			return c, errShort
		}
		p = p[k:]
		pp.Upvotes = int(up)
		pp.GithubRepo, pp.ProjectPage = str(), str()
		if p == nil {
			return c, errShort
		}
	}
	return c, nil
}
