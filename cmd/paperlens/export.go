package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "export", "FILE",
		"Writes every paper of the data folder, with its vector and the folder's embedder, model and\n"+
			"dimension, to FILE (one gzip file) for 'paperlens import'. FILE appears only once it is whole.\n"+
			"The folder must not be open in another process (stop 'paperlens serve' first).")
	var c config
	c.registerFolder(fs, e)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: export takes one FILE, got %q (e.g. paperlens export --data DIR backup.gz)", errUsage, rest)
	}
	papers, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer papers.Close()
	start := time.Now()
	n, err := writeAtomically(rest[0], func(f *os.File) (int, error) { return papers.Export(ctx, f) })
	if err != nil {
		return err
	}
	m := papers.Info()
	fmt.Fprintf(e.stderr, "%s: %d papers (%s/%s, %d dims) exported from %s in %s\n",
		rest[0], n, m.Embedder, m.Model, m.Dimension, papers.Where(), time.Since(start).Round(time.Millisecond))
	return nil
}

// writeAtomically writes path through a temporary file beside it, fsyncs
// it and renames it into place, so a crash never leaves half a backup under
// the name of a whole one.
func writeAtomically(path string, write func(*os.File) (int, error)) (int, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", path, err)
	}
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return 0, fmt.Errorf("cannot write %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return n, nil
}
