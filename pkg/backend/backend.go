// Package backend opens where the papers are kept, for every command and
// the server alike: the embedded store of a data folder (the chromem-go
// vector store and the word index beside it, assembled here once) or a
// Weaviate cluster, with the embedder whose vectors it holds. A command
// parses its flags into a Config, calls Open, and uses the one value it
// gets: it ranks (search.Backend), writes (ingest.Target), counts,
// exports and imports, and closes, whichever backend it is.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/embeddings/ollama"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/tune"
	"github.com/paperlens/paperlens/pkg/weaviate"
)

// The kinds of backend.
const (
	// Embedded keeps the papers in a data folder (the default).
	Embedded = "embedded"
	// Weaviate keeps them in a Weaviate cluster.
	Weaviate = "weaviate"
)

// Config says where the papers are and which embedder makes their
// vectors. The zero value is the embedded store in "" (which Open
// refuses): set Data at least.
type Config struct {
	// Kind is Embedded ("" too) or Weaviate.
	Kind string
	// Data is the data folder of the embedded store.
	Data string
	// WeaviateURLs are the nodes of the cluster, comma-separated.
	WeaviateURLs string
	// WeaviateClass is the class that holds the papers; "" means one per
	// embedder and model (weaviate.ClassName).
	WeaviateClass string
	// WeaviateReplicas is the replication factor of a class Open creates
	// (0: 1).
	WeaviateReplicas int
	// Timeout bounds one Weaviate request (0: 10 s) and, for an Ollama
	// embedder, one call (0: 60 s).
	Timeout time.Duration
	// Embedder names the embedder: "builtin", "ollama", or "" for the one
	// the data folder was built with (else builtin).
	Embedder string
	// Model is the Ollama model, such as nomic-embed-text.
	Model string
	// OllamaHost is the Ollama server's URL ("": OLLAMA_HOST's default).
	OllamaHost string
	// BatchSize is how many texts go to Ollama in one call (0: its
	// default).
	BatchSize int
	// QueryPrefix and DocumentPrefix, when not nil, replace the Ollama
	// model's prefixes from the table of known models.
	QueryPrefix, DocumentPrefix *string
}

// ConfigError is a Config that cannot work, such as an unknown backend or
// a URL that is not one; the CLI answers it as a wrong call.
type ConfigError struct{ msg string }

// Error says what is wrong and what to give instead.
func (e *ConfigError) Error() string { return e.msg }

func configError(format string, args ...any) error {
	return &ConfigError{msg: fmt.Sprintf(format, args...)}
}

// Backend is an open place where papers are kept.
type Backend interface {
	search.Backend
	ingest.Target
	// All yields every stored record, vectors included, in no particular
	// order, until the loop stops or reading fails (then it yields the
	// error).
	All(ctx context.Context) iter.Seq2[paper.Record, error]
	// Restore stores records read from a backup, replacing the papers
	// with the same ids, their vectors kept as they are.
	Restore(ctx context.Context, recs []paper.Record) error
	// Export writes every paper and its vector to w as a backup (see
	// store.WriteBackup) and returns how many it wrote.
	Export(ctx context.Context, w io.Writer) (int, error)
	// Status describes what the backend holds, for 'paperlens stats'.
	Status(ctx context.Context) (Status, error)
	// Where names the backend in messages: the data folder, or the
	// Weaviate class.
	Where() string
	// Close releases the backend: every write it acknowledged is kept.
	Close() error
}

// Status describes what a backend holds.
type Status struct {
	// Where names the backend as label/value pairs: the data folder, or
	// the Weaviate backend and class.
	Where []Attr
	// Count is how many papers it holds.
	Count int
	// Info names the embedder whose vectors it holds.
	Info embeddings.Info
	// Updated is when a paper was last written, or zero when the backend
	// does not say.
	Updated time.Time
}

// Attr is one label and value of a Status.
type Attr struct{ Label, Value string }

// Papers is an open backend with the embedder that fills it.
type Papers struct {
	Backend
	// Embedder embeds queries and new papers.
	Embedder embeddings.Embedder
}

// Engine is the query road over the papers, with the fusion fitted to
// them when there is one (see Fit).
func (p *Papers) Engine() *search.Engine {
	eng := search.New(p.Embedder, p)
	eng.Fusion = tune.FusionOf(p.Fitted())
	return eng
}

// Ingester is the write road into the papers.
func (p *Papers) Ingester() *ingest.Ingester { return ingest.NewTo(p.Embedder, p) }

// Open opens the embedder and the backend cfg names. With existing, a
// backend that holds no papers yet is an error that says how to fill it,
// for the commands that only read. The caller closes the backend.
func Open(ctx context.Context, cfg Config, existing bool) (*Papers, error) {
	kind, err := cfg.kind()
	if err != nil {
		return nil, err
	}
	if kind == Embedded && existing {
		if err := MustHoldPapers(cfg.Data); err != nil {
			return nil, err
		}
	}
	emb, err := OpenEmbedder(cfg)
	if err != nil {
		return nil, err
	}
	b, err := OpenFor(ctx, cfg, emb.Info())
	if err != nil {
		return nil, err
	}
	if kind == Weaviate && existing {
		if n, err := b.Count(ctx, paper.Filter{}); err != nil || n == 0 {
			b.Close()
			if err == nil {
				err = fmt.Errorf("no papers in %s yet: run 'paperlens ingest --backend weaviate --weaviate-url %s FILE...' first", b.Where(), cfg.WeaviateURLs)
			}
			return nil, err
		}
	}
	return &Papers{Backend: b, Embedder: emb}, nil
}

// OpenFor opens the backend cfg names for the vectors info describes,
// without an embedder: for restoring a backup, whose vectors are made
// already. It creates the data folder or Weaviate class if needed, and
// refuses one built by another embedder.
func OpenFor(ctx context.Context, cfg Config, info embeddings.Info) (Backend, error) {
	kind, err := cfg.kind()
	if err != nil {
		return nil, err
	}
	if kind == Weaviate {
		return openWeaviate(ctx, cfg, info)
	}
	return openEmbedded(ctx, cfg.Data, info)
}

// kind checks the backend's name and what it needs.
func (cfg Config) kind() (string, error) {
	switch k := strings.ToLower(strings.TrimSpace(cfg.Kind)); k {
	case "", Embedded:
		if cfg.Data == "" {
			return "", configError("no data folder: give --data DIR")
		}
		return Embedded, nil
	case Weaviate:
		if _, err := weaviate.ParseURLs(cfg.WeaviateURLs); err != nil {
			return "", configError("%v", err)
		}
		if cfg.WeaviateReplicas < 0 {
			return "", configError("--weaviate-replicas must be 1 or more, got %d", cfg.WeaviateReplicas)
		}
		return Weaviate, nil
	}
	return "", configError("unknown backend %q (want embedded or weaviate)", cfg.Kind)
}

// OpenEmbedder makes the embedder cfg names. When it names none, it uses
// the one that built the data folder, so a folder built with Ollama is
// searched with Ollama without repeating the flags.
func OpenEmbedder(cfg Config) (embeddings.Embedder, error) {
	name, model := cfg.Embedder, cfg.Model
	if kind, _ := cfg.kind(); name == "" && kind == Embedded {
		if m, err := store.ReadManifest(cfg.Data); err == nil {
			name = m.Embedder
			if model == "" {
				model = m.Model
			}
		}
	}
	switch strings.ToLower(name) {
	case "", "builtin":
		if cfg.Model != "" && cfg.Embedder != "" {
			return nil, configError("--model is for --embedder ollama; the built-in embedder has one model")
		}
		return builtin.New()
	case "ollama":
		if model == "" {
			return nil, configError("--embedder ollama needs --model NAME (e.g. nomic-embed-text)")
		}
		return ollama.New(ollama.Config{
			Host:           cfg.OllamaHost,
			Model:          model,
			BatchSize:      cfg.BatchSize,
			Timeout:        cfg.Timeout,
			QueryPrefix:    cfg.QueryPrefix,
			DocumentPrefix: cfg.DocumentPrefix,
		})
	}
	return nil, configError("unknown embedder %q (want builtin or ollama)", name)
}

// IsConfigError reports whether err comes from a Config that cannot work.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}
