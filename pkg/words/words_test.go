package words

import (
	"bytes"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

// tricky are texts where word breaking and the treatment of words are
// delicate: numbers, abbreviations, apostrophes, marks, scripts, stop words
// and words that stem alike.
var tricky = []string{
	"GPT-4 is 3.5 times faster than GPT-3.5.",
	"Policy in the U.S.: S. Smith's results on U.K. data, the authors' end'",
	"Rock 'n' roll's 'quoted' start and THE Authors’ ｓ Ｏｎｅ＇s",
	"Emoji 👩‍🔬 science and ́combining marks",
	"Λόγος και αριθμός 机器学习 ja 日本語のテキスト",
	"x_1 _2 and a:b, e.g. i.e. etc.",
	"running runs ran runner RUNNING Running's generalization generalizations",
	"",
	"the of and with a an",
}

// The cached analyser must give exactly the words, positions and offsets
// of bleve's, on real papers and awkward texts alike, also once the cache is
// full.
func TestCachedAnalyserGivesTheAnalysersWords(t *testing.T) {
	texts := append([]string(nil), tricky...)
	for _, file := range []string{"../../testdata/papers.jsonl", "../../../shared/data/arxiv-2026q2/papers.jsonl"} {
		if _, err := loader.LoadFile(file, loader.Options{}, func(p paper.Paper) error {
			if len(texts) < 2000 {
				texts = append(texts, p.Title, p.Abstract)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		maxSize int
	}{
		{"room for every word", maxCachedWords},
		{"a cache that fills up at once", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, err := Analyzer()
			if err != nil {
				t.Fatal(err)
			}
			c, ok := Cached(base).(*wordCache)
			if !ok {
				t.Fatal("the English analyser is not cached")
			}
			c.maxSize = tt.maxSize
			for round := 0; round < 2; round++ { // the second from the cache
				for _, text := range texts {
					want, got := base.Analyze([]byte(text)), c.Analyze([]byte(text))
					if !sameTokens(got, want) {
						t.Fatalf("round %d, %q:\n got %v\nwant %v", round, text, got, want)
					}
				}
			}
			if len(c.words) > tt.maxSize {
				t.Errorf("the cache holds %d words, more than %d", len(c.words), tt.maxSize)
			}
		})
	}
}

func sameTokens(a, b analysis.TokenStream) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !bytes.Equal(x.Term, y.Term) || x.Position != y.Position || x.Start != y.Start || x.End != y.End || x.Type != y.Type {
			return false
		}
	}
	return true
}

// The words of a paper's Text() are its title's then its abstract's: the
// postings count the two fields apart, and "papers like this one" and the
// queries analyse the text whole.
func TestTextIsTheTitlesWordsThenTheAbstracts(t *testing.T) {
	an, err := Analyzer()
	if err != nil {
		t.Fatal(err)
	}
	terms := func(text string) []string {
		var out []string
		for _, tok := range an.Analyze([]byte(text)) {
			out = append(out, string(tok.Term))
		}
		return out
	}
	papers := []paper.Paper{{ID: "t", Title: "Ends with a dot.", Abstract: ".starts with one"}, {ID: "u", Title: "Title only"}, {ID: "v", Abstract: "Abstract only."}}
	for i := 0; i+1 < len(tricky); i++ {
		papers = append(papers, paper.Paper{ID: "tricky", Title: tricky[i], Abstract: tricky[i+1]})
	}
	if _, err := loader.LoadFile("../../../shared/data/arxiv-2026q2/papers.jsonl", loader.Options{}, func(p paper.Paper) error {
		if len(papers) < 2000 {
			papers = append(papers, p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range papers {
		whole := terms(p.Text())
		parts := append(terms(p.Title), terms(p.Abstract)...)
		if !slices.Equal(whole, parts) {
			t.Errorf("paper %s (%q / %q): Text() gives %q, title then abstract %q", p.ID, p.Title, p.Abstract, whole, parts)
		}
	}
}

// twice is a token filter that makes two words of every word, which a
// wordCache cannot stand for.
type twice struct{}

func (twice) Filter(in analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, 2*len(in))
	for _, t := range in {
		cp := *t
		cp.Term = append([]byte("x"), t.Term...)
		out = append(out, t, &cp)
	}
	return out
}

func TestCachedAnalyserFallsBackWhenAWordBecomesSeveral(t *testing.T) {
	base, err := Analyzer()
	if err != nil {
		t.Fatal(err)
	}
	d := *base.(*analysis.DefaultAnalyzer)
	d.TokenFilters = append(slices.Clone(d.TokenFilters), twice{})
	c := Cached(&d)
	for round := 0; round < 2; round++ {
		for _, text := range tricky {
			if got, want := c.Analyze([]byte(text)), d.Analyze([]byte(text)); !sameTokens(got, want) {
				t.Fatalf("round %d, %q:\n got %v\nwant %v", round, text, got, want)
			}
		}
	}
}
