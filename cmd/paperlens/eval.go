package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
)

// evalFormat changes when the cached store or index would be built
// differently, so that old caches are not reused.
const evalFormat = "eval-1"

// qrelsNames are looked for, in this order, in a qrels/ folder beside the
// corpus when --qrels is not given: the BEIR layout.
var qrelsNames = []string{"test.tsv", "dev.tsv", "train.tsv"}

func runEval(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "eval", "",
		"Measures ranking quality on a BEIR data set: ingests the corpus into a cached data folder\n"+
			"(keyed by the corpus's content and the embedder, so a second run embeds nothing), runs every\n"+
			"query and prints nDCG@10, Recall@100 and MRR@10 over the judged queries (graded when the\n"+
			"qrels have grades). A query line is {\"_id\",\"text\"}, or {\"_id\",\"paper_id\"} for \"papers like\n"+
			"this one\" (the paper itself left out). Without --qrels, qrels/test.tsv, qrels/dev.tsv, then\n"+
			"qrels/train.tsv beside the corpus are tried, in that order. The hybrid mode ranks with the fusion\n"+
			"fitted to the cached folder (see paperlens tune; fitted on the first run); --fusion,\n"+
			"--lexical-weight, --vector-weight and --rrf-k override it.")
	c.registerEmbedder(fs, e)
	c.registerBackend(fs, e)
	corpus := fs.String("corpus", "", "BEIR corpus.jsonl `file` (_id, title, text)")
	queries := fs.String("queries", "", "BEIR queries.jsonl `file` (_id, text or paper_id)")
	qrels := fs.String("qrels", "", "relevance judgments `file` (query-id, corpus-id, score; TSV)")
	modeFlag := fs.String("mode", string(search.Hybrid), "ranking: hybrid, vector, lexical, or all (one row each)")
	depth := fs.Int("depth", 100, "how many papers to rank per query (at least 100 for Recall@100)")
	runOut := fs.String("run-out", "", "write the ranking in TREC run format to this `file`")
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
		if *qrels, err = findQrels(*corpus); err != nil {
			return err
		}
	}
	judged, err := readQrels(*qrels)
	if err != nil {
		return err
	}
	qs, err := readQueries(*queries)
	if err != nil {
		return err
	}

	emb, err := c.openEmbedder()
	if err != nil {
		return err
	}
	if *cache == "" {
		*cache = defaultCacheDir(e)
	}
	dir, err := evalDataDir(*cache, *corpus, emb.Info())
	if err != nil {
		return err
	}
	useWV, err := c.useWeaviate()
	if err != nil {
		return err
	}
	var df *folder
	if useWV {
		if c.weaviateClass == "" { // one class per corpus and embedder, as one cached folder
			c.weaviateClass = "PaperlensEval_" + unsafeClassChars.ReplaceAllString(filepath.Base(dir), "_")
		}
		if df, err = c.openWeaviate(ctx, false); err != nil {
			return err
		}
		dir = df.where()
	} else {
		st, err := store.Open(dir, emb.Info())
		if err != nil {
			return err
		}
		lx, err := lexical.Open(ctx, st)
		if err != nil {
			st.Close()
			return err
		}
		df = &folder{emb: emb, st: st, lx: lx}
	}
	defer df.Close()
	ing := df.ingester(emb)
	if c.batchSize > 0 {
		ing.BatchSize = c.batchSize
	}
	start := time.Now()
	stats, rep, err := ing.File(ctx, *corpus, loader.Options{Format: loader.BEIR}, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "corpus %s: %d papers, %d skipped, %d embedded in %s (cached in %s)\n",
		*corpus, stats.Total(), len(rep.Skipped), stats.Embedded, time.Since(start).Round(time.Millisecond), dir)

	if !*noTune {
		if err := refitIfStale(ctx, e, df, false); err != nil {
			return err
		}
	}
	eng := df.engine(emb)
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
	report := evalReport{Corpus: *corpus, Queries: *queries, Qrels: *qrels, Depth: *depth, Embedder: emb.Info(), Backend: c.backend, Fusion: fusion}
	for _, q := range qs {
		if len(judged[q.ID]) > 0 {
			report.Judged++
		}
	}
	report.QueryCount = len(qs)
	if report.Judged == 0 {
		return fmt.Errorf("no query of %s has a judgment in %s: check that they belong together", *queries, *qrels)
	}
	for _, m := range modes {
		start := time.Now()
		runs, err := runQueries(ctx, eng, qs, m, *depth)
		if err != nil {
			return err
		}
		row := score(qs, runs, judged)
		row.Mode, row.Seconds = m, math.Round(time.Since(start).Seconds()*10)/10
		report.Results = append(report.Results, row)
		if *runOut != "" {
			if err := writeRun(*runOut, qs, runs, "paperlens-"+string(m)); err != nil {
				return err
			}
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
	Mode      search.Mode `json:"mode"`
	NDCG10    float64     `json:"ndcg@10"`
	Recall100 float64     `json:"recall@100"`
	MRR10     float64     `json:"mrr@10"`
	Seconds   float64     `json:"seconds"`
}

// evalQuery is a line of queries.jsonl.
type evalQuery struct {
	ID      string `json:"_id"`
	Text    string `json:"text"`
	PaperID string `json:"paper_id"`
}

func readQueries(path string) ([]evalQuery, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the queries: %w", err)
	}
	defer f.Close()
	var qs []evalQuery
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q evalQuery
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON query object: %v", path, n, err)
		}
		q.ID = strings.TrimSpace(q.ID)
		switch {
		case q.ID == "":
			return nil, fmt.Errorf("%s:%d: the query has no \"_id\"", path, n)
		case strings.TrimSpace(q.Text) == "" && strings.TrimSpace(q.PaperID) == "":
			return nil, fmt.Errorf("%s:%d: query %q has neither \"text\" nor \"paper_id\"", path, n, q.ID)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%s holds no queries", path)
	}
	return qs, nil
}

// findQrels looks for the judgments beside a BEIR corpus.
func findQrels(corpus string) (string, error) {
	dir := filepath.Join(filepath.Dir(corpus), "qrels")
	for _, name := range qrelsNames {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no --qrels given and none of %s in %s: give --qrels FILE", errUsage, strings.Join(qrelsNames, ", "), dir)
}

// readQrels reads query-id, corpus-id, score lines (tab- or
// space-separated, a header line allowed) into query → paper → grade.
func readQrels(path string) (map[string]map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the qrels: %w", err)
	}
	defer f.Close()
	out := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) == 4 { // TREC qrels: qid iter docid rel
			fields = []string{fields[0], fields[2], fields[3]}
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want query-id, corpus-id and score, got %d fields", path, n, len(fields))
		}
		grade, err := strconv.Atoi(fields[2])
		if err != nil {
			if n == 1 { // the header
				continue
			}
			return nil, fmt.Errorf("%s:%d: score %q is not a whole number", path, n, fields[2])
		}
		if out[fields[0]] == nil {
			out[fields[0]] = map[string]int{}
		}
		out[fields[0]][paper.NormalizeID(fields[1])] = grade
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return out, nil
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
func runQueries(ctx context.Context, eng *search.Engine, qs []evalQuery, mode search.Mode, depth int) ([][]paper.Hit, error) {
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
func rankAll(ctx context.Context, eng *search.Engine, q evalQuery, mode search.Mode, depth int) ([]paper.Hit, error) {
	var hits []paper.Hit
	for len(hits) < depth {
		o := search.Options{Offset: len(hits), Limit: min(search.MaxLimit, depth-len(hits)), Mode: mode}
		var page paper.Page
		var err error
		if q.PaperID != "" {
			page, err = eng.Similar(ctx, q.PaperID, o)
		} else {
			page, err = eng.Search(ctx, q.Text, o)
		}
		if errors.Is(err, search.ErrInvalid) && strings.Contains(err.Error(), "is empty") {
			return hits, nil // a query of stop words only: nothing to rank
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

// score averages nDCG@10 (gain = grade), Recall@100 and MRR@10 over the
// queries that have a judgment with a grade above 0, as trec_eval does.
func score(qs []evalQuery, runs [][]paper.Hit, judged map[string]map[string]int) evalRow {
	var row evalRow
	n := 0
	for i, q := range qs {
		grades := judged[q.ID]
		var ideal []int
		for _, g := range grades {
			if g > 0 {
				ideal = append(ideal, g)
			}
		}
		if len(ideal) == 0 {
			continue
		}
		n++
		slices.Sort(ideal)
		slices.Reverse(ideal)
		var dcg, idcg float64
		for r := 0; r < 10 && r < len(ideal); r++ {
			idcg += float64(ideal[r]) / math.Log2(float64(r+2))
		}
		found, rr := 0, 0.0
		for r, h := range runs[i] {
			g := grades[h.ID]
			if r < 10 && g > 0 {
				dcg += float64(g) / math.Log2(float64(r+2))
				if rr == 0 {
					rr = 1 / float64(r+1)
				}
			}
			if r < 100 && g > 0 {
				found++
			}
		}
		row.NDCG10 += dcg / idcg
		row.Recall100 += float64(found) / float64(len(ideal))
		row.MRR10 += rr
	}
	if n > 0 {
		row.NDCG10 = math.Round(row.NDCG10/float64(n)*1e4) / 1e4
		row.Recall100 = math.Round(row.Recall100/float64(n)*1e4) / 1e4
		row.MRR10 = math.Round(row.MRR10/float64(n)*1e4) / 1e4
	}
	return row
}

// writeRun writes rankings in TREC run format: qid Q0 docid rank score tag.
func writeRun(path string, qs []evalQuery, runs [][]paper.Hit, tag string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write the run: %w", err)
	}
	w := bufio.NewWriter(f)
	for i, q := range qs {
		for r, h := range runs[i] {
			fmt.Fprintf(w, "%s Q0 %s %d %.6f %s\n", q.ID, h.ID, r+1, h.Score, tag)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("cannot write the run: %w", err)
	}
	return f.Close()
}
