package wordvec

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	words := []string{"the", "learning", "méta", "x-ray"}
	vectors := [][]float32{
		{0.5, -1, 0.25},
		{0, 0, 0},
		{3, 2, -1},
		{1e-3, -2e-3, 5e-4},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, 3, words, vectors); err != nil {
		t.Fatal(err)
	}
	tab, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != len(words) || tab.Dim() != 3 {
		t.Fatalf("decoded %d×%d, want %d×3", tab.Len(), tab.Dim(), len(words))
	}
	got := make([]float32, 3)
	for i, w := range words {
		t.Run(w+" keeps its row within the int8 step", func(t *testing.T) {
			if row, ok := tab.Lookup(w); !ok || row != i || tab.Word(i) != w {
				t.Fatalf("Lookup(%q) = %d, %v; Word(%d) = %q", w, row, ok, i, tab.Word(i))
			}
			tab.Vector(i, got)
			var maxAbs float64
			for _, x := range vectors[i] {
				maxAbs = max(maxAbs, math.Abs(float64(x)))
			}
			for j := range got {
				if d := math.Abs(float64(got[j] - vectors[i][j])); d > maxAbs/254+1e-9 {
					t.Errorf("component %d = %v, want %v ± %v", j, got[j], vectors[i][j], maxAbs/254)
				}
			}
		})
	}
	if _, ok := tab.Lookup("absent"); ok {
		t.Error("Lookup found a word that is not in the table")
	}
}

func TestDecodeRejectsBadTables(t *testing.T) {
	var good bytes.Buffer
	if err := Encode(&good, 2, []string{"a", "b"}, [][]float32{{1, 2}, {3, 4}}); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"an empty file", nil},
		{"a wrong magic", append([]byte("NOTATABL"), g[8:]...)},
		{"a truncated file", g[:len(g)-1]},
		{"trailing bytes", append(slices.Clone(g), 0)},
	} {
		t.Run(tc.name+" is an error that says to regenerate", func(t *testing.T) {
			_, err := Decode(tc.data)
			if err == nil || !strings.Contains(err.Error(), "regenerate") {
				t.Errorf("Decode: %v", err)
			}
		})
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name    string
		words   []string
		vectors [][]float32
	}{
		{"more words than vectors", []string{"a", "b"}, [][]float32{{1}}},
		{"an empty word", []string{""}, [][]float32{{1}}},
		{"a duplicate word", []string{"a", "a"}, [][]float32{{1}, {2}}},
		{"a vector of the wrong length", []string{"a"}, [][]float32{{1, 2}}},
	} {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			if err := Encode(&bytes.Buffer{}, 1, tc.words, tc.vectors); err == nil {
				t.Error("Encode succeeded")
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"", nil},
		{"In-Context Learning through the Bayesian Prism", []string{"in-context", "learning", "through", "the", "bayesian", "prism"}},
		{"state-of-the-art, -dash- trailing- x--y", []string{"state-of-the-art", "dash", "trailing", "x", "y"}},
		{"GPT-4's O(n) cost: 3.5% (LLMs)", []string{"gpt-4", "s", "o", "n", "cost", "3", "5", "llms"}},
		{"Ångström naïve café", []string{"ångström", "naïve", "café"}},
		{"meta\u2010learning", []string{"meta-learning"}},
		{"$\\mathcal{O}$ ≤ 10", []string{"mathcal", "o", "10"}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			if got := Tokenize(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestParts(t *testing.T) {
	if got := Parts("state-of-the-art"); !slices.Equal(got, []string{"state", "of", "the", "art"}) {
		t.Errorf("Parts = %q", got)
	}
	if got := Parts("plain"); !slices.Equal(got, []string{"plain"}) {
		t.Errorf("Parts = %q", got)
	}
}
