package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/synth"
)

const benchAbout = `Measures paperlens on this machine. Subcommands:

  query  --docs N --dim D [--queries 200] [--k 10]
         vector query latency of the store against chromem-go's own query on
         the same seeded synthetic unit vectors, recall@10 and memory per paper
  ingest --file F [--limit N] [--data DIR]
         papers per second into a fresh data folder with the built-in embedder:
         the vector store alone, then the whole write road (paperlens ingest)
  open   --data DIR
         time from start to the first answered query on an existing folder
  scale  --papers N [--dim D]
         the whole engine on N generated papers: ingest, folder size, open,
         hybrid search, similar, filtered search and recommend latency,
         peak memory

Each prints a table, or one JSON object with --json.`

func runBench(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(e.stderr, "Usage: paperlens bench query|ingest|open|scale [flags]\n\n%s\n", benchAbout)
		if len(args) == 0 {
			return fmt.Errorf("%w: bench needs a subcommand: query, ingest, open or scale", errUsage)
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "query":
		return benchQuery(ctx, e, args[1:])
	case "ingest":
		return benchIngest(ctx, e, args[1:])
	case "open":
		return benchOpen(ctx, e, args[1:])
	case "scale":
		return benchScale(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: unknown bench %q (want query, ingest, open or scale)", errUsage, args[0])
}

// report is a bench result: printed as a two-column table, or as JSON.
type report struct {
	keys   []string
	values map[string]any
}

func (r *report) set(k string, v any) {
	if r.values == nil {
		r.values = map[string]any{}
	}
	if _, ok := r.values[k]; !ok {
		r.keys = append(r.keys, k)
	}
	r.values[k] = v
}

func (r *report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		return writeJSON(w, r.values)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range r.keys {
		v := r.values[k]
		if f, ok := v.(float64); ok {
			v = fmt.Sprintf("%.4g", f)
		}
		fmt.Fprintf(tw, "%s\t%v\n", k, v)
	}
	return tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile is the nearest-rank percentile p (0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func benchQuery(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bench query", "", "Times the store's vector query (Store.Nearest) against chromem-go's own\n"+
		"Collection.QueryEmbedding on the same seeded synthetic unit vectors, in the same run.")
	docs := fs.Int("docs", 100000, "papers in the synthetic collection")
	dim := fs.Int("dim", 768, "vector dimension")
	queries := fs.Int("queries", 200, "queries to time")
	baseline := fs.Int("baseline-queries", -1, "queries to time with chromem-go, which also give the exact answers for recall (default: --queries)")
	k := fs.Int("k", 10, "results per query")
	seed := fs.Uint64("seed", 1, "random seed")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: bench query takes no arguments, got %q", errUsage, rest)
	}
	if *baseline < 0 {
		*baseline = *queries
	}
	switch {
	case *docs < 1 || *dim < 1 || *queries < 1 || *k < 1:
		return fmt.Errorf("%w: --docs, --dim, --queries and --k must be at least 1", errUsage)
	case *baseline > *queries:
		return fmt.Errorf("%w: --baseline-queries must be at most --queries", errUsage)
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	st := store.NewMemory(embeddings.Info{Embedder: "bench", Model: "synthetic", Dimension: *dim})
	rng := rand.New(rand.NewPCG(*seed, 1))
	const batch = 4096
	recs := make([]paper.Record, 0, batch)
	vec := make([]float32, batch**dim)
	for i := 0; i < *docs; i++ {
		v := vec[len(recs)**dim : (len(recs)+1)**dim]
		synth.UnitVector(rng, v)
		recs = append(recs, paper.Record{Vector: v, Paper: paper.Paper{
			ID: fmt.Sprintf("b%08d", i), Title: "Synthetic paper", Abstract: "A synthetic abstract.",
		}})
		if len(recs) == batch || i == *docs-1 {
			if err := st.Upsert(ctx, recs); err != nil {
				return err
			}
			recs = recs[:0]
		}
	}
	build := time.Since(start)
	vec, recs = nil, nil
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	qs := make([][]float32, *queries)
	qrng := rand.New(rand.NewPCG(*seed, 2))
	for i := range qs {
		qs[i] = make([]float32, *dim)
		synth.UnitVector(qrng, qs[i])
	}
	n := max(*k, 10)
	// One untimed query each, so neither side pays for first use.
	if _, err := st.Nearest(ctx, qs[0], n, nil); err != nil {
		return err
	}
	if _, err := st.ReferenceNearest(ctx, qs[0], n); err != nil {
		return err
	}
	engine := make([]time.Duration, len(qs))
	got := make([][]paper.Hit, len(qs))
	for i, q := range qs {
		t := time.Now()
		hits, err := st.Nearest(ctx, q, *k, nil)
		engine[i] = time.Since(t)
		if err != nil {
			return err
		}
		if *k < 10 {
			hits, _ = st.Nearest(ctx, q, 10, nil)
		}
		got[i] = hits
	}
	chromemTimes := make([]time.Duration, *baseline)
	var found, total int
	for i := range chromemTimes {
		t := time.Now()
		exact, err := st.ReferenceNearest(ctx, qs[i], *k)
		chromemTimes[i] = time.Since(t)
		if err != nil {
			return err
		}
		if *k < 10 {
			exact, _ = st.ReferenceNearest(ctx, qs[i], 10)
		}
		top := exact[:min(10, len(exact))]
		for _, h := range got[i][:min(10, len(got[i]))] {
			if slices.ContainsFunc(top, func(x paper.Hit) bool { return x.ID == h.ID }) {
				found++
			}
		}
		total += len(top)
	}

	var r report
	r.set("docs", *docs)
	r.set("dim", *dim)
	r.set("queries", *queries)
	r.set("k", *k)
	r.set("engine_p50_ms", ms(percentile(engine, 50)))
	r.set("engine_p99_ms", ms(percentile(engine, 99)))
	if *baseline > 0 {
		r.set("chromem_queries", *baseline)
		r.set("chromem_p50_ms", ms(percentile(chromemTimes, 50)))
		r.set("chromem_p99_ms", ms(percentile(chromemTimes, 99)))
		r.set("speedup_p50", float64(percentile(chromemTimes, 50))/float64(max(1, percentile(engine, 50))))
		r.set("recall_at_10", float64(found)/float64(max(1, total)))
	}
	r.set("bytes_per_doc", int64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/int64(*docs))
	r.set("build_s", build.Seconds())
	r.set("cpus", runtime.NumCPU())
	runtime.KeepAlive(st)
	return r.write(e.stdout, *asJSON)
}

// freshData refuses a --data folder that exists already ("" is none): a
// bench writes a new folder and times that.
func freshData(dir, bench string) error {
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%w: --data %s exists already; bench %s wants a fresh folder", errUsage, dir, bench)
	}
	return nil
}

// timedEmbedder adds up the time its embedder spends.
type timedEmbedder struct {
	embeddings.Embedder
	mu    sync.Mutex
	spent time.Duration
}

func (t *timedEmbedder) Embed(ctx context.Context, texts []string, p embeddings.Purpose) ([][]float32, error) {
	start := time.Now()
	v, err := t.Embedder.Embed(ctx, texts, p)
	t.mu.Lock()
	t.spent += time.Since(start)
	t.mu.Unlock()
	return v, err
}

func benchIngest(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "bench ingest", "", "Ingests a file into fresh data folders and reports papers per second: first into the\n"+
		"vector store alone (embed, then Store.Upsert in batches), then through the whole write road\n"+
		"that 'paperlens ingest' takes (store and word index). Time is split into embedding, store\n"+
		"(log write, fsync, in-memory apply, snapshots) and the rest (the word index, hashing).")
	file := fs.String("file", "", "papers `file` to ingest (any format ingest reads)")
	limit := fs.Int("limit", 0, "ingest only the first N papers (0: all)")
	data := fs.String("data", "", "keep the whole-road data folder here (must not exist yet; default: a temporary folder, removed)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	c.registerEmbedder(fs, e)
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: bench ingest takes no arguments, got %q", errUsage, rest)
	}
	if *file == "" {
		return fmt.Errorf("%w: --file is required (e.g. --file ../shared/data/arxiv-2026q2/papers.jsonl)", errUsage)
	}
	if err := freshData(*data, "ingest"); err != nil {
		return err
	}
	emb, err := backend.OpenEmbedder(c.Config)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "paperlens-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	var papers []paper.Paper
	f, err := os.Open(*file)
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", *file, err)
	}
	errEnough := errors.New("enough")
	_, err = loader.Load(f, loader.Options{}, func(p paper.Paper) error {
		p.Normalize()
		if p.Validate() == nil {
			papers = append(papers, p)
		}
		if *limit > 0 && len(papers) >= *limit {
			return errEnough
		}
		return nil
	})
	f.Close()
	if err != nil && !errors.Is(err, errEnough) {
		return err
	}
	read := time.Since(start)
	if len(papers) == 0 {
		return fmt.Errorf("no papers in %s", *file)
	}

	// The vector store alone.
	st, err := store.Open(filepath.Join(tmp, "vectors-only"), emb.Info())
	if err != nil {
		return err
	}
	size := cmp.Or(max(c.BatchSize, 0), ingest.DefaultBatchSize)
	var embedOnly time.Duration
	start = time.Now()
	for b := 0; b < len(papers); b += size {
		batch := papers[b:min(b+size, len(papers))]
		texts := make([]string, len(batch))
		for i, p := range batch {
			texts[i] = p.Text()
		}
		t := time.Now()
		vecs, err := emb.Embed(ctx, texts, embeddings.Document)
		embedOnly += time.Since(t)
		if err != nil {
			return err
		}
		recs := make([]paper.Record, len(batch))
		for i, p := range batch {
			recs[i] = paper.Record{Paper: p, Hash: p.ContentHash(), Vector: vecs[i]}
		}
		if err := st.Upsert(ctx, recs); err != nil {
			return err
		}
	}
	vectorTotal := time.Since(start)
	vw := st.WriteStats()
	st.Close()

	// The whole write road, as 'paperlens ingest' takes it.
	dir := *data
	if dir == "" {
		dir = filepath.Join(tmp, "whole")
	}
	c.Data = dir
	start = time.Now()
	whole, err := backend.OpenFor(ctx, c.Config, emb.Info())
	if err != nil {
		return err
	}
	te := &timedEmbedder{Embedder: emb}
	ing := ingest.NewTo(te, whole)
	ing.BatchSize = size
	stats, err := ing.Upsert(ctx, papers)
	var ww store.WriteStats
	if w, ok := whole.(interface{ WriteStats() store.WriteStats }); ok {
		ww = w.WriteStats()
	}
	if cerr := whole.Close(); err == nil {
		err = cerr
	}
	wholeTotal := time.Since(start)
	if err != nil {
		return err
	}

	storeTime := func(w store.WriteStats) time.Duration { return w.Log + w.Sync + w.Apply + w.Snapshot }
	n := float64(len(papers))
	var r report
	r.set("papers", len(papers))
	r.set("embedder", emb.Info().Embedder+"/"+emb.Info().Model)
	r.set("batch_size", size)
	r.set("read_s", read.Seconds())
	r.set("vector_papers_per_s", n/vectorTotal.Seconds())
	r.set("vector_total_s", vectorTotal.Seconds())
	r.set("vector_embed_s", embedOnly.Seconds())
	r.set("vector_store_s", storeTime(vw).Seconds())
	r.set("vector_store_fsync_s", vw.Sync.Seconds())
	r.set("vector_index_s", vw.Apply.Seconds())
	r.set("whole_papers_per_s", n/wholeTotal.Seconds())
	r.set("whole_total_s", wholeTotal.Seconds())
	r.set("whole_embed_s", te.spent.Seconds())
	r.set("whole_store_s", storeTime(ww).Seconds())
	r.set("whole_other_s", (wholeTotal - te.spent - storeTime(ww)).Seconds())
	r.set("whole_added", stats.Added)
	r.set("snapshots", ww.Snapshots)
	if *data != "" {
		r.set("data", dir)
	}
	return r.write(e.stdout, *asJSON)
}

func benchOpen(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "bench open", "", "Times opening an existing data folder (store and word index) until the first\n"+
		"search is answered, as 'paperlens search' or 'serve' would.")
	c.register(fs, e, defaultDataDir(e, "default"))
	q := fs.String("query", "graph neural networks for molecules", "the first `query`")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: bench open takes no arguments, got %q", errUsage, rest)
	}
	if err := backend.MustHoldPapers(c.Data); err != nil {
		return err
	}
	start := time.Now()
	emb, err := backend.OpenEmbedder(c.Config)
	if err != nil {
		return err
	}
	st, err := store.Open(c.Data, emb.Info())
	if err != nil {
		return err
	}
	opened := time.Since(start)
	lx, err := lexical.Open(ctx, st.Dir(), st.Papers(ctx))
	if err != nil {
		st.Close()
		return err
	}
	b := backend.Local(st, lx)
	defer b.Close() // releases the folder's lock
	indexed := time.Since(start)
	page, err := search.New(emb, b).Search(ctx, *q, search.Options{Limit: 10})
	if err != nil {
		return err
	}
	total := time.Since(start)
	var r report
	r.set("papers", st.Count())
	r.set("store_open_ms", ms(opened))
	r.set("word_index_open_ms", ms(indexed-opened))
	r.set("first_query_ms", ms(total-indexed))
	r.set("to_first_answer_ms", ms(total))
	r.set("results", len(page.Results))
	return r.write(e.stdout, *asJSON)
}
