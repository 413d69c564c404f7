package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/synth"
)

// defaultScaleSource is the sample bench scale learns its papers from,
// where the project's data sits beside a clone.
const defaultScaleSource = "../shared/data/arxiv-2026q2/papers.jsonl"

// benchScale measures the whole engine on generated papers: the ingest
// road, the folder on disk, opening it, and the three rankings a user asks
// for most, on a folder of any size.
func benchScale(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bench scale", "", "Generates papers shaped like a real sample (package synth: words, lengths, categories,\n"+
		"authors and dates learnt from --source), ingests them into a fresh data folder through\n"+
		"the road 'paperlens ingest' takes, closes it, reopens it (timed to the first answer),\n"+
		"then times hybrid search, similar, a filtered search (a category and a year) and\n"+
		"recommend (five liked papers), one query at a time. Vectors come from the built-in embedder, or with --dim from random\n"+
		"unit vectors of that many dimensions (synth.Embedder: model-sized vectors, meaningless\n"+
		"rankings). Peak RSS is the process's high-water mark (VmHWM), taken for the ingest and,\n"+
		"after a reset, for the reopened folder.")
	n := fs.Int("papers", 100000, "papers to generate and ingest")
	dim := fs.Int("dim", 0, "random unit vectors of this many dimensions instead of the built-in embedder")
	queries := fs.Int("queries", 200, "queries to time of each kind")
	seed := fs.Uint64("seed", 1, "random seed of the papers and queries")
	source := fs.String("source", defaultScaleSource, "sample `file` of real papers to learn from")
	data := fs.String("data", "", "keep the data folder here (must not exist yet; default: a temporary folder, removed)")
	batch := fs.Int("batch-size", ingest.DefaultBatchSize, "papers embedded and stored together, as for ingest")
	profile := fs.String("profile", "", "write CPU profiles of each phase and heap profiles at the end of the ingest and of the reopened folder into `dir`")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: bench scale takes no arguments, got %q", errUsage, rest)
	}
	switch {
	case *n < 1 || *queries < 1 || *batch < 1:
		return fmt.Errorf("%w: --papers, --queries and --batch-size must be at least 1", errUsage)
	case *dim < 0:
		return fmt.Errorf("%w: --dim must be 0 (the built-in embedder) or more", errUsage)
	}
	if err := freshData(*data, "scale"); err != nil {
		return err
	}
	var emb embeddings.Embedder = synth.Embedder{Dim: *dim}
	if *dim == 0 {
		b, err := builtin.New()
		if err != nil {
			return err
		}
		emb = b
	}
	progress := func(format string, a ...any) {
		if e.stderrIsTerminal {
			fmt.Fprintf(e.stderr, "bench scale: "+format+"\n", a...)
		}
	}
	prof := &phaseProfiler{dir: *profile}
	defer prof.stop()
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return err
		}
	}

	f, err := os.Open(*source)
	if err != nil {
		return fmt.Errorf("bench scale learns the shape of its papers from a sample: %w (give one with --source FILE)", err)
	}
	model, err := synth.Learn(f)
	f.Close()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "paperlens-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := *data
	if dir == "" {
		dir = filepath.Join(tmp, "data")
	}

	// The papers go to a file first, so that the ingest reads them as
	// 'paperlens ingest' would, and generating them is not timed.
	progress("generating %d papers", *n)
	start := time.Now()
	papersFile := filepath.Join(tmp, "papers.jsonl")
	likeIDs, err := writePapers(papersFile, model.Generator(*seed), *n, *queries)
	if err != nil {
		return err
	}
	generated := time.Since(start)

	progress("ingesting")
	resetPeakRSS()
	prof.start("ingest")
	cpu := cpuTime()
	start = time.Now()
	folder, err := backend.OpenFor(ctx, backend.Config{Data: dir}, emb.Info())
	if err != nil {
		return err
	}
	ing := ingest.NewTo(emb, folder)
	ing.BatchSize = *batch
	stats, _, err := ing.File(ctx, papersFile, loader.Options{}, nil)
	profiling := time.Now()
	if err == nil {
		err = prof.heap("ingest") // not timed: it collects garbage first
	}
	start = start.Add(time.Since(profiling))
	if cerr := folder.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	ingested := time.Since(start)
	ingestCPU := cpuTime() - cpu
	prof.stop()
	ingestPeak := peakRSS()
	folderBytes, err := dirSize(dir)
	if err != nil {
		return err
	}
	os.Remove(papersFile)
	folder, ing = nil, nil
	runtime.GC()
	debug.FreeOSMemory()

	// Reopened as 'paperlens serve' opens it: timed to the first answer.
	progress("reopening")
	resetPeakRSS()
	qg := model.Generator(*seed + 1)
	prof.start("open")
	cpu = cpuTime()
	start = time.Now()
	st, err := store.Open(dir, emb.Info())
	if err != nil {
		return err
	}
	storeOpened := time.Since(start)
	lx, err := lexical.Open(ctx, dir, st.Papers(ctx))
	if err != nil {
		st.Close()
		return err
	}
	folder = backend.Local(st, lx)
	defer folder.Close()
	indexOpened := time.Since(start)
	eng := search.New(emb, folder)
	if _, err := eng.Search(ctx, qg.Query(), search.Options{}); err != nil {
		return err
	}
	opened := time.Since(start)
	openCPU := cpuTime() - cpu
	prof.stop()

	progress("querying")
	prof.start("queries")
	timeEach := func(run func(i int) error) ([]time.Duration, error) {
		took := make([]time.Duration, *queries)
		for i := range took {
			t := time.Now()
			if err := run(i); err != nil {
				return nil, err
			}
			took[i] = time.Since(t)
		}
		return took, nil
	}
	searches, err := timeEach(func(int) error {
		_, err := eng.Search(ctx, qg.Query(), search.Options{})
		return err
	})
	if err != nil {
		return err
	}
	similars, err := timeEach(func(i int) error {
		_, err := eng.Similar(ctx, likeIDs[i%len(likeIDs)], search.Options{})
		return err
	})
	if err != nil {
		return err
	}
	filtered, err := timeEach(func(int) error {
		cat, year := qg.Filter()
		_, err := eng.Search(ctx, qg.Query(), search.Options{Filter: paper.Filter{YearFrom: year, YearTo: year, Categories: []string{cat}}})
		return err
	})
	if err != nil {
		return err
	}
	// A reader's reading list: five papers of the folder, the next five
	// each time.
	recommended, err := timeEach(func(i int) error {
		var liked []string
		for j := range min(5, len(likeIDs)) {
			liked = append(liked, likeIDs[(5*i+j)%len(likeIDs)])
		}
		_, err := eng.Recommend(ctx, search.ExampleIDs(liked), nil, search.Options{})
		return err
	})
	if err != nil {
		return err
	}
	prof.stop()
	if err := prof.heap("serve"); err != nil {
		return err
	}
	servePeak := peakRSS()

	var r report
	r.set("papers", *n)
	r.set("added", stats.Added)
	r.set("embedder", emb.Info().Embedder+"/"+emb.Info().Model)
	r.set("dim", emb.Info().Dimension)
	r.set("generate_s", generated.Seconds())
	r.set("ingest_s", ingested.Seconds())
	r.set("ingest_papers_per_s", float64(*n)/ingested.Seconds())
	r.set("ingest_cpu_s", ingestCPU.Seconds())
	r.set("folder_bytes", folderBytes)
	r.set("open_s", opened.Seconds())
	r.set("open_cpu_s", openCPU.Seconds())
	r.set("store_open_s", storeOpened.Seconds())
	r.set("word_index_open_s", (indexOpened - storeOpened).Seconds())
	r.set("first_query_s", (opened - indexOpened).Seconds())
	r.set("peak_rss_bytes", max(ingestPeak, servePeak))
	r.set("ingest_peak_rss_bytes", ingestPeak)
	r.set("serve_peak_rss_bytes", servePeak)
	r.set("queries", *queries)
	r.set("search_p50_ms", ms(percentile(searches, 50)))
	r.set("search_p99_ms", ms(percentile(searches, 99)))
	r.set("similar_p50_ms", ms(percentile(similars, 50)))
	r.set("similar_p99_ms", ms(percentile(similars, 99)))
	r.set("filtered_p50_ms", ms(percentile(filtered, 50)))
	r.set("filtered_p99_ms", ms(percentile(filtered, 99)))
	r.set("recommend_p50_ms", ms(percentile(recommended, 50)))
	r.set("recommend_p99_ms", ms(percentile(recommended, 99)))
	r.set("cpus", runtime.NumCPU())
	// The Go runtime's soft memory limit (GOMEMLIMIT), which bounds the
	// peak RSS at the cost of more collections; absent when there is none.
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		r.set("memory_limit_bytes", limit)
	}
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(l)); len(f) >= 3 {
			r.set("load_average", strings.Join(f[:3], " "))
		}
	}
	r.set("commit", buildCommit())
	if *data != "" {
		r.set("data", dir)
	}
	return r.write(e.stdout, *asJSON)
}

// writePapers writes n papers of g to path as JSON Lines and returns the
// ids of about want of them, spread over the file.
func writePapers(path string, g *synth.Generator, n, want int) ([]string, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	every := max(1, n/want)
	var ids []string
	for i := range n {
		p := g.Paper()
		if i%every == every/2 {
			ids = append(ids, p.ID)
		}
		if err := enc.Encode(p); err != nil {
			return nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return ids, f.Close()
}

// dirSize is the bytes of the files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	return n, err
}

// peakRSS is the process's peak resident set since it started or since
// resetPeakRSS (Linux's VmHWM), or the Go runtime's memory from the
// system where /proc is missing.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.Sys)
}

// cpuTime is the processor time the process has used, user and system:
// on a machine shared with other work, it says what a phase cost where
// its wall time says how long it waited too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS starts peakRSS again from the current resident set (Linux
// 4.0 and later); elsewhere it does nothing.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// buildCommit is the commit the binary was built from, with "+dirty" for
// a working tree with changes, or "unknown" (go run, go test).
func buildCommit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "unknown"
	}
	return rev[:min(len(rev), 12)] + dirty
}

// phaseProfiler writes a CPU profile of each phase into dir, when dir is
// not "".
type phaseProfiler struct {
	dir string
	f   *os.File
}

func (p *phaseProfiler) start(phase string) {
	if p.dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(p.dir, "cpu-"+phase+".prof"))
	if err != nil {
		return
	}
	if pprof.StartCPUProfile(f) != nil {
		f.Close()
		return
	}
	p.f = f
}

func (p *phaseProfiler) stop() {
	if p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	p.f.Close()
	p.f = nil
}

// heap writes a heap profile of what is live now, heap-phase.prof.
func (p *phaseProfiler) heap(phase string) error {
	if p.dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(p.dir, "heap-"+phase+".prof"))
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}
