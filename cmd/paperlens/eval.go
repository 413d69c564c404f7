package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/eval"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

// evalFormat changes when the cached store or index would be built
// differently, so that old caches are not reused.
const evalFormat = "eval-1"

func runEval(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "eval", "",
		"Measures ranking quality on a BEIR data set: ingests the corpus into a cached data folder\n"+
			"(keyed by the corpus's content and the embedder, so a second run embeds nothing), runs every\n"+
			"query and prints nDCG@10, Recall@100 and MRR@10 over the judged queries (graded when the\n"+
			"qrels have grades). A query line is {\"_id\",\"text\"}, or {\"_id\",\"paper_id\"} for \"papers like\n"+
			"this one\" (the paper itself left out), or {\"_id\",\"positive\":[ids],\"negative\":[ids]} for \"papers\n"+
			"like these, not like those\" (the recommendation; the papers named left out). Without --qrels,\n"+
			"qrels/test.tsv, qrels/dev.tsv, then\n"+
			"qrels/train.tsv beside the corpus are tried, in that order. The hybrid mode ranks with the fusion\n"+
			"fitted to the cached folder (see paperlens tune; fitted on the first run); --fusion,\n"+
			"--lexical-weight, --vector-weight and --rrf-k override it.")
	c.registerEmbedder(fs, e)
	c.registerBackend(fs, e)
	corpus := fs.String("corpus", "", "corpus `file`: a BEIR corpus.jsonl (_id, title, text) or any format ingest reads")
	queries := fs.String("queries", "", "BEIR queries.jsonl `file` (_id, and text, paper_id or positive/negative)")
	qrels := fs.String("qrels", "", "relevance judgments `file` (query-id, corpus-id, score; TSV)")
	modeFlag := fs.String("mode", string(search.Hybrid), "ranking: hybrid, vector, lexical, or all (one row each)")
	depth := fs.Int("depth", 100, "how many papers to rank per query (at least 100 for Recall@100)")
	runOut := fs.String("run-out", "", "write the ranking in TREC run format to this `file`")
	perQuery := fs.String("per-query", "", "write each judged query's figures to this `file` (TSV: mode, query, nDCG@10, Recall@100, MRR@10)")
	asJSON := fs.Bool("json", false, "print the figures as one JSON object")
	cache := fs.String("cache", "", "folder for cached data folders (default $XDG_CACHE_HOME/paperlens/eval or ~/.cache/paperlens/eval)")
	// The fusion flags override the fusion fitted to the cached folder (or
	// the default), each only when given.
	def := search.DefaultFusion
	rrfK := fs.Float64("rrf-k", def.K, "hybrid: constant K of reciprocal-rank fusion (default: the fitted or default fusion's)")
	lexWeight := fs.Float64("lexical-weight", def.LexicalWeight, "hybrid: weight of the lexical ranking (default: the fitted or default fusion's)")
	vecWeight := fs.Float64("vector-weight", def.VectorWeight, "hybrid: weight of the vector ranking (default: the fitted or default fusion's)")
	fusionMethod := fs.String("fusion", string(def.Method), "hybrid: score (normalised scores) or rrf (reciprocal rank) (default: the fitted or default fusion's)")
	noTune := fs.Bool("no-tune", false, "do not fit the hybrid ranking to the cached folder; use the default fusion unless the flags set it")
	recommender := search.DefaultRecommender
	recommendMethod := fs.String("recommend-method", string(recommender.Method), "queries with \"positive\" papers: mixed (the two below, normalised and added), set (each example ranked apart, summed) or centroid (one query of them all)")
	fs.Float64Var(&recommender.CentroidWeight, "centroid-weight", recommender.CentroidWeight, "--recommend-method mixed: the centroid's weight (the set's is the rest)")
	fs.Float64Var(&recommender.NegativeWeight, "negative-weight", recommender.NegativeWeight, "queries with \"negative\" papers: what a negative example takes away against what a positive one gives")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("%w: eval takes no arguments, got %q", errUsage, rest)
	case *corpus == "" || *queries == "":
		return fmt.Errorf("%w: give --corpus and --queries (e.g. --corpus scifact/corpus.jsonl --queries scifact/queries.jsonl)", errUsage)
	case *depth < 1 || *depth > search.MaxDepth:
		return fmt.Errorf("%w: --depth must be between 1 and %d, got %d", errUsage, search.MaxDepth, *depth)
	}
	method, err := search.ParseFusion(*fusionMethod)
	if err != nil {
		return fmt.Errorf("%w: --fusion must be score or rrf, got %q", errUsage, *fusionMethod)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if recommender.Method, err = search.ParseRecommendMethod(*recommendMethod); err != nil {
		return fmt.Errorf("%w: --recommend-method must be mixed, set or centroid, got %q", errUsage, *recommendMethod)
	}
	modes := search.Modes
	if *modeFlag != "all" {
		m, err := search.ParseMode(*modeFlag)
		if err != nil {
			return fmt.Errorf("%w: --mode must be hybrid, vector, lexical or all, got %q", errUsage, *modeFlag)
		}
		modes = []search.Mode{m}
	}
	if *runOut != "" && len(modes) != 1 {
		return fmt.Errorf("%w: --run-out writes one ranking: give one --mode", errUsage)
	}
	if *qrels == "" {
		if *qrels, err = eval.FindQrels(*corpus); err != nil {
			return fmt.Errorf("%w: %v (give --qrels FILE)", errUsage, err)
		}
	}
	judged, err := eval.ReadQrels(*qrels)
	if err != nil {
		return err
	}
	qs, err := eval.ReadQueries(*queries)
	if err != nil {
		return err
	}

	emb, err := backend.OpenEmbedder(c.Config)
	if err != nil {
		return err
	}
	if *cache == "" {
		*cache = defaultCacheDir(e)
	}
	// One cached folder, or one Weaviate class, per corpus and embedder.
	if c.Data, err = evalDataDir(*cache, *corpus, emb.Info()); err != nil {
		return err
	}
	if c.WeaviateClass == "" {
		c.WeaviateClass = "PaperlensEval_" + filepath.Base(c.Data)
	}
	b, err := backend.OpenFor(ctx, c.Config, emb.Info())
	if err != nil {
		return err
	}
	defer b.Close()
	papers := &backend.Papers{Backend: b, Embedder: emb}
	ing := c.ingester(papers)
	start := time.Now()
	stats, rep, err := ing.File(ctx, *corpus, loader.Options{}, nil) // the format detected, BEIR's included
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "corpus %s: %d papers, %d skipped, %d embedded in %s (cached in %s)\n",
		*corpus, stats.Total(), len(rep.Skipped), stats.Embedded, time.Since(start).Round(time.Millisecond), papers.Where())

	if !*noTune {
		if _, err := refitIfStale(ctx, e, papers, false); err != nil {
			return err
		}
	}
	eng := papers.Engine()
	eng.Recommender = recommender
	if *noTune {
		eng.Fusion = search.DefaultFusion
	}
	fusion := evalFusion{Source: "default"}
	if eng.Fusion.Fitted {
		fusion.Source = "fitted"
	}
	for name, apply := range map[string]func(){
		"fusion": func() { eng.Fusion.Method = method }, "rrf-k": func() { eng.Fusion.K = *rrfK },
		"lexical-weight": func() { eng.Fusion.LexicalWeight = *lexWeight }, "vector-weight": func() { eng.Fusion.VectorWeight = *vecWeight },
	} {
		if set[name] {
			apply()
			eng.Fusion.Fitted, fusion.Source = false, "flags"
		}
	}
	fusion.Method, fusion.LexicalWeight, fusion.VectorWeight, fusion.K = eng.Fusion.Method, eng.Fusion.LexicalWeight, eng.Fusion.VectorWeight, eng.Fusion.K
	report := evalReport{Corpus: *corpus, Queries: *queries, Qrels: *qrels, Depth: *depth, Embedder: emb.Info(), Backend: cmp.Or(c.Kind, backend.Embedded),
		Fusion: fusion}
	for _, q := range qs {
		if len(judged[q.ID]) > 0 {
			report.Judged++
		}
	}
	report.QueryCount = len(qs)
	if report.Judged == 0 {
		return fmt.Errorf("no query of %s has a judgment in %s: check that they belong together", *queries, *qrels)
	}
	var perQueryLines strings.Builder
	for _, m := range modes {
		start := time.Now()
		runs, err := runQueries(ctx, eng, qs, m, *depth)
		if err != nil {
			return err
		}
		ranked := make([][]string, len(runs))
		for i, r := range runs {
			ranked[i] = eval.IDs(r)
		}
		row := evalRow{Mode: m, Scores: eval.Score(qs, ranked, judged), Seconds: math.Round(time.Since(start).Seconds()*10) / 10}
		if *perQuery != "" {
			for i, q := range qs {
				if g := judged[q.ID]; judged.Relevant(q.ID) {
					fmt.Fprintf(&perQueryLines, "%s\t%s\t%.4f\t%.4f\t%.4f\n", m, q.ID,
						eval.NDCG(ranked[i], g, 10), eval.Recall(ranked[i], g, 100), eval.MRR(ranked[i], g, 10))
				}
			}
		}
		report.Results = append(report.Results, row)
		if *runOut != "" {
			if err := writeRun(*runOut, qs, runs, "paperlens-"+string(m)); err != nil {
				return err
			}
		}
	}
	if *perQuery != "" {
		if err := os.WriteFile(*perQuery, []byte(perQueryLines.String()), 0o644); err != nil {
			return fmt.Errorf("cannot write the figures per query: %w", err)
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, report)
	}
	fmt.Fprintf(e.stdout, "%d queries, %d judged (%s), depth %d, embedder %s/%s, backend %s\nhybrid fusion: %s (%s)\n\n",
		report.QueryCount, report.Judged, report.Qrels, report.Depth, report.Embedder.Embedder, report.Embedder.Model, report.Backend,
		describeFusion(eng.Fusion), fusion.Source)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mode\tnDCG@10\tRecall@100\tMRR@10\tseconds")
	for _, r := range report.Results {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.1f\n", r.Mode, r.NDCG10, r.Recall100, r.MRR10, r.Seconds)
	}
	return tw.Flush()
}

// evalReport is what eval prints.
type evalReport struct {
	Corpus     string          `json:"corpus"`
	Queries    string          `json:"queries"`
	Qrels      string          `json:"qrels"`
	QueryCount int             `json:"query_count"`
	Judged     int             `json:"judged"`
	Depth      int             `json:"depth"`
	Embedder   embeddings.Info `json:"embedder"`
	Backend    string          `json:"backend"`
	Fusion     evalFusion      `json:"fusion"`
	Results    []evalRow       `json:"results"`
}

// evalFusion is the fusion the hybrid mode ranked with, and where it came
// from: "fitted" to the cached folder (paperlens tune), "default", or
// "flags".
type evalFusion struct {
	Method        search.FusionMethod `json:"method"`
	LexicalWeight float64             `json:"lexical_weight"`
	VectorWeight  float64             `json:"vector_weight"`
	K             float64             `json:"k"`
	Source        string              `json:"source"`
}

// evalRow holds one mode's figures, averaged over the judged queries.
type evalRow struct {
	Mode search.Mode `json:"mode"`
	eval.Scores
	Seconds float64 `json:"seconds"`
}

func defaultCacheDir(e *env) string {
	base := e.getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(".paperlens", "cache", "eval")
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "paperlens", "eval")
}

// evalDataDir names the cached data folder of a corpus: a digest of its
// content and the embedder.
func evalDataDir(cache, corpus string, info embeddings.Info) (string, error) {
	f, err := os.Open(corpus)
	if err != nil {
		return "", fmt.Errorf("cannot open the corpus: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00", evalFormat, info.Embedder, info.Model, info.Dimension)
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("cannot read the corpus: %w", err)
	}
	return filepath.Join(cache, hex.EncodeToString(h.Sum(nil))[:16]), nil
}

// runQueries ranks the papers for every query, in parallel; runs[i] is the
// ranking of qs[i].
func runQueries(ctx context.Context, eng *search.Engine, qs []eval.Query, mode search.Mode, depth int) ([][]paper.Hit, error) {
	runs := make([][]paper.Hit, len(qs))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				hits, err := rankAll(ctx, eng, qs[i], mode, depth)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("query %s: %w", qs[i].ID, err)
					}
					mu.Unlock()
				}
				runs[i] = hits
			}
		})
	}
	for i := range qs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return runs, first
}

// rankAll pages through one query's ranking down to depth.
func rankAll(ctx context.Context, eng *search.Engine, q eval.Query, mode search.Mode, depth int) ([]paper.Hit, error) {
	var hits []paper.Hit
	for len(hits) < depth {
		o := search.Options{Offset: len(hits), Limit: min(search.MaxLimit, depth-len(hits)), Mode: mode}
		var page paper.Page
		var err error
		switch {
		case len(q.Positive) > 0:
			page, err = eng.Recommend(ctx, search.ExampleIDs(q.Positive), search.ExampleIDs(q.Negative), o)
		case q.PaperID != "":
			page, err = eng.Similar(ctx, q.PaperID, o)
		default:
			page, err = eng.Search(ctx, q.Text, o)
		}
		if bad := (*search.Error)(nil); errors.As(err, &bad) && bad.Code == search.CodeEmptyQuery {
			return hits, nil // an empty query: nothing to rank
		}
		if err != nil {
			return nil, err
		}
		hits = append(hits, page.Results...)
		if len(page.Results) < o.Limit {
			break
		}
	}
	return hits, nil
}

// writeRun writes rankings in TREC run format: qid Q0 docid rank score tag.
func writeRun(path string, qs []eval.Query, runs [][]paper.Hit, tag string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write the run: %w", err)
	}
	if err := eval.WriteRun(f, qs, runs, tag); err != nil {
		f.Close()
		return fmt.Errorf("cannot write the run: %w", err)
	}
	return f.Close()
}
