package loader

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/paper"
)

// fuzzSeeds are small inputs of every format, good and broken, that the
// fuzzer mutates.
var fuzzSeeds = []string{
	`{"id":"2509.03687v2","title":"T","abstract":"A.","authors":["X"],"categories":["cs.LG"],"date":"2026-04-01"}` + "\n",
	`{"_id":"4983","title":"T","text":"Some text.","metadata":{}}` + "\n",
	`[{"paper":{"id":"2602.23229","title":"T","summary":"S.","authors":[{"name":"A"}],"publishedAt":"2026-02-26T17:08:18.000Z"}}]`,
	"Daily Papers\n\nA Title\n\nAn abstract that says something.\n\n  • 4 authors\n·\nDec 8, 2022\n",
	`{"id":"a","title":"T","abstract":`,
	"[{\"paper\":",
	"\xff\xfe{\"id\":1}",
	"{\"id\":\"a\",\"abstract\":\"x\"}\n{\"id\":\"a\",\"abstract\":\"y\"}\n",
	"",
}

// fuzzLoad checks what must hold for any input in any format: no panic,
// every paper handed on is valid and normalised, ids are unique, and every
// skipped record names a line.
func fuzzLoad(t *testing.T, data []byte, f Format, strict bool) {
	seen := map[string]bool{}
	rep, err := Load(bytes.NewReader(data), Options{Format: f, Strict: strict}, func(p paper.Paper) error {
		if verr := p.Validate(); verr != nil {
			t.Fatalf("emitted an invalid paper: %v", verr)
		}
		if p.ID != paper.NormalizeID(p.ID) {
			t.Fatalf("emitted an id that is not normalised: %q", p.ID)
		}
		if seen[p.ID] {
			t.Fatalf("emitted id %q twice", p.ID)
		}
		if !utf8.ValidString(p.Title) || !utf8.ValidString(p.Abstract) {
			t.Fatalf("emitted text that is not UTF-8")
		}
		seen[p.ID] = true
		return nil
	})
	if rep.Read != len(seen) {
		t.Fatalf("report says %d read, %d were emitted", rep.Read, len(seen))
	}
	for _, le := range rep.Skipped {
		if le.Line < 0 || le.Err == nil || !strings.Contains(le.Error(), "line") && !strings.Contains(le.Error(), "entry") {
			t.Fatalf("skipped record without a place or reason: %+v", le)
		}
	}
	var le *LineError
	if strict && len(rep.Skipped) > 0 && !errors.As(err, &le) {
		t.Fatalf("strict read skipped %d records but returned %v", len(rep.Skipped), err)
	}
}

func fuzzFormat(f *testing.F, format Format) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, strict bool) { fuzzLoad(t, data, format, strict) })
}

// Run one with: go test ./pkg/loader -run '^$' -fuzz FuzzLoadJSONL -fuzztime 60s
func FuzzLoadAuto(f *testing.F)   { fuzzFormat(f, Auto) }
func FuzzLoadJSONL(f *testing.F)  { fuzzFormat(f, JSONL) }
func FuzzLoadBEIR(f *testing.F)   { fuzzFormat(f, BEIR) }
func FuzzLoadHF(f *testing.F)     { fuzzFormat(f, HF) }
func FuzzLoadHFPage(f *testing.F) { fuzzFormat(f, HFPage) }
