package weaviate

import (
	"slices"
	"strings"
	"testing"
)

func TestKeyTermsKeepTheMostFrequentWords(t *testing.T) {
	for _, c := range []struct {
		name, in string
		max      int
		want     string
	}{
		{name: "a short text stays whole", in: "graph neural graph", max: 3, want: "graph neural graph"},
		{name: "the most frequent words, as often as they occur", in: "a b b c c c d", max: 2, want: "c c c b b"},
		{name: "ties go to the word seen first", in: "x y z", max: 2, want: "x y"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := keyTerms(strings.Fields(c.in), c.max)
			if !slices.Equal(got, strings.Fields(c.want)) {
				t.Fatalf("keyTerms(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
		})
	}
}
