package synth

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/paperlens/paperlens/embeddings"
)

// Embedder gives every text a random unit vector of Dim dimensions, drawn
// from a seed hashed from the text: the same text always gets the same
// vector, and different texts unrelated ones. It stands in for a model
// whose vectors are as long as a real one's (768 for nomic-embed-text),
// which cannot run here at a million papers: it times what the vectors
// cost to store, load and scan, not what they mean (rankings by them are
// random). Random vectors are the hard case for the int8 scan, whose
// scores bunch up near zero (see docs/performance.md).
type Embedder struct{ Dim int }

var _ embeddings.Embedder = Embedder{}

// Info reports embedder "synthetic" and model "random-DIM".
func (e Embedder) Info() embeddings.Info {
	return embeddings.Info{Embedder: "synthetic", Model: fmt.Sprintf("random-%d", e.Dim), Dimension: e.Dim}
}

// Embed returns one unit vector per text; purpose makes no difference.
func (e Embedder) Embed(ctx context.Context, texts []string, _ embeddings.Purpose) ([][]float32, error) {
	if e.Dim < 1 {
		return nil, fmt.Errorf("synth: the embedder needs a dimension of 1 or more, got %d", e.Dim)
	}
	flat := make([]float32, len(texts)*e.Dim)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		h := fnv.New64a()
		h.Write([]byte(t))
		rng := rand.New(rand.NewPCG(h.Sum64(), uint64(e.Dim)))
		v := flat[i*e.Dim : (i+1)*e.Dim : (i+1)*e.Dim]
		UnitVector(rng, v)
		out[i] = v
	}
	return out, nil
}

// UnitVector fills v with a random direction drawn from rng.
func UnitVector(rng *rand.Rand, v []float32) {
	var ss float64
	for i := range v {
		x := rng.NormFloat64()
		v[i] = float32(x)
		ss += x * x
	}
	inv := 1 / math.Sqrt(ss)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
}
