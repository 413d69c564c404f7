package store_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
	chromem "github.com/philippgille/chromem-go"
)

// ids lists the ids of the records of s, sorted.
func ids(t *testing.T, s *store.Store) string {
	t.Helper()
	var l []string
	for r, err := range s.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		l = append(l, r.Paper.ID)
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}

// captureLog sends slog's default logger to a buffer for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

func TestStoreKeepsEveryAcknowledgedChangeAcrossSnapshotsAndLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, info3)
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"papers upserted into the log are there after reopening", func() error {
			return s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0), rec("b", 0, 1, 0), rec("c", 0, 0, 1)})
		}, "a b c"},
		{"a snapshot keeps them and empties the log", func() error { return s.Snapshot() }, "a b c"},
		{"a delete after the snapshot is replayed from the log", func() error { return s.Delete(ctx, "b") }, "a c"},
		{"an upsert after the delete is replayed too", func() error { return s.Upsert(ctx, []paper.Record{rec("d", 1, 1, 1)}) }, "a c d"},
	}
	parent := t
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			s = reopen(parent, s, info3)
			if got := ids(t, s); got != st.want {
				t.Errorf("after reopening: %q, want %q", got, st.want)
			}
		})
	}
}

func TestStoreSnapshotIsChromemExportFormat(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, info3)
	if err := s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0), rec("b", 0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	db := chromem.NewDB()
	if err := db.ImportFromFile(filepath.Join(dir, store.SnapshotFile), ""); err != nil {
		t.Fatalf("chromem-go cannot import the snapshot: %v", err)
	}
	c := db.GetCollection(store.CollectionName(info3), nil)
	if c == nil || c.Count() != 2 {
		t.Fatalf("chromem-go sees %v, want a collection of 2", c)
	}
	if d, err := c.GetByID(ctx, "b"); err != nil || d.Metadata["title"] != "Title b" {
		t.Errorf("document b = %+v, %v", d, err)
	}
}

func TestStoreIgnoresATornLogTail(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"a frame cut in the middle", func(b []byte) []byte { return b[:len(b)-7] }},
		{"a header cut short", func(b []byte) []byte { return append(b, 0x10, 0) }},
		{"a last frame with a wrong checksum", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }},
	}
	for _, tt := range tests {
		t.Run("opens with the whole frames and logs "+tt.name, func(t *testing.T) {
			logs := captureLog(t)
			dir := t.TempDir()
			s := open(t, dir, info3)
			if err := s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0), rec("b", 0, 1, 0)}); err != nil {
				t.Fatal(err)
			}
			if err := s.Upsert(ctx, []paper.Record{rec("c", 0, 0, 1)}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			path := filepath.Join(dir, store.LogFile)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := tt.damage(b)
			if err := os.WriteFile(path, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			s = open(t, dir, info3)
			if fi, err := os.Stat(path); err != nil || fi.Size() != int64(len(damaged)) {
				t.Errorf("opening changed the log, which should keep what a crash left: %v", err)
			}
			want := "a b"
			if strings.Contains(tt.name, "header") {
				want = "a b c"
			}
			if got := ids(t, s); got != want {
				t.Errorf("papers = %q, want %q", got, want)
			}
			if !strings.Contains(logs.String(), "half-written") {
				t.Errorf("no log line about the torn tail; logged %q", logs.String())
			}
			// Writes after the torn bytes are found again past them.
			if err := s.Upsert(ctx, []paper.Record{rec("e", 1, 1, 0)}); err != nil {
				t.Fatal(err)
			}
			if got := ids(t, reopen(t, s, info3)); got != want+" e" {
				t.Errorf("after another write and reopen: %q, want %q", got, want+" e")
			}
		})
	}
}

func TestStoreMigratesAFolderOfOneFilePerPaper(t *testing.T) {
	ctx := context.Background()
	logs := captureLog(t)
	dir := t.TempDir()
	// Write the folder the way the previous version did: chromem-go's own
	// persistence, one gob file per paper under vectors/.
	db, err := chromem.NewPersistentDB(filepath.Join(dir, "vectors"), false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.GetOrCreateCollection(store.CollectionName(info3), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"a", "b", "c"} {
		v := []float32{0, 0, 0}
		v[i] = 1
		r := rec(id, v...)
		md := map[string]string{"title": r.Paper.Title, "authors": `["Ada Lovelace"]`, "hash": r.Hash, "published": "2024-01-02"}
		if err := c.AddDocument(ctx, chromem.Document{ID: id, Metadata: md, Embedding: r.Vector, Content: r.Paper.Abstract}); err != nil {
			t.Fatal(err)
		}
	}
	manifest := fmt.Sprintf(`{"embedder":"test","model":"axes","dimension":3,"collection":%q,"count":4}`, store.CollectionName(info3))
	if err := os.WriteFile(filepath.Join(dir, store.ManifestFile), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}

	s := open(t, dir, info3)
	parent := t
	t.Run("every paper is there, with its metadata and vector", func(t *testing.T) {
		if got := ids(t, s); got != "a b c" {
			t.Fatalf("papers = %q", got)
		}
		r, err := s.Get(ctx, "b")
		if err != nil || r.Paper.Title != "Title b" || r.Paper.Authors[0] != "Ada Lovelace" || r.Vector[1] != 1 {
			t.Errorf("Get(b) = %+v, %v", r, err)
		}
		hits, _ := s.Nearest(ctx, []float32{0, 0, 1}, 1, nil)
		if len(hits) != 1 || hits[0].ID != "c" {
			t.Errorf("Nearest = %+v, want c", hits)
		}
	})
	t.Run("the per-paper files are replaced by a snapshot", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(dir, "vectors")); !os.IsNotExist(err) {
			t.Errorf("vectors/ still there: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, store.SnapshotFile)); err != nil {
			t.Error(err)
		}
		s = reopen(parent, s, info3)
		if got := ids(t, s); got != "a b c" {
			t.Errorf("after a second open: %q", got)
		}
	})
	t.Run("per-paper files that reappear beside the snapshot are moved aside, not deleted", func(t *testing.T) {
		if err := os.MkdirAll(filepath.Join(dir, "vectors", "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if got := ids(t, reopen(parent, s, info3)); got != "a b c" {
			t.Errorf("papers = %q", got)
		}
		aside, _ := filepath.Glob(filepath.Join(dir, "vectors.old-*", "x"))
		if _, err := os.Stat(filepath.Join(dir, "vectors")); !os.IsNotExist(err) || len(aside) != 1 {
			t.Errorf("vectors/ not moved aside: stat %v, aside %v", err, aside)
		}
	})
	t.Run("a paper lost to a file-name collision is reported", func(t *testing.T) {
		if !strings.Contains(logs.String(), "missing=1") {
			t.Errorf("the manifest counted 4 papers, 3 were found, and the log says %q", logs.String())
		}
	})
}

func TestStoreAnswersSearchesWhileWriting(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), info3)
	if err := s.Upsert(ctx, []paper.Record{rec("x", 1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 100 {
			if err := s.Upsert(ctx, []paper.Record{rec(fmt.Sprintf("p%d", i), 0, 1, float32(i))}); err != nil {
				t.Error(err)
				return
			}
			if i%10 == 0 {
				if err := s.Delete(ctx, fmt.Sprintf("p%d", i)); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 200 {
			hits, err := s.Nearest(ctx, []float32{1, 0.01, 0}, 1, nil)
			if err != nil || len(hits) != 1 || hits[0].ID != "x" {
				t.Errorf("Nearest = %v, %v; want x while others are written", hits, err)
				return
			}
			if _, err := s.Get(ctx, "x"); err != nil {
				t.Error(err)
			}
			s.Count()
			s.Manifest()
		}
	}()
	wg.Wait()
	if got := reopen(t, s, info3).Count(); got != 91 {
		t.Errorf("count after reopening = %d, want 91", got)
	}
}
