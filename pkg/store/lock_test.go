package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

func TestStoreLetsOneOpenerAtATime(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, info3)
	t.Run("a second open fails at once, naming the folder and the holder's pid", func(t *testing.T) {
		_, err := store.Open(dir, info3)
		if !errors.Is(err, store.ErrLocked) {
			t.Fatalf("second Open = %v, want ErrLocked", err)
		}
		for _, want := range []string{dir, fmt.Sprintf("(pid %d)", os.Getpid()), "stop it"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not contain %q", err, want)
			}
		}
	})
	t.Run("the folder opens again once the first store is closed", func(t *testing.T) {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		open(t, dir, info3)
	})
	t.Run("a closed store refuses writes instead of losing them", func(t *testing.T) {
		err := s.Upsert(context.Background(), []paper.Record{rec("a", 1, 0, 0)})
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("Upsert after Close = %v, want ErrClosed", err)
		}
	})
}

func TestStoreSetsAsideAHalfWrittenOrDamagedSnapshot(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(dir string) error
		want    string // papers after reopening
		aside   string // glob of the file set aside, "" for none
		logLine string
	}{
		{"a snapshot.tmp a crash left before its rename is removed", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, store.SnapshotFile+".tmp"), []byte("half a gob"), 0o644)
		}, "a b c", "", "half-written"},
		{"a truncated snapshot is set aside and the log still read", func(dir string) error {
			path := filepath.Join(dir, store.SnapshotFile)
			fi, err := os.Stat(path)
			if err != nil {
				return err
			}
			return os.Truncate(path, fi.Size()/2)
		}, "c", store.SnapshotFile + ".damaged-*", "snapshot is damaged"},
		{"a garbled snapshot is set aside and the log still read", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, store.SnapshotFile), []byte("not a gob at all"), 0o644)
		}, "c", store.SnapshotFile + ".damaged-*", "snapshot is damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLog(t)
			dir := t.TempDir()
			snapshotAndLog(t, dir)
			if err := tt.damage(dir); err != nil {
				t.Fatal(err)
			}
			s := open(t, dir, info3)
			if got := ids(t, s); got != tt.want {
				t.Errorf("papers = %q, want %q", got, tt.want)
			}
			if !strings.Contains(logs.String(), tt.logLine) {
				t.Errorf("log %q does not say %q", logs.String(), tt.logLine)
			}
			if _, err := os.Stat(filepath.Join(dir, store.SnapshotFile+".tmp")); !os.IsNotExist(err) {
				t.Errorf("snapshot.tmp still there: %v", err)
			}
			if tt.aside != "" {
				if m, _ := filepath.Glob(filepath.Join(dir, tt.aside)); len(m) != 1 {
					t.Errorf("set aside: %v, want one %s", m, tt.aside)
				}
			}
			// The folder keeps working: a snapshot now holds what survived.
			if err := s.Snapshot(); err != nil {
				t.Fatal(err)
			}
			if got := ids(t, reopen(t, s, info3)); got != tt.want {
				t.Errorf("after a new snapshot: %q, want %q", got, tt.want)
			}
		})
	}
}
