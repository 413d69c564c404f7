package loader

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
)

func FuzzLoadArxivSnapshot(f *testing.F) { fuzzFormat(f, ArxivSnapshot) }

func TestLoadReadsTheArxivMetadataSnapshot(t *testing.T) {
	var got []paper.Paper
	rep, err := LoadFile("../../testdata/sync/arxiv-snapshot.jsonl", Options{Strict: true}, func(p paper.Paper) error {
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if rep.Format != ArxivSnapshot {
		t.Errorf("detected %q, want %q", rep.Format, ArxivSnapshot)
	}
	want := []paper.Paper{
		{
			ID:        "0704.0001",
			Title:     "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
			Abstract:  "A fully differential calculation in perturbative quantum chromodynamics is presented for the production of massive photon pairs at hadron colliders. All next-to-leading order perturbative contributions from quark-antiquark, gluon-(anti)quark, and gluon-gluon subprocesses are included.",
			Authors:   []string{`C. Bal\'azs`, "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"},
			Published: "2007-04-02", Categories: []string{"hep-ph"}, URL: "https://arxiv.org/abs/0704.0001",
		},
		{
			ID:        "hep-th/9901001",
			Title:     "An old-style identifier keeps its slash",
			Abstract:  "Papers submitted before April 2007 have identifiers made of an archive and a number, such as hep-th/9901001. They stay addressable.",
			Authors:   []string{"A. Author", "B. Writer"},
			Published: "1999-01-01", Categories: []string{"hep-th", "math-ph", "math.MP"}, URL: "https://arxiv.org/abs/hep-th/9901001",
		},
		{
			ID:        "2611.01234",
			Title:     "A paper without a version history",
			Abstract:  "When the versions are missing, the date of the last update dates the paper.",
			Authors:   []string{"Ada Lovelace", "Alan Turing"},
			Published: "2026-11-21", Categories: []string{"cs.LG"}, URL: "https://arxiv.org/abs/2611.01234",
		},
	}
	if len(got) != len(want) {
		t.Fatalf("read %d papers, want %d: %v", len(got), len(want), ids(got))
	}
	names := []string{
		"authors_parsed gives the names, and v1 the published date",
		"an old-style id keeps its slash, v1 dates it wherever it is listed, and a TeX break is a space",
		"without versions the update date dates the paper, and the authors string is cut at commas",
	}
	for i := range want {
		t.Run(names[i], func(t *testing.T) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("got  %#v\nwant %#v", got[i], want[i])
			}
		})
	}
}

func TestLoadSkipsBrokenSnapshotRecords(t *testing.T) {
	tests := []struct {
		name, line, wantID, wantMsg string
	}{
		{"a v1 date that is not RFC 1123", `{"id":"2611.00001","abstract":"A.","versions":[{"version":"v1","created":"2026-11-02"}]}`, "2611.00001", "not an RFC 1123 date"},
		{"authors given as a list", `{"id":"2611.00002","abstract":"A.","authors":["A B"],"versions":[]}`, "2611.00002", `field "authors" is a JSON array, want a string`},
		{"no abstract", `{"id":"2611.00003","title":"T","versions":[{"version":"v1","created":"Mon, 2 Nov 2026 10:00:00 GMT"}]}`, "2611.00003", "no abstract"},
		{"truncated JSON", `{"id":"2611.00004","abstract":"A.","versions":[{"vers`, "2611.00004", "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is skipped with its id", func(t *testing.T) {
			got, rep, err := load(t, tt.line+"\n"+`{"id":"2611.09999","abstract":"Fine.","versions":[]}`+"\n", Options{Format: ArxivSnapshot})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(got) != 1 || got[0].ID != "2611.09999" {
				t.Errorf("read %v, want only the good record", ids(got))
			}
			if len(rep.Skipped) != 1 || rep.Skipped[0].ID != tt.wantID || !strings.Contains(rep.Skipped[0].Error(), tt.wantMsg) {
				t.Fatalf("skipped %v, want one for %s saying %q", rep.Skipped, tt.wantID, tt.wantMsg)
			}
		})
	}
}

func TestPlainTextUnwrapsTeX(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"newlines and indentation become one space", "  A line\n  and the next\n", "A line and the next"},
		{"a forced line break is a space", `first\\second \\ third`, "first second third"},
		{"accents and math are kept", `Bal\'azs on $\alpha$`, `Bal\'azs on $\alpha$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in); got != tt.want {
				t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
