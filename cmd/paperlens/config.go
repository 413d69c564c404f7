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
	"strconv"
	"strings"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/embeddings/ollama"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/store"
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
}

// registerEmbedder adds the embedder flags to fs, with defaults from the
// environment.
func (c *config) registerEmbedder(fs *flag.FlagSet, e *env) {
	fs.StringVar(&c.embedder, "embedder", e.getenv("PAPERLENS_EMBEDDER"), "embedder: builtin or ollama (env PAPERLENS_EMBEDDER; default: the one the data folder was built with, else builtin)")
	fs.StringVar(&c.model, "model", e.getenv("PAPERLENS_MODEL"), "Ollama model `name`, e.g. nomic-embed-text (env PAPERLENS_MODEL)")
	fs.StringVar(&c.ollamaHost, "ollama-host", e.getenv("OLLAMA_HOST"), "Ollama server `URL` (env OLLAMA_HOST; default http://127.0.0.1:11434)")
	fs.IntVar(&c.batchSize, "batch-size", envInt(e, "PAPERLENS_BATCH_SIZE", 0), "texts per embedding call (env PAPERLENS_BATCH_SIZE; default 64 for ingest, 32 per Ollama call)")
	fs.DurationVar(&c.timeout, "timeout", envDuration(e, "PAPERLENS_TIMEOUT", 0), "timeout of one Ollama call (env PAPERLENS_TIMEOUT; default 60s)")
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
	if name == "" {
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

// folder is an open data folder: the embedder that fills it, its store
// and its word index.
type folder struct {
	emb embeddings.Embedder
	st  *store.Store
	lx  *lexical.Index
}

// Close closes the word index, then the store: closing the store releases
// the folder's lock, which another process may take only once the index's
// last writes are done.
func (f *folder) Close() error {
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

// openIndexed opens the embedder, the data folder and its word index
// (rebuilt from the papers when missing). With existing, a folder never
// ingested into is an error. The caller closes the folder.
func (c *config) openIndexed(ctx context.Context, existing bool) (*folder, error) {
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

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
