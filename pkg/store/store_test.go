package store_test

import (
	"context"
	"errors"
	"iter"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

var info3 = embeddings.Info{Embedder: "test", Model: "axes", Dimension: 3}

// rec makes a record whose vector points along the given direction.
func rec(id string, v ...float32) paper.Record {
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	p := paper.Paper{ID: id, Title: "Title " + id, Abstract: "Abstract of " + id,
		Authors: []string{"Ada Lovelace", "Smith, J."}, Categories: []string{"cs.LG"}, Published: "2024-01-02"}
	return paper.Record{Paper: p, Hash: p.ContentHash(), Vector: v}
}

func open(t *testing.T, dir string, info embeddings.Info) *store.Store {
	t.Helper()
	s, err := store.Open(dir, info)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// reopen closes s and opens its folder again, as the next process would.
func reopen(t *testing.T, s *store.Store, info embeddings.Info) *store.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return open(t, s.Dir(), info)
}

func TestStorePersistsAndReopens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, info3)
	if err := s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0), rec("b", 0, 1, 0), rec("c", 1, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, info3) // the next process sees the same
	if got := s.Count(); got != 3 {
		t.Fatalf("count after reopen = %d, want 3", got)
	}
	got, err := s.Get(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	want := rec("b", 0, 1, 0)
	if got.Paper.Title != want.Paper.Title || got.Paper.Abstract != want.Paper.Abstract ||
		strings.Join(got.Paper.Authors, "|") != "Ada Lovelace|Smith, J." || got.Paper.Published != "2024-01-02" ||
		got.Hash != want.Hash || len(got.Vector) != 3 {
		t.Errorf("Get(b) = %+v, want %+v", got, want)
	}
	m := s.Manifest()
	if m.Count != 3 || m.Dimension != 3 || m.Embedder != "test" || m.Model != "axes" {
		t.Errorf("manifest = %+v", m)
	}
}

func TestStoreNearest(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), info3)
	if err := s.Upsert(ctx, []paper.Record{rec("x", 1, 0, 0), rec("xy", 1, 0.5, 0), rec("y", 0, 1, 0), rec("z", 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		n      int
		filter store.Filter
		want   string
	}{
		{"ranks by cosine similarity, best first", 4, nil, "x xy y z"},
		{"returns at most n", 2, nil, "x xy"},
		{"returns what there is when n exceeds the count", 50, nil, "x xy y z"},
		{"leaves out excluded ids and still fills n", 2, paper.Filter{Exclude: []string{"x"}}.Matcher(), "xy y"},
		{"returns nothing for n = 0", 0, nil, ""},
		{"returns only papers that pass the filter, still n of them", 2,
			func(p *paper.Paper) bool { return !strings.HasPrefix(p.ID, "x") }, "y z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := s.Nearest(ctx, []float32{1, 0.1, 0}, tt.n, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range hits {
				ids = append(ids, h.ID)
			}
			if got := strings.Join(ids, " "); got != tt.want {
				t.Errorf("ids = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStoreAllAndPapersYieldEveryRecord(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), info3)
	if err := s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0), rec("b", 0, 1, 0), rec("c", 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		recs    iter.Seq2[paper.Record, error]
		vectors int
	}{
		{"All", s.All(ctx), 3},
		{"Papers", s.Papers(ctx), 0},
	} {
		seen := map[string]bool{}
		for r, err := range tt.recs {
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Vector) != tt.vectors || r.Paper.Title == "" || r.Hash == "" {
				t.Errorf("%s: incomplete record %+v", tt.name, r)
			}
			seen[r.Paper.ID] = true
		}
		if len(seen) != 3 {
			t.Errorf("%s yielded %v; want a, b and c", tt.name, seen)
		}
	}
}

func TestStoreUpsertReplacesAndDeleteRemoves(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, info3)
	if err := s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0), rec("b", 0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	changed := rec("a", 0, 0, 1)
	changed.Paper.Title = "A new title"
	if err := s.Upsert(ctx, []paper.Record{changed}); err != nil {
		t.Fatal(err)
	}
	v := s.Version()
	if err := s.Upsert(ctx, []paper.Record{changed}); err != nil || s.Version() == v {
		t.Errorf("Version stayed %d across an upsert (err %v)", v, err)
	}
	if got, _ := s.Get(ctx, "a"); got.Paper.Title != "A new title" || s.Count() != 2 {
		t.Errorf("after upsert: title %q, count %d; want the new title and 2 papers", got.Paper.Title, s.Count())
	}
	v = s.Version()
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if s.Version() == v {
		t.Errorf("Version stayed %d across a delete", v)
	}
	if err := s.Delete(ctx, "a"); !errors.Is(err, paper.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, paper.ErrNotFound) {
		t.Errorf("Get after delete = %v, want ErrNotFound", err)
	}
	s = reopen(t, s, info3)
	if s.Count() != 1 || s.Manifest().Count != 1 {
		t.Errorf("after reopen count = %d (manifest %d), want 1", s.Count(), s.Manifest().Count)
	}
}

func TestStoreRefusesAnotherEmbedderOrDimension(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, info3)
	if err := s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		info embeddings.Info
	}{
		{"another embedder", embeddings.Info{Embedder: "ollama", Model: "axes", Dimension: 3}},
		{"another model", embeddings.Info{Embedder: "test", Model: "nomic-embed-text"}},
		{"another dimension", embeddings.Info{Embedder: "test", Model: "axes", Dimension: 768}},
	}
	s.Close()
	for _, tt := range tests {
		t.Run("refuses "+tt.name+" with a message that says how to rebuild", func(t *testing.T) {
			_, err := store.Open(dir, tt.info)
			if !errors.Is(err, store.ErrMismatch) {
				t.Fatalf("Open = %v, want ErrMismatch", err)
			}
			if !strings.Contains(err.Error(), "paperlens ingest --data") {
				t.Errorf("message %q does not say how to rebuild", err)
			}
		})
	}
	t.Run("refuses a vector of another dimension on upsert", func(t *testing.T) {
		s := open(t, dir, info3)
		err := s.Upsert(ctx, []paper.Record{rec("b", 1, 0, 0, 0)})
		if !errors.Is(err, store.ErrMismatch) {
			t.Fatalf("Upsert = %v, want ErrMismatch", err)
		}
		if s.Count() != 1 {
			t.Errorf("count = %d after a refused upsert, want 1", s.Count())
		}
	})
	t.Run("learns the dimension when the embedder does not know it yet", func(t *testing.T) {
		s, err := store.Open(dir, embeddings.Info{Embedder: "test", Model: "axes"})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
}

func TestStoreRejectsBadRecords(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), info3)
	nan := rec("n", 1, 0, 0)
	nan.Vector[1] = float32(math.NaN())
	noAbstract := rec("e", 1, 0, 0)
	noAbstract.Paper.Abstract = ""
	tests := []struct {
		name string
		rec  paper.Record
	}{
		{"a vector with NaN", nan},
		{"a zero vector", paper.Record{Paper: rec("z", 1, 0, 0).Paper, Vector: []float32{0, 0, 0}}},
		{"no vector", paper.Record{Paper: rec("v", 1, 0, 0).Paper}},
		{"a paper without abstract", noAbstract},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			if err := s.Upsert(ctx, []paper.Record{tt.rec}); err == nil {
				t.Fatal("Upsert succeeded")
			}
			if s.Count() != 0 {
				t.Errorf("count = %d, want 0", s.Count())
			}
		})
	}
}

func TestStoreRepairsADamagedManifest(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		manifest []byte
	}{
		{"garbled", []byte("{not json")},
		{"empty (written but never flushed)", nil},
	}
	for _, tt := range tests {
		t.Run("opens a folder whose manifest is "+tt.name+", keeps its papers and sets the manifest aside", func(t *testing.T) {
			logs := captureLog(t)
			dir := t.TempDir()
			snapshotAndLog(t, dir)
			if err := os.WriteFile(filepath.Join(dir, store.ManifestFile), tt.manifest, 0o644); err != nil {
				t.Fatal(err)
			}
			s := open(t, dir, info3)
			if got := ids(t, s); got != "a b c" {
				t.Errorf("papers = %q, want %q", got, "a b c")
			}
			if m := s.Manifest(); m.Count != 3 || m.Dimension != 3 || m.Embedder != info3.Embedder {
				t.Errorf("manifest = %+v, want 3 papers of 3 dims by %s", m, info3.Embedder)
			}
			if aside, _ := filepath.Glob(filepath.Join(dir, store.ManifestFile+".damaged-*")); len(aside) != 1 {
				t.Errorf("damaged manifest set aside as %v, want one file", aside)
			}
			if !strings.Contains(logs.String(), "manifest was damaged") {
				t.Errorf("no log line about the manifest; logged %q", logs.String())
			}
		})
	}
	t.Run("still refuses another embedder when the manifest is gone", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir, info3)
		if err := s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0)}); err != nil {
			t.Fatal(err)
		}
		if err := s.Snapshot(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if err := os.WriteFile(filepath.Join(dir, store.ManifestFile), []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(dir, embeddings.Info{Embedder: "other", Model: "m", Dimension: 3})
		if !errors.Is(err, store.ErrMismatch) {
			t.Fatalf("Open with another embedder = %v, want ErrMismatch", err)
		}
		if got := ids(t, open(t, dir, info3)); got != "a" {
			t.Errorf("papers after the refused open = %q, want %q", got, "a")
		}
	})
}

func TestStoreCollectionNameIsSafeForFiles(t *testing.T) {
	for _, model := range []string{"nomic-embed-text:latest", "../../etc", "a/b c"} {
		name := store.CollectionName(embeddings.Info{Embedder: "ollama", Model: model})
		if strings.ContainsAny(name, "/: ") {
			t.Errorf("CollectionName(%q) = %q contains path characters", model, name)
		}
	}
}

// snapshotAndLog fills dir with papers a and b in the snapshot and c only in
// the change log, and closes it: the shape a crash finds.
func snapshotAndLog(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	s := open(t, dir, info3)
	if err := s.Upsert(ctx, []paper.Record{rec("a", 1, 0, 0), rec("b", 0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, []paper.Record{rec("c", 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestStoreKeepsTheDailyPapersFieldsInTheLogAndTheSnapshot(t *testing.T) {
	ctx := context.Background()
	withFields := rec("hf", 1, 0, 0)
	withFields.Paper.Upvotes, withFields.Paper.GithubRepo, withFields.Paper.ProjectPage = 42, "https://github.com/a/b", "https://a.github.io/"
	plain := rec("plain", 0, 1, 0)
	for _, tc := range []struct {
		name     string
		snapshot bool
	}{{"replayed from the change log", false}, {"read from the snapshot", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, t.TempDir(), info3)
			if err := s.Upsert(ctx, []paper.Record{withFields, plain}); err != nil {
				t.Fatal(err)
			}
			if tc.snapshot {
				if err := s.Snapshot(); err != nil {
					t.Fatal(err)
				}
			}
			s = reopen(t, s, info3)
			for _, want := range []paper.Record{withFields, plain} {
				got, err := s.Get(ctx, want.Paper.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !got.Paper.Equal(want.Paper) {
					t.Errorf("after reopening, %s = %+v, want %+v", want.Paper.ID, got.Paper, want.Paper)
				}
			}
		})
	}
}
