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
		{"an ESC in the id", paper.Paper{ID: "a\x1bb", Abstract: "x"}, "control"},
		{"a DEL in the id", paper.Paper{ID: "a\x7fb", Abstract: "x"}, "control"},
		{"a C1 control in the id", paper.Paper{ID: "a\u009bb", Abstract: "x"}, "control"},
		{"the id ..", paper.Paper{ID: "..", Abstract: "x"}, "path segment"},
		{"the id .", paper.Paper{ID: ".", Abstract: "x"}, "path segment"},
		{"an id with a .. segment", paper.Paper{ID: "a/../b", Abstract: "x"}, "path segment"},
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

func TestNormalizeDropsControlCharactersFromText(t *testing.T) {
	p := paper.Paper{ID: "a", Title: "Bold \x1b[1mtitle\x1b[0m", Abstract: "Line one\nline\ttwo\x07\u009b.",
		Authors: []string{"\x1b]0;pwned\x07Ada"}, Categories: []string{"cs.LG\x00"}}
	p.Normalize()
	if p.Title != "Bold [1mtitle[0m" || p.Abstract != "Line one\nline\ttwo." || p.Authors[0] != "]0;pwnedAda" || p.Categories[0] != "cs.LG" {
		t.Errorf("Normalize gave %q", []string{p.Title, p.Abstract, p.Authors[0], p.Categories[0]})
	}
}

func TestValidateCapsEveryField(t *testing.T) {
	ok := func() paper.Paper {
		return paper.Paper{ID: "capped", Title: "T", Abstract: "A", Authors: []string{"Ada"}, Categories: []string{"cs.LG"}, URL: "https://example.org/p"}
	}
	names := func(n, size int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strings.Repeat("n", size)
		}
		return out
	}
	tests := []struct {
		name     string
		at, over func(p *paper.Paper)
		overSays string
	}{
		{"the id", func(p *paper.Paper) { p.ID = strings.Repeat("i", paper.MaxIDLength) }, func(p *paper.Paper) { p.ID = strings.Repeat("i", paper.MaxIDLength+1) }, "200"},
		{"the title", func(p *paper.Paper) { p.Title = strings.Repeat("t", paper.MaxTitleLength) }, func(p *paper.Paper) { p.Title = strings.Repeat("t", paper.MaxTitleLength+1) }, "limit is 1000"},
		{"the abstract", func(p *paper.Paper) { p.Abstract = strings.Repeat("a", paper.MaxAbstractLength) }, func(p *paper.Paper) { p.Abstract = strings.Repeat("a", paper.MaxAbstractLength+1) }, "limit is 65536"},
		{"the author count", func(p *paper.Paper) { p.Authors = names(paper.MaxAuthors, 3) }, func(p *paper.Paper) { p.Authors = names(paper.MaxAuthors+1, 3) }, "limit is 10000"},
		{"an author's name", func(p *paper.Paper) { p.Authors = names(1, paper.MaxAuthorLength) }, func(p *paper.Paper) { p.Authors = names(1, paper.MaxAuthorLength+1) }, "limit is 200"},
		{"the category count", func(p *paper.Paper) { p.Categories = names(paper.MaxCategories, 3) }, func(p *paper.Paper) { p.Categories = names(paper.MaxCategories+1, 3) }, "limit is 100"},
		{"a category", func(p *paper.Paper) { p.Categories = names(1, paper.MaxCategoryLength) }, func(p *paper.Paper) { p.Categories = names(1, paper.MaxCategoryLength+1) }, "limit is 64"},
		{"the url", func(p *paper.Paper) { p.URL = "https://e.org/" + strings.Repeat("u", paper.MaxURLLength-14) }, func(p *paper.Paper) { p.URL = "https://e.org/" + strings.Repeat("u", paper.MaxURLLength-13) }, "limit is 2048"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" at its cap is accepted and one over is refused", func(t *testing.T) {
			p := ok()
			tt.at(&p)
			if err := p.Validate(); err != nil {
				t.Errorf("at the cap: %v", err)
			}
			p = ok()
			tt.over(&p)
			if err := p.Validate(); !errors.Is(err, paper.ErrInvalid) || !strings.Contains(err.Error(), tt.overSays) {
				t.Errorf("one over the cap: %v, want ErrInvalid saying %q", err, tt.overSays)
			}
		})
	}
	for _, u := range []string{"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "//evil.example/x", "/relative", "ftp://example.org/x", "https://", "http:///x"} {
		for _, field := range []string{"url", "github_repo", "project_page"} {
			t.Run("a "+field+" of "+u+" is refused", func(t *testing.T) {
				p := ok()
				switch field {
				case "url":
					p.URL = u
				case "github_repo":
					p.GithubRepo = u
				default:
					p.ProjectPage = u
				}
				if err := p.Validate(); !errors.Is(err, paper.ErrInvalid) || !strings.Contains(err.Error(), field) {
					t.Errorf("Validate = %v, want ErrInvalid naming %s", err, field)
				}
			})
		}
	}
	for _, u := range []string{"http://example.org", "HTTPS://github.com/a/b", "https://arxiv.org/abs/2509.03687"} {
		t.Run("a url of "+u+" is kept", func(t *testing.T) {
			p := ok()
			p.URL, p.GithubRepo, p.ProjectPage = u, u, u
			if err := p.Validate(); err != nil {
				t.Errorf("Validate = %v", err)
			}
		})
	}
}
