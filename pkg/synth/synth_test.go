package synth_test

import (
	"context"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/papertest"
	"github.com/paperlens/paperlens/pkg/synth"
)

// learn learns the model of the 20,426-paper arXiv sample (see
// ../shared/data/README) and returns it with the sample's papers.
func learn(t *testing.T) (*synth.Model, []paper.Paper) {
	t.Helper()
	arxiv := papertest.SharedData(t, "arxiv-2026q2/papers.jsonl")
	f, err := os.Open(arxiv)
	if err != nil {
		t.Fatalf("%v (the data is in ../shared/data beside the clone)", err)
	}
	defer f.Close()
	m, err := synth.Learn(f)
	if err != nil {
		t.Fatal(err)
	}
	return m, papertest.ReadPapers(t, arxiv, 0)
}

// shape sums up papers: mean words per title and abstract, share of each
// primary category, share of each lower-cased abstract word, authors per
// paper.
type shape struct {
	titleWords, abstractWords, authors float64
	primary, words                     map[string]float64
}

func shapeOf(papers []paper.Paper) shape {
	s := shape{primary: map[string]float64{}, words: map[string]float64{}}
	var words float64
	for _, p := range papers {
		s.titleWords += float64(len(strings.Fields(p.Title)))
		ws := strings.Fields(strings.ToLower(p.Abstract))
		s.abstractWords += float64(len(ws))
		for _, w := range ws {
			s.words[w]++
		}
		words += float64(len(ws))
		s.authors += float64(len(p.Authors))
		if len(p.Categories) > 0 {
			s.primary[p.Categories[0]]++
		}
	}
	n := float64(len(papers))
	s.titleWords, s.abstractWords, s.authors = s.titleWords/n, s.abstractWords/n, s.authors/n
	for k := range s.primary {
		s.primary[k] /= n
	}
	for k := range s.words {
		s.words[k] /= words
	}
	return s
}

func TestGeneratedPapersHaveTheShapeOfTheSample(t *testing.T) {
	m, sample := learn(t)
	if m.Papers() != len(sample) {
		t.Fatalf("the model learnt %d papers, the sample has %d", m.Papers(), len(sample))
	}
	g := m.Generator(1)
	made := make([]paper.Paper, 20000)
	for i := range made {
		made[i] = g.Paper()
	}
	want, got := shapeOf(sample), shapeOf(made)
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol*want {
			t.Errorf("%s: generated %.4g, sample %.4g (tolerance %.0f%%)", name, got, want, tol*100)
		}
	}
	t.Run("titles, abstracts and author lists are as long as the sample's", func(t *testing.T) {
		near("words per title", got.titleWords, want.titleWords, 0.05)
		near("words per abstract", got.abstractWords, want.abstractWords, 0.05)
		near("authors per paper", got.authors, want.authors, 0.05)
	})
	t.Run("primary categories come up as often as in the sample", func(t *testing.T) {
		for _, c := range []string{"cs.CV", "cs.CL", "cs.AI"} {
			near(c, got.primary[c], want.primary[c], 0.1)
		}
	})
	t.Run("common words come up as often as in the sample", func(t *testing.T) {
		// The made-up words take RareShare of every text.
		for _, w := range []string{"the", "of", "and", "model", "learning", "we"} {
			near(w, got.words[w], want.words[w]*(1-synth.RareShare), 0.1)
		}
	})
	t.Run("the vocabulary outgrows the sample's, as a larger corpus's does", func(t *testing.T) {
		if len(got.words) <= len(want.words)/2 {
			t.Errorf("%d distinct abstract words in 20,000 generated papers, %d in the sample", len(got.words), len(want.words))
		}
		madeUp := 0
		for w := range got.words {
			if _, ok := want.words[w]; !ok {
				madeUp++
			}
		}
		if madeUp < 1000 {
			t.Errorf("only %d words that are not in the sample", madeUp)
		}
	})
	t.Run("every paper is valid, with a unique id and a date in the 20 years up to the sample's last", func(t *testing.T) {
		seen := map[string]bool{}
		last := slices.MaxFunc(sample, func(a, b paper.Paper) int { return strings.Compare(a.Published, b.Published) }).Published
		years := map[string]int{}
		for _, p := range made {
			q := p
			q.Normalize()
			if err := q.Validate(); err != nil || !q.Equal(p) {
				t.Fatalf("paper %+v: valid: %v, already normal: %v", p, err, q.Equal(p))
			}
			if seen[p.ID] || paper.IsArxivID(p.ID) {
				t.Fatalf("id %q is used twice or looks like an arXiv id", p.ID)
			}
			seen[p.ID] = true
			if p.Published > last || p.Published < "2007" {
				t.Fatalf("paper %s is dated %s, outside 2007..%s", p.ID, p.Published, last)
			}
			years[p.Published[:4]]++
		}
		if years["2025"] <= years["2010"] {
			t.Errorf("%d papers in 2025, %d in 2010: the later years should be busier", years["2025"], years["2010"])
		}
	})
}

func TestAGeneratorDrawsTheSamePapersForTheSameSeed(t *testing.T) {
	m, _ := learn(t)
	a, b, c := m.Generator(7), m.Generator(7), m.Generator(8)
	var differ bool
	for range 100 {
		pa, pb, pc := a.Paper(), b.Paper(), c.Paper()
		if !pa.Equal(pb) {
			t.Fatalf("seed 7 drew %+v, then %+v", pa, pb)
		}
		differ = differ || !pa.Equal(pc)
		if qa, qb := a.Query(), b.Query(); qa != qb || qa == "" {
			t.Fatalf("seed 7 drew the queries %q and %q", qa, qb)
		}
		ca, ya := a.Filter()
		cb, yb := b.Filter()
		if ca != cb || ya != yb || ca == "" || ya < 2007 {
			t.Fatalf("seed 7 drew the filters %s %d and %s %d", ca, ya, cb, yb)
		}
	}
	if !differ {
		t.Error("seeds 7 and 8 drew the same 100 papers")
	}
}

func TestLearnNeedsPapersWithDatesAndAuthors(t *testing.T) {
	tests := []struct {
		name, sample, want string
	}{
		{"an empty sample", "", "no papers"},
		{"papers without dates", `{"id":"a","title":"T","abstract":"Some words.","authors":["A B"]}`, "date"},
		{"papers without authors", `{"id":"a","title":"T","abstract":"Some words.","date":"2026-01-02"}`, "authors"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			_, err := synth.Learn(strings.NewReader(tt.sample))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Learn = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestTheSyntheticEmbedderGivesEachTextItsOwnUnitVector(t *testing.T) {
	e := synth.Embedder{Dim: 768}
	ctx := context.Background()
	vs, err := e.Embed(ctx, []string{"a text", "another text", "a text"}, embeddings.Document)
	if err != nil {
		t.Fatal(err)
	}
	dot := func(a, b []float32) (s float64) {
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	for i, v := range vs {
		if len(v) != 768 || math.Abs(dot(v, v)-1) > 1e-5 {
			t.Errorf("vector %d has %d dimensions and squared norm %v", i, len(v), dot(v, v))
		}
	}
	if !slices.Equal(vs[0], vs[2]) {
		t.Error("the same text got two vectors")
	}
	if d := dot(vs[0], vs[1]); math.Abs(d) > 0.2 {
		t.Errorf("two texts have cosine %v; random 768-dim vectors should be near 0", d)
	}
	if info := e.Info(); info.Dimension != 768 || info.Embedder != "synthetic" {
		t.Errorf("Info = %+v", info)
	}
	if _, err := (synth.Embedder{}).Embed(ctx, []string{"x"}, embeddings.Query); err == nil {
		t.Error("an embedder of no dimension embedded a text")
	}
}
