// Command mkmodel writes the builtin embedder's GloVe vectors as a
// BERT-architecture embedding model with zero encoder layers and imports it
// into a running Ollama server as paperlens-glove, so that paperlens can be
// tried and tested with a real Ollama without downloading a model:
//
//	ollama serve &
//	go run ./cmd/mkmodel [--host URL] [--name paperlens-glove] [--out DIR]
//	paperlens ingest --embedder ollama --model paperlens-glove papers.jsonl
//
// The files go to --out (kept) or to a temporary folder (removed). Creating
// the model again is harmless. Package embeddings/ollama/glovemodel says how
// the model is built and why it ranks papers as the builtin embedder does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/ollama/ollama/api"

	"github.com/paperlens/paperlens/embeddings/ollama/glovemodel"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "mkmodel:", err)
		os.Exit(1)
	}
}

// run writes the model's files and, unless --no-import, imports them.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkmodel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("host", os.Getenv("OLLAMA_HOST"), "Ollama server `URL` (env OLLAMA_HOST; default http://127.0.0.1:11434)")
	name := fs.String("name", glovemodel.Name, "model `name` to create")
	out := fs.String("out", "", "write the model files into this `folder` and keep them (default: a temporary folder)")
	noImport := fs.Bool("no-import", false, "only write the files (needs --out)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: mkmodel [--host URL] [--name NAME] [--out DIR] [--no-import]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q — see --help", fs.Arg(0))
	}
	if *noImport && *out == "" {
		return errors.New("--no-import needs --out, or the files would be thrown away")
	}

	dir := *out
	if dir == "" {
		tmp, err := os.MkdirTemp("", "paperlens-glove-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := glovemodel.Write(dir); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (%d-dimensional, BERT with zero layers)\n", dir, glovemodel.Dimension)
	if *noImport {
		return nil
	}

	client, err := newClient(*host)
	if err != nil {
		return err
	}
	last := ""
	err = glovemodel.Import(ctx, client, *name, dir, func(status string) {
		if status != last {
			fmt.Fprintln(stderr, status)
			last = status
		}
	})
	if err != nil {
		return fmt.Errorf("%w — is `ollama serve` running at %s?", err, clientHost(*host))
	}
	fmt.Fprintln(stdout, *name)
	return nil
}

// newClient returns a client for host, or for OLLAMA_HOST and its default
// when host is empty, as the ollama command resolves it.
func newClient(host string) (*api.Client, error) {
	if host != "" {
		os.Setenv("OLLAMA_HOST", host)
	}
	client, err := api.ClientFromEnvironment()
	if err != nil {
		return nil, fmt.Errorf("bad Ollama host %q: %w", host, err)
	}
	return client, nil
}

func clientHost(host string) string {
	if host == "" {
		return "the default host (OLLAMA_HOST)"
	}
	return host
}
