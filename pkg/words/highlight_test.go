package words

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/paper"
)

// TestHighlightsComeFromTheFirstPartOfALongAbstract stores the longest
// abstract a paper may have, dense with the query's words, a hundred times
// over: highlights are made from its first MaxHighlightBytes, whole words
// only, and a word past them is not looked for.
func TestHighlightsComeFromTheFirstPartOfALongAbstract(t *testing.T) {
	sentence := "Graph neural networks learn molecular representations with attention. "
	long := strings.Repeat(sentence, paper.MaxAbstractLength/len(sentence))
	long = long[:len(long)-len("zeppelin ")] + "zeppelin "
	papers := make([]paper.Paper, 100)
	for i := range papers {
		papers[i] = paper.Paper{ID: "long-" + strconv.Itoa(i), Abstract: long}
	}
	hl, err := Highlight(context.Background(), "graph attention", papers, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every paper gets its fragments", func(t *testing.T) {
		if len(hl) != len(papers) {
			t.Fatalf("%d of %d papers highlighted", len(hl), len(papers))
		}
		for id, frags := range hl {
			if len(frags) == 0 {
				t.Errorf("%s: no fragment", id)
			}
			for _, f := range frags {
				if !strings.Contains(f, "<mark>") {
					t.Errorf("%s: fragment %q marks nothing", id, f)
				}
			}
		}
	})
	t.Run("a word past the first part is not looked for", func(t *testing.T) {
		if hl, err := Highlight(context.Background(), "zeppelin", papers[:1], 3); err != nil || len(hl) != 0 {
			t.Errorf("highlights of a word at the end: %v, %v; want none", hl, err)
		}
	})
	t.Run("the part is cut before a word and inside the limit", func(t *testing.T) {
		part := highlighted(long)
		if len(part) > MaxHighlightBytes || !strings.HasPrefix(long, part) || long[len(part)] != ' ' {
			t.Errorf("the part is %d bytes and ends %q", len(part), part[len(part)-10:])
		}
		if got := highlighted(strings.Repeat("é", MaxHighlightBytes)); len(got) > MaxHighlightBytes || !utf8.ValidString(got) {
			t.Errorf("a text of two-byte letters is cut to %d bytes ending %q", len(got), got[len(got)-2:])
		}
	})
	t.Run("a request that left stops it", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Highlight(ctx, "graph", papers, 3); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}
