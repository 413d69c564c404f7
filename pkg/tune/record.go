package tune

import (
	"time"

	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
)

// Record is what a folder's manifest keeps of r, fitted when the folder
// held papers papers.
func (r Result) Record(papers int, at time.Time) store.Fitted {
	n := 0
	for _, c := range r.Queries {
		n += c
	}
	return store.Fitted{
		Method: string(r.Fusion.Method), LexicalWeight: r.Fusion.LexicalWeight, VectorWeight: r.Fusion.VectorWeight, K: r.Fusion.K,
		Papers: papers, Queries: n, NDCG: r.NDCG, DefaultNDCG: r.Default, At: at.UTC(),
	}
}

// FusionOf is the fusion a folder's fitted record stands for: DefaultFusion
// when there is none or it names no method this version knows.
func FusionOf(f *store.Fitted) search.Fusion {
	out := search.DefaultFusion
	if f == nil {
		return out
	}
	m, err := search.ParseFusion(f.Method)
	if err != nil || f.LexicalWeight < 0 || f.VectorWeight < 0 || f.LexicalWeight+f.VectorWeight <= 0 {
		return out
	}
	out.Method, out.LexicalWeight, out.VectorWeight, out.Fitted = m, f.LexicalWeight, f.VectorWeight, true
	if f.K > 0 {
		out.K = f.K
	}
	return out
}

// Stale reports whether a folder that holds count papers and was fitted as
// f (nil: never) should be fitted again: when it was never fitted and holds
// MinPapers or more, or when its count has grown or shrunk by half of what
// it was fitted on. A folder that changed less keeps its fusion: the
// weights follow the embedder and the kind of papers, which a few more
// papers hardly change.
func Stale(f *store.Fitted, count int) bool {
	if f == nil {
		return count >= MinPapers
	}
	d := count - f.Papers
	return 2*max(d, -d) >= f.Papers && count >= MinPapers
}
