package paper_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
)

func TestNormalizeID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2509.03687v2", "2509.03687"},
		{"2509.03687", "2509.03687"},
		{" arXiv:2101.00001v11 ", "2101.00001"},
		{"hep-th/9901001v3", "hep-th/9901001"},
		{"math.GT/0309136v1", "math.GT/0309136"},
		{"hf-some-title-v2", "hf-some-title-v2"},
		{"4983", "4983"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" becomes "+tt.want, func(t *testing.T) {
			if got := paper.NormalizeID(tt.in); got != tt.want {
				t.Errorf("NormalizeID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestContentHashDependsOnlyOnTitleAndAbstract(t *testing.T) {
	p := paper.Paper{ID: "a", Title: "T", Abstract: "A", Authors: []string{"X"}}
	q := p
	q.ID, q.Authors, q.Published = "b", nil, "2020-01-01"
	if p.ContentHash() != q.ContentHash() {
		t.Error("metadata changed the content hash")
	}
	for _, r := range []paper.Paper{{Title: "T2", Abstract: "A"}, {Title: "T", Abstract: "A2"}, {Title: "TA", Abstract: ""}} {
		if r.ContentHash() == p.ContentHash() {
			t.Errorf("%+v has the same hash as %+v", r, p)
		}
	}
}

func TestNormalizeAndValidate(t *testing.T) {
	p := paper.Paper{ID: "2509.03687v2", Title: "  Fast\n Evaluation ", Abstract: " Text. ",
		Authors: []string{" A ", ""}, Published: "2026-04-01T10:00:00Z"}
	p.Normalize()
	if p.ID != "2509.03687" || p.Title != "Fast Evaluation" || p.Abstract != "Text." ||
		len(p.Authors) != 1 || p.Published != "2026-04-01" || p.URL != "https://arxiv.org/abs/2509.03687" || p.Categories == nil {
		t.Errorf("Normalize gave %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	tests := []struct {
		name string
		p    paper.Paper
		want string
	}{
		{"a missing id", paper.Paper{Abstract: "x"}, "missing id"},
		{"a missing abstract", paper.Paper{ID: "a", Title: "t"}, "no abstract"},
		{"an overlong id", paper.Paper{ID: strings.Repeat("x", 300), Abstract: "x"}, "longer"},
		{"a NUL in the id", paper.Paper{ID: "a\x00b", Abstract: "x"}, "control"},
		{"invalid UTF-8", paper.Paper{ID: "a", Abstract: "caf\xe9"}, "UTF-8"},
		{"a bad date", paper.Paper{ID: "a", Abstract: "x", Published: "yesterday"}, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if !errors.Is(err, paper.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{"2022-12-08": "2022-12-08", "Dec 8, 2022": "2022-12-08",
		"2026-02-26T17:08:18.000Z": "2026-02-26", "December 8, 2022": "2022-12-08"} {
		if got, err := paper.ParseDate(in); err != nil || got != want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := paper.ParseDate("soon"); err == nil {
		t.Error("ParseDate(soon) succeeded")
	}
}
