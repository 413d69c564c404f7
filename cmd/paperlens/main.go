// Command paperlens is a semantic search engine over paper abstracts: it
// ingests papers, embeds them, stores the vectors in a local data folder and
// answers "papers like this one" from the command line and over HTTP.
//
// Usage:
//
//	paperlens <command> [flags] [args]
//
// Run 'paperlens help' for the commands and 'paperlens <command> --help' for
// the flags of one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/paperlens/paperlens/pkg/backend"
)

// command is one subcommand: a name, a line of help, and Run.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = []command{
	{"demo", "ingest the 38 seed papers and serve the HTTP API on 127.0.0.1:8080", runDemo},
	{"ingest", "add papers from files to a data folder", runIngest},
	{"sync", "add new papers from Hugging Face Daily Papers or arXiv, continuing where the last sync stopped", runSync},
	{"search", "rank the stored papers against a query", runSearch},
	{"similar", "list papers like a stored paper", runSimilar},
	{"recommend", "list papers like several stored papers (and not like others)", runRecommend},
	{"serve", "answer the HTTP JSON API", runServe},
	{"stats", "show what a data folder holds", runStats},
	{"export", "write a data folder's papers and vectors to one backup file", runExport},
	{"import", "add the papers of a backup file to a data folder", runImport},
	{"tune", "fit the hybrid ranking to a data folder's papers and embedder", runTune},
	{"eval", "measure ranking quality on a BEIR data set (nDCG@10, Recall@100, MRR@10)", runEval},
	{"bench", "measure query latency, ingest rate and start-up time", runBench},
}

// env is what a command may touch of the outside world, so tests can run
// commands in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// stderrIsTerminal switches on progress bars.
	stderrIsTerminal bool
	// ready, if set, is called by serve and demo with the address they
	// listen on, once they accept connections.
	ready func(addr string)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stderrIsTerminal: isTerminal(os.Stderr)}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// errUsage marks an error in how a command was called; it exits with 2.
var errUsage = errors.New("usage")

// run runs the command named by args[0] and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage), backend.IsConfigError(err):
			fmt.Fprintf(e.stderr, "paperlens %s: %v\n", c.name, strings.TrimPrefix(err.Error(), "usage: "))
			return 2
		default:
			fmt.Fprintf(e.stderr, "paperlens %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "paperlens: unknown command %q (run 'paperlens help' for the list)\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "paperlens: semantic search over paper abstracts")
	fmt.Fprintln(w, "\nUsage: paperlens <command> [flags] [args]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'paperlens <command> --help' for a command's flags.")
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
