package loader

import (
	"os"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
)

// sharedData is the project's shared data, relative to this package.
const sharedData = "../../../shared/data/"

func TestLoadReadsTheRealSamples(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		format     Format
		wantFormat Format
		wantRead   int
		check      func(paper.Paper) bool
	}{
		{
			name: "the arXiv dump is detected as JSON Lines and read whole", path: sharedData + "arxiv-2026q2/papers.jsonl",
			wantFormat: JSONL, wantRead: 20426,
			check: func(p paper.Paper) bool {
				return p.ID == "2509.03687" && p.Title == "Fast Evaluation of Derivatives of Green's Functions Using Recurrences" &&
					len(p.Authors) == 2 && p.Authors[1] == "Andreas Kloeckner" && p.Published == "2026-04-01" &&
					len(p.Categories) == 2 && p.Categories[0] == "cs.CE" && p.URL == "https://arxiv.org/abs/2509.03687"
			},
		},
		{
			name: "the SciFact corpus is detected as BEIR", path: sharedData + "scifact/corpus.jsonl",
			wantFormat: BEIR, wantRead: 5183,
			check: func(p paper.Paper) bool {
				return p.ID == "4983" && p.Title == "Microstructural development of human newborn cerebral white matter assessed in vivo by diffusion tensor magnetic resonance imaging." &&
					len(p.Abstract) > 100
			},
		},
		{
			name: "the Daily Papers example entry is detected as HF", path: sharedData + "hf-daily-papers/example_entry.json",
			wantFormat: HF, wantRead: 1,
			check: func(p paper.Paper) bool {
				return p.ID == "2602.23229" && p.Title == "Large Multimodal Models as General In-Context Classifiers" &&
					len(p.Authors) == 5 && p.Authors[0] == "Marco Garosi" && p.Published == "2026-02-26"
			},
		},
		{
			name: "the Daily Papers example entry reads as HF when asked", path: sharedData + "hf-daily-papers/example_entry.json",
			format: HF, wantFormat: HF, wantRead: 1,
			check: func(p paper.Paper) bool { return p.ID == "2602.23229" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(tt.path); err != nil {
				t.Skipf("shared data not available: %v", err)
			}
			found := false
			rep, err := LoadFile(tt.path, Options{Format: tt.format, Strict: true}, func(p paper.Paper) error {
				found = found || tt.check(p)
				return nil
			})
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			if rep.Format != tt.wantFormat || rep.Read != tt.wantRead || len(rep.Skipped) != 0 {
				t.Errorf("got format %q, %d papers, %d skipped; want %q, %d, 0", rep.Format, rep.Read, len(rep.Skipped), tt.wantFormat, tt.wantRead)
			}
			if !found {
				t.Errorf("the known record was not read as expected")
			}
		})
	}
}
