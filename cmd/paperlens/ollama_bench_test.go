//go:build ollama

package main

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/paperlens/paperlens/embeddings/ollama/ollamatest"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

// BenchmarkOllamaIngest measures `paperlens ingest` of the first 2,000
// arXiv papers through the real Ollama server at batch sizes 1, 8, 32 and
// 128, against the bare /api/embed calls for the same texts in the same
// batches, timed in the same iteration. It reports both rates and the
// engine's overhead (ingest time over bare embedding time, minus one), each
// from the fastest of the iterations, the median of the iterations' own
// overheads, and logs every iteration. Run it with
//
//	go test -tags ollama -run '^$' -bench 'Ollama/batch=(1|8|32|128)$' -benchtime 3x ./cmd/paperlens
//
// Each iteration times both sides back to back, bare first in odd
// iterations and ingest first in even ones, so that neither always runs
// right after the other (a warm server, the other side's garbage). b.Loop
// runs exactly -benchtime iterations; a loop to b.N would run one more,
// discarded, with b.N = 1 first.
func BenchmarkOllamaIngest(b *testing.B) {
	const n = 2000
	file := firstPapers(b, n)
	var texts []string
	if _, err := loader.LoadFile(file, loader.Options{}, func(p paper.Paper) error {
		texts = append(texts, p.Text())
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if len(texts) != n {
		b.Fatalf("%s holds %d papers, want %d", file, len(texts), n)
	}
	srv := ollamatest.Shared()
	client := srv.Client()
	ctx := context.Background()
	// Load the model once, so that no timing includes the first load.
	if _, err := client.Embed(ctx, &api.EmbedRequest{Model: ollamatest.Model, Input: texts[:1]}); err != nil {
		b.Fatal(err)
	}

	for _, size := range []int{1, 8, 32, 128} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			embedBare := func() time.Duration {
				start := time.Now()
				for i := 0; i < len(texts); i += size {
					req := &api.EmbedRequest{Model: ollamatest.Model, Input: texts[i:min(i+size, len(texts))]}
					if _, err := client.Embed(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
				return time.Since(start)
			}
			ingest := func() time.Duration {
				data := b.TempDir()
				start := time.Now()
				code, stderr := runCLI(b, ctx, "ingest", "--data", data, file, "--batch-size", strconv.Itoa(size),
					"--embedder", "ollama", "--model", ollamatest.Model, "--ollama-host", srv.Host, "--quiet")
				took := time.Since(start)
				if code != 0 {
					b.Fatalf("ingest: exit %d: %s", code, stderr)
				}
				return took
			}
			// The fastest of each side is reported, as other work on a
			// shared machine only ever adds time; so is the median of the
			// iterations' own overheads, each from two runs back to back.
			var bare, ing []time.Duration
			var over []float64
			for i := 0; b.Loop(); i++ {
				var tb, ti time.Duration
				if i%2 == 0 {
					tb = embedBare()
					ti = ingest()
				} else {
					ti = ingest()
					tb = embedBare()
				}
				bare, ing = append(bare, tb), append(ing, ti)
				over = append(over, 100*(ti.Seconds()/tb.Seconds()-1))
				b.Logf("iteration %d: bare %.2fs, ingest %.2fs, overhead %+.1f%%", i+1, tb.Seconds(), ti.Seconds(), over[len(over)-1])
			}
			fastBare, fastIngest := slices.Min(bare), slices.Min(ing)
			b.ReportMetric(float64(n)/fastIngest.Seconds(), "ingest-papers/s")
			b.ReportMetric(float64(n)/fastBare.Seconds(), "bare-embed-papers/s")
			b.ReportMetric(fastBare.Seconds(), "bare-s")
			b.ReportMetric(fastIngest.Seconds(), "ingest-s")
			b.ReportMetric(100*(fastIngest.Seconds()/fastBare.Seconds()-1), "overhead-%")
			slices.Sort(over)
			mid := over[len(over)/2]
			if len(over)%2 == 0 {
				mid = (over[len(over)/2-1] + mid) / 2
			}
			b.ReportMetric(mid, "median-iteration-overhead-%")
		})
	}
}

// runCLI runs the CLI in-process with a clean environment, as paperlens
// does for tests, and returns its exit code and stderr.
func runCLI(tb testing.TB, ctx context.Context, args ...string) (int, string) {
	tb.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "XDG_DATA_HOME" {
			return tb.TempDir()
		}
		return ""
	}}
	return run(ctx, e, args), errb.String()
}
