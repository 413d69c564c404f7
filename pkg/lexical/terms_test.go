package lexical

import (
	"bytes"
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
			base, err := analyzer()
			if err != nil {
				t.Fatal(err)
			}
			c, ok := cachedAnalyzer(base).(*wordCache)
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
