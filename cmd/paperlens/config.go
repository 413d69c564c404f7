package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/embeddings/ollama"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/tune"
	"github.com/paperlens/paperlens/pkg/weaviate"
)

// config holds the settings shared by the commands that open a data folder.
// Every flag falls back to a PAPERLENS_* environment variable.
type config struct {
	data           string
	embedder       string
	model          string
	ollamaHost     string
	batchSize      int
	timeout        time.Duration
	queryPrefix    optString
	documentPrefix optString
	// The backend: the embedded store in data, or a Weaviate cluster.
	backend          string
	weaviateURL      string
	weaviateClass    string
	weaviateReplicas int
}

// optString is a string flag that remembers whether it was set, so an empty
// prefix can override the model table.
type optString struct {
	set bool
	v   string
}

func (o *optString) String() string { return o.v }
func (o *optString) Set(s string) error {
	o.set, o.v = true, s
	return nil
}

func (o *optString) ptr() *string {
	if !o.set {
		return nil
	}
	return &o.v
}

// defaultDataDir is where papers live when neither --data nor
// PAPERLENS_DATA says otherwise: $XDG_DATA_HOME/paperlens/NAME, else
// ~/.local/share/paperlens/NAME.
func defaultDataDir(e *env, name string) string {
	base := e.getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(".paperlens", name)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "paperlens", name)
}

// newFlagSet returns a flag set whose errors and help go to e.stderr.
func newFlagSet(e *env, name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: paperlens %s [flags] %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
	}
	return fs
}

// register adds the data and embedder flags to fs, with defaults from the
// environment.
func (c *config) register(fs *flag.FlagSet, e *env, dataDefault string) {
	fs.StringVar(&c.data, "data", envOr(e, "PAPERLENS_DATA", dataDefault), "data `folder` (env PAPERLENS_DATA)")
	c.registerEmbedder(fs, e)
	c.registerBackend(fs, e)
}

// Backends.
const (
	backendEmbedded = "embedded"
	backendWeaviate = "weaviate"
)

// registerBackend adds the backend flags to fs, with defaults from the
// environment.
func (c *config) registerBackend(fs *flag.FlagSet, e *env) {
	fs.StringVar(&c.backend, "backend", envOr(e, "PAPERLENS_BACKEND", backendEmbedded), "where papers are kept: embedded (the data folder) or weaviate (a Weaviate cluster) (env PAPERLENS_BACKEND)")
	fs.StringVar(&c.weaviateURL, "weaviate-url", e.getenv("PAPERLENS_WEAVIATE_URL"), "Weaviate node `URLs`, comma-separated, e.g. http://127.0.0.1:8080 (env PAPERLENS_WEAVIATE_URL)")
	fs.StringVar(&c.weaviateClass, "weaviate-class", e.getenv("PAPERLENS_WEAVIATE_CLASS"), "Weaviate `class` holding the papers (env PAPERLENS_WEAVIATE_CLASS; default: one per embedder and model)")
	fs.IntVar(&c.weaviateReplicas, "weaviate-replicas", envInt(e, "PAPERLENS_WEAVIATE_REPLICAS", 1), "replication factor of a Weaviate class created by this command (env PAPERLENS_WEAVIATE_REPLICAS)")
}

// unsafeClassChars are those a Weaviate class name cannot hold.
var unsafeClassChars = regexp.MustCompile(`[^A-Za-z0-9_]`)

// useWeaviate reports whether the flags choose the Weaviate backend, or
// says what is wrong with the choice.
func (c *config) useWeaviate() (bool, error) {
	switch strings.ToLower(strings.TrimSpace(c.backend)) {
	case "", backendEmbedded:
		return false, nil
	case backendWeaviate:
		return true, nil
	}
	return false, fmt.Errorf("%w: unknown backend %q (want embedded or weaviate)", errUsage, c.backend)
}

// registerEmbedder adds the embedder flags to fs, with defaults from the
// environment.
func (c *config) registerEmbedder(fs *flag.FlagSet, e *env) {
	fs.StringVar(&c.embedder, "embedder", e.getenv("PAPERLENS_EMBEDDER"), "embedder: builtin or ollama (env PAPERLENS_EMBEDDER; default: the one the data folder was built with, else builtin)")
	fs.StringVar(&c.model, "model", e.getenv("PAPERLENS_MODEL"), "Ollama model `name`, e.g. nomic-embed-text (env PAPERLENS_MODEL)")
	fs.StringVar(&c.ollamaHost, "ollama-host", e.getenv("OLLAMA_HOST"), "Ollama server `URL` (env OLLAMA_HOST; default http://127.0.0.1:11434)")
	fs.IntVar(&c.batchSize, "batch-size", envInt(e, "PAPERLENS_BATCH_SIZE", 0), "texts per embedding call (env PAPERLENS_BATCH_SIZE; default 64 for ingest, 32 per Ollama call)")
	fs.DurationVar(&c.timeout, "timeout", envDuration(e, "PAPERLENS_TIMEOUT", 0), "timeout of one Ollama call or Weaviate request (env PAPERLENS_TIMEOUT; default 60s for Ollama, 10s for Weaviate)")
	fs.Var(&c.queryPrefix, "query-prefix", "text put before queries for the Ollama model (default from a table of known models)")
	fs.Var(&c.documentPrefix, "document-prefix", "text put before documents for the Ollama model (default from a table of known models)")
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(e *env, key string, def int) int {
	if n, err := strconv.Atoi(e.getenv(key)); err == nil {
		return n
	}
	return def
}

func envDuration(e *env, key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(e.getenv(key)); err == nil {
		return d
	}
	return def
}

// parse parses args, allowing flags after positional arguments
// ("search 'query' --limit 5"), and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// openEmbedder makes the embedder the flags ask for. When no embedder is
// named, it uses the one that built the data folder, so a folder built with
// Ollama is searched with Ollama without repeating the flags.
func (c *config) openEmbedder() (embeddings.Embedder, error) {
	name, model := c.embedder, c.model
	if wv, _ := c.useWeaviate(); name == "" && !wv {
		if m, err := store.ReadManifest(c.data); err == nil {
			name = m.Embedder
			if model == "" {
				model = m.Model
			}
		}
	}
	switch strings.ToLower(name) {
	case "", "builtin":
		if c.model != "" && c.embedder != "" {
			return nil, fmt.Errorf("%w: --model is for --embedder ollama; the built-in embedder has one model", errUsage)
		}
		return builtin.New()
	case "ollama":
		if model == "" {
			return nil, fmt.Errorf("%w: --embedder ollama needs --model NAME (e.g. nomic-embed-text)", errUsage)
		}
		return ollama.New(ollama.Config{
			Host:           c.ollamaHost,
			Model:          model,
			BatchSize:      c.batchSize,
			Timeout:        c.timeout,
			QueryPrefix:    c.queryPrefix.ptr(),
			DocumentPrefix: c.documentPrefix.ptr(),
		})
	default:
		return nil, fmt.Errorf("%w: unknown embedder %q (want builtin or ollama)", errUsage, name)
	}
}

// open opens the embedder and the data folder.
func (c *config) open() (embeddings.Embedder, *store.Store, error) {
	emb, err := c.openEmbedder()
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(c.data, emb.Info())
	if err != nil {
		return nil, nil, err
	}
	return emb, st, nil
}

// openExisting is open for commands that only read: a folder that does not
// exist yet is an error that says how to fill it.
func (c *config) openExisting() (embeddings.Embedder, *store.Store, error) {
	if _, err := os.Stat(filepath.Join(c.data, store.ManifestFile)); err != nil {
		return nil, nil, fmt.Errorf("no papers in %q yet: run 'paperlens ingest --data %s FILE...' first", c.data, c.data)
	}
	return c.open()
}

// folder is where the papers are: an open data folder (its store and word
// index) or a Weaviate cluster, with the embedder that fills it.
type folder struct {
	emb embeddings.Embedder
	st  *store.Store      // nil on Weaviate
	lx  *lexical.Index    // nil on Weaviate
	wv  *weaviate.Backend // nil on the embedded store
}

// backend is what the query road ranks.
func (f *folder) backend() search.Backend {
	if f.wv != nil {
		return f.wv
	}
	return search.Local(f.st, f.lx)
}

// target is what the write road writes to.
func (f *folder) target() ingest.Target {
	if f.wv != nil {
		return f.wv
	}
	return ingest.Local(f.st, f.lx)
}

// engine ranks the folder's papers, embedding queries with emb (the
// folder's embedder, perhaps wrapped), with the fusion fitted to the
// folder when it has one.
func (f *folder) engine(emb embeddings.Embedder) *search.Engine {
	eng := search.NewOn(emb, f.backend())
	if f.st != nil {
		eng.Fusion = tune.FusionOf(f.st.Manifest().Fitted)
	}
	return eng
}

// ingester writes papers into the folder, embedding them with emb.
func (f *folder) ingester(emb embeddings.Embedder) *ingest.Ingester {
	return ingest.NewTo(emb, f.target())
}

// where names the folder for messages.
func (f *folder) where() string {
	if f.wv != nil {
		return "Weaviate class " + f.wv.Class()
	}
	return f.st.Dir()
}

// Close closes the word index, then the store: closing the store releases
// the folder's lock, which another process may take only once the index's
// last writes are done.
func (f *folder) Close() error {
	if f.wv != nil {
		return f.wv.Close()
	}
	lerr := f.lx.Close()
	if lerr != nil {
		lerr = fmt.Errorf("closing the word index: %w", lerr)
	}
	serr := f.st.Close()
	if serr != nil {
		serr = fmt.Errorf("closing the store in %s: %w", f.st.Dir(), serr)
	}
	return errors.Join(lerr, serr)
}

// openIndexed opens the embedder and the papers: the data folder and its
// word index (rebuilt from the papers when missing), or the Weaviate class.
// With existing, a folder never ingested into is an error. The caller
// closes the folder.
func (c *config) openIndexed(ctx context.Context, existing bool) (*folder, error) {
	wv, err := c.useWeaviate()
	if err != nil {
		return nil, err
	}
	if wv {
		return c.openWeaviate(ctx, existing)
	}
	open := c.open
	if existing {
		open = c.openExisting
	}
	emb, st, err := open()
	if err != nil {
		return nil, err
	}
	lx, err := lexical.Open(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &folder{emb: emb, st: st, lx: lx}, nil
}

// openWeaviate connects to the cluster the flags name.
func (c *config) openWeaviate(ctx context.Context, existing bool) (*folder, error) {
	urls, err := weaviate.ParseURLs(c.weaviateURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if c.weaviateReplicas < 1 {
		return nil, fmt.Errorf("%w: --weaviate-replicas must be 1 or more, got %d", errUsage, c.weaviateReplicas)
	}
	emb, err := c.openEmbedder()
	if err != nil {
		return nil, err
	}
	b, err := weaviate.Open(ctx, weaviate.Config{URLs: urls, Class: c.weaviateClass, Replicas: c.weaviateReplicas, Timeout: c.timeout}, emb.Info())
	if err != nil {
		return nil, err
	}
	if existing {
		n, err := b.Count(ctx, search.Filter{})
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("no papers in Weaviate class %s yet: run 'paperlens ingest --backend weaviate --weaviate-url %s FILE...' first", b.Class(), c.weaviateURL)
		}
	}
	return &folder{emb: emb, wv: b}, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
