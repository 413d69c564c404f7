package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/store"
)

// TestAFolderDamagedByACrashStillOpens damages each file a crash (or a copy
// cut short) can leave half-written and checks the next command opens the
// folder, answers, and keeps the papers.
func TestAFolderDamagedByACrashStillOpens(t *testing.T) {
	const seed = "../../testdata/papers.jsonl"
	// eachFile applies damage to every regular file under dir.
	eachFile := func(dir string, damage func(path string, size int64) error) error {
		return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			return damage(path, fi.Size())
		})
	}
	tests := []struct {
		name   string
		damage func(dir string) error
		papers int // papers after the damage
	}{
		{"a change log with a torn tail", func(dir string) error {
			f, err := os.OpenFile(filepath.Join(dir, store.LogFile), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte{0x40, 0x01, 0, 0, 1, 2, 3, 4, 1, 'x'})
			return err
		}, 38},
		{"a change log whose last frame is garbled", func(dir string) error {
			path := filepath.Join(dir, store.LogFile)
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			copy(b[len(b)-20:], "garbage garbage garb")
			return os.WriteFile(path, b, 0o644)
		}, 37},
		{"a half-written snapshot left before its rename", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, store.SnapshotFile+".tmp"), []byte("\x0f\xff\x81half"), 0o644)
		}, 38},
		{"a garbled manifest", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, store.ManifestFile), []byte(`{"embedder":"buil`), 0o644)
		}, 38},
		{"a word index that is gone", func(dir string) error {
			return os.RemoveAll(filepath.Join(dir, lexical.Dir))
		}, 38},
		{"a word index whose files are cut in half", func(dir string) error {
			return eachFile(filepath.Join(dir, lexical.Dir), func(path string, size int64) error { return os.Truncate(path, size/2) })
		}, 38},
		{"a word index whose files are garbled", func(dir string) error {
			return eachFile(filepath.Join(dir, lexical.Dir), func(path string, size int64) error {
				return os.WriteFile(path, []byte(strings.Repeat("garbage!", int(size/8)+1)), 0o644)
			})
		}, 38},
	}
	for _, tt := range tests {
		t.Run("opens a folder with "+tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if code, errs := runCmd(t, "ingest", "--quiet", "--data", dir, seed); code != 0 {
				t.Fatalf("ingest exited %d: %s", code, errs)
			}
			if err := tt.damage(dir); err != nil {
				t.Fatal(err)
			}
			if code, errs := runCmd(t, "search", "--data", dir, "--limit", "3", "in-context learning"); code != 0 {
				t.Fatalf("search after the damage exited %d: %s", code, errs)
			}
			recs, _ := records(t, dir)
			if len(recs) != tt.papers {
				t.Errorf("%d papers after the damage, want %d", len(recs), tt.papers)
			}
			if code, errs := runCmd(t, "ingest", "--quiet", "--data", dir, seed); code != 0 {
				t.Fatalf("ingest after the damage exited %d: %s", code, errs)
			}
			if recs, _ := records(t, dir); len(recs) != 38 {
				t.Errorf("%d papers after ingesting again, want 38", len(recs))
			}
		})
	}
}
