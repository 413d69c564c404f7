package harvest_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/harvest/harvesttest"
	"github.com/paperlens/paperlens/pkg/paper"
)

func pp(id, abstract string) paper.Paper {
	return paper.Paper{ID: id, Title: "Title of " + id, Abstract: abstract}
}

func TestRunStoresPagesThenMovesTheCursor(t *testing.T) {
	ctx := context.Background()
	f := harvesttest.Open(t, t.TempDir(), 0)
	run, err := harvest.NewRun(f.Dir, "arxiv cs", f, &harvest.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if got := run.Cursor(); got != (harvest.Cursor{}) {
		t.Fatalf("a folder never synced has cursor %+v, want the zero cursor", got)
	}
	pages := []harvest.Page{
		{URL: "u1", Entries: 3, Papers: []paper.Paper{pp("2611.00001", "One."), pp("2611.00002", "Two."), pp("2611.00003", "")},
			Cursor: harvest.Cursor{From: "2026-11-20", Token: "t1", Latest: "2026-11-21"}, Ends: true},
		{URL: "u2", Entries: 3, Papers: []paper.Paper{pp("2611.00001", "One.")}, Deleted: []string{"2611.00002", "2611.09999"},
			Skipped: []harvest.Skip{{ID: "2611.00004", Reason: "record has no metadata"}},
			Cursor:  harvest.Cursor{Done: "2026-11-22"}, Ends: true},
	}
	var progress []harvest.Report
	run.Progress = func(r harvest.Report) { progress = append(progress, r) }
	for _, p := range pages {
		if err := run.Store(ctx, p); err != nil {
			t.Fatalf("Store(%s): %v", p.URL, err)
		}
	}
	rep := run.Report()

	t.Run("valid papers are stored, withdrawn ones deleted", func(t *testing.T) {
		if got, want := f.IDs(t), []string{"2611.00001"}; !reflect.DeepEqual(got, want) {
			t.Errorf("stored %v, want %v", got, want)
		}
	})
	t.Run("the report counts each paper once as added and again as unchanged, and names each skip", func(t *testing.T) {
		if rep.Added != 2 || rep.Unchanged != 1 || rep.Deleted != 1 || rep.Entries != 6 || rep.Units != 2 || rep.Embedded != 2 {
			t.Errorf("report %+v, want 2 added, 1 unchanged, 1 deleted (the other was never stored), 6 records, 2 pages, 2 embedded", rep)
		}
		var skips []string
		for _, s := range rep.Skipped {
			skips = append(skips, s.String())
		}
		if want := []string{`2611.00003: paper "2611.00003" has no abstract`, "2611.00004: record has no metadata"}; !reflect.DeepEqual(skips, want) {
			t.Errorf("skipped %q, want %q", skips, want)
		}
		if !strings.HasPrefix(rep.String(), "arxiv cs: 2 pages, 6 records, 2 added, 1 unchanged, 1 deleted, 2 skipped; 0 updated, 2 embedded") {
			t.Errorf("summary %q", rep.String())
		}
		if len(progress) != 2 || progress[1].Added != 2 {
			t.Errorf("progress was reported %d times (%+v), want once per page", len(progress), progress)
		}
	})
	t.Run("the cursor saved is the last page's", func(t *testing.T) {
		c, err := harvest.LoadCursor(f.Dir, "arxiv cs")
		if err != nil {
			t.Fatal(err)
		}
		if c.Done != "2026-11-22" || c.Token != "" || c.Source != "arxiv cs" || c.Saved.IsZero() {
			t.Errorf("cursor %+v, want done 2026-11-22 with no token", c)
		}
		if _, err := os.Stat(filepath.Join(f.Dir, "sync", "arxiv_cs.json")); err != nil {
			t.Errorf("the cursor file is not where the docs say: %v", err)
		}
	})
}

func TestRunKeepsTheCursorWhenStoringFails(t *testing.T) {
	ctx := context.Background()
	f := harvesttest.Open(t, t.TempDir(), 3) // the embedder goes away after 3 papers
	run, err := harvest.NewRun(f.Dir, "hf-daily", f, &harvest.Client{})
	if err != nil {
		t.Fatal(err)
	}
	ok := harvest.Page{URL: "day1", Papers: []paper.Paper{pp("2611.00001", "One."), pp("2611.00002", "Two.")}, Cursor: harvest.Cursor{Done: "2026-11-20"}, Ends: true}
	if err := run.Store(ctx, ok); err != nil {
		t.Fatal(err)
	}
	bad := harvest.Page{URL: "day2", Papers: []paper.Paper{pp("2611.00003", "Three."), pp("2611.00004", "Four.")}, Cursor: harvest.Cursor{Done: "2026-11-21"}, Ends: true}
	err = run.Store(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "day2") || !strings.Contains(err.Error(), "embedder went away") {
		t.Fatalf("Store = %v, want the embedder's error naming the page", err)
	}
	c, err := harvest.LoadCursor(f.Dir, "hf-daily")
	if err != nil {
		t.Fatal(err)
	}
	if c.Done != "2026-11-20" || run.Cursor().Done != "2026-11-20" {
		t.Errorf("cursor at %q (run says %q) after the failed page, want it still at 2026-11-20", c.Done, run.Cursor().Done)
	}
	if got := f.IDs(t); !reflect.DeepEqual(got, []string{"2611.00001", "2611.00002"}) {
		t.Errorf("stored %v, want the first page's papers kept", got)
	}
}

func TestLoadCursorSaysHowToRecoverFromADamagedFile(t *testing.T) {
	dir := t.TempDir()
	if err := harvest.SaveCursor(dir, "hf-daily", harvest.Cursor{Done: "2026-11-20"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sync", "hf-daily.json")
	if err := os.WriteFile(path, []byte(`{"done": "2026-`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := harvest.LoadCursor(dir, "hf-daily")
	if err == nil || !strings.Contains(err.Error(), "remove it and run sync with --from") {
		t.Errorf("LoadCursor = %v, want an error saying how to start again", err)
	}
}
