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
	"time"

	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/ingest"
)

// config holds the settings shared by the commands that open papers: where
// they are (a data folder or a Weaviate cluster) and which embedder makes
// their vectors. Every flag falls back to a PAPERLENS_* environment
// variable. Package backend does the opening.
type config struct {
	backend.Config
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
	fs.StringVar(&c.Data, "data", envOr(e, "PAPERLENS_DATA", dataDefault), "data `folder` (env PAPERLENS_DATA)")
	c.registerEmbedder(fs, e)
	c.registerBackend(fs, e)
}

// registerBackend adds the backend flags to fs, with defaults from the
// environment.
func (c *config) registerBackend(fs *flag.FlagSet, e *env) {
	fs.StringVar(&c.Kind, "backend", envOr(e, "PAPERLENS_BACKEND", backend.Embedded), "where papers are kept: embedded (the data folder) or weaviate (a Weaviate cluster) (env PAPERLENS_BACKEND)")
	fs.StringVar(&c.WeaviateURLs, "weaviate-url", e.getenv("PAPERLENS_WEAVIATE_URL"), "Weaviate node `URLs`, comma-separated, e.g. http://127.0.0.1:8080 (env PAPERLENS_WEAVIATE_URL)")
	fs.StringVar(&c.WeaviateClass, "weaviate-class", e.getenv("PAPERLENS_WEAVIATE_CLASS"), "Weaviate `class` holding the papers (env PAPERLENS_WEAVIATE_CLASS; default: one per embedder and model)")
	fs.IntVar(&c.WeaviateReplicas, "weaviate-replicas", envInt(e, "PAPERLENS_WEAVIATE_REPLICAS", 1), "replication factor of a Weaviate class created by this command (env PAPERLENS_WEAVIATE_REPLICAS)")
}

// registerEmbedder adds the embedder flags to fs, with defaults from the
// environment.
func (c *config) registerEmbedder(fs *flag.FlagSet, e *env) {
	fs.StringVar(&c.Embedder, "embedder", e.getenv("PAPERLENS_EMBEDDER"), "embedder: builtin or ollama (env PAPERLENS_EMBEDDER; default: the one the data folder was built with, else builtin)")
	fs.StringVar(&c.Model, "model", e.getenv("PAPERLENS_MODEL"), "Ollama model `name`, e.g. nomic-embed-text (env PAPERLENS_MODEL)")
	fs.StringVar(&c.OllamaHost, "ollama-host", e.getenv("OLLAMA_HOST"), "Ollama server `URL` (env OLLAMA_HOST; default http://127.0.0.1:11434)")
	fs.IntVar(&c.BatchSize, "batch-size", envInt(e, "PAPERLENS_BATCH_SIZE", 0), "texts per embedding call (env PAPERLENS_BATCH_SIZE; default 64 for ingest, 32 per Ollama call)")
	fs.DurationVar(&c.Timeout, "timeout", envDuration(e, "PAPERLENS_TIMEOUT", 0), "timeout of one Ollama call or Weaviate request (env PAPERLENS_TIMEOUT; default 60s for Ollama, 10s for Weaviate)")
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

// registerFolder adds the flags of a command that moves papers in or out
// whole (export, import): the data folder or the Weaviate cluster, and the
// timeout of one Weaviate request; no embedder is involved.
func (c *config) registerFolder(fs *flag.FlagSet, e *env) {
	fs.StringVar(&c.Data, "data", envOr(e, "PAPERLENS_DATA", defaultDataDir(e, "default")), "data `folder` (env PAPERLENS_DATA)")
	c.registerBackend(fs, e)
	fs.DurationVar(&c.Timeout, "timeout", envDuration(e, "PAPERLENS_TIMEOUT", 0), "timeout of one Weaviate request (env PAPERLENS_TIMEOUT; default 10s)")
}

// ingester is the write road into papers, writing --batch-size papers at a
// time when the flag is given.
func (c *config) ingester(papers *backend.Papers) *ingest.Ingester {
	ing := papers.Ingester()
	if c.BatchSize > 0 {
		ing.BatchSize = c.BatchSize
	}
	return ing
}

// open opens the papers the flags name, with their embedder. With
// existing, papers never ingested are an error that says how to add them.
// The caller closes them.
func (c *config) open(ctx context.Context, existing bool) (*backend.Papers, error) {
	c.QueryPrefix, c.DocumentPrefix = c.queryPrefix.ptr(), c.documentPrefix.ptr()
	return backend.Open(ctx, c.Config, existing)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
