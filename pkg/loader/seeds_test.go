package loader

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
)

var update = flag.Bool("update", false, "rewrite testdata/papers.jsonl at the repository root from the seeds page")

const (
	// seedsPage is the Daily Papers page the project started from.
	seedsPage = "../../../shared/seeds/000_ee9ac298a632e074.txt"
	// seedPapers is the page's papers as canonical JSON Lines.
	seedPapers = "../../testdata/papers.jsonl"
)

// TestSeedPapers checks that the seeds page gives its 38 papers and that
// testdata/papers.jsonl holds exactly them. Run it with -update to rewrite
// the file:
//
//	go test ./pkg/loader -run TestSeedPapers -update
func TestSeedPapers(t *testing.T) {
	if _, err := os.Stat(seedsPage); err != nil {
		t.Skipf("seeds page not available, cannot check %s: %v", seedPapers, err)
	}
	var fromPage []paper.Paper
	var want bytes.Buffer
	rep, err := LoadFile(seedsPage, Options{Strict: true}, func(p paper.Paper) error {
		fromPage = append(fromPage, p)
		b, err := json.Marshal(p)
		want.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}

	t.Run("the page gives all 38 papers, each with its date", func(t *testing.T) {
		if rep.Format != HFPage || len(fromPage) != 38 {
			t.Fatalf("read %d papers as %q, want 38 as %q", len(fromPage), rep.Format, HFPage)
		}
		for _, p := range fromPage {
			if p.Published == "" || p.Title == "" {
				t.Errorf("paper %s has no date or no title", p.ID)
			}
		}
		first, last := fromPage[0], fromPage[37]
		if first.Title != "General-Purpose In-Context Learning by Meta-Learning Transformers" || first.Published != "2022-12-08" {
			t.Errorf("first paper = %q of %s, want the in-context learning paper of 2022-12-08", first.Title, first.Published)
		}
		if last.Title != "Understanding the Effects of RLHF on LLM Generalisation and Diversity" || last.Published != "2023-10-10" {
			t.Errorf("last paper = %q of %s, want the RLHF paper of 2023-10-10", last.Title, last.Published)
		}
	})

	if *update {
		if err := os.WriteFile(seedPapers, want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("testdata/papers.jsonl holds what the loader reads from the page", func(t *testing.T) {
		got, err := os.ReadFile(seedPapers)
		if err != nil {
			t.Fatalf("%v: run go test ./pkg/loader -run TestSeedPapers -update", err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s differs from the seeds page: run go test ./pkg/loader -run TestSeedPapers -update", seedPapers)
		}
	})

	t.Run("testdata/papers.jsonl reads back as the same papers", func(t *testing.T) {
		var back []paper.Paper
		rep, err := LoadFile(seedPapers, Options{Strict: true}, func(p paper.Paper) error {
			back = append(back, p)
			return nil
		})
		if err != nil {
			t.Fatalf("LoadFile: %v", err)
		}
		if rep.Format != JSONL || !reflect.DeepEqual(back, fromPage) {
			t.Errorf("read back %d papers as %q, want the page's %d as %q", len(back), rep.Format, len(fromPage), JSONL)
		}
	})
}
