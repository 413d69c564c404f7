package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// importBatch is how many papers are written at a time: one fsync of the
// data folder's log, or one Weaviate request, per batch.
const importBatch = 256

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "import", "FILE",
		"Adds the papers of a backup FILE made by 'paperlens export' to the data folder, replacing papers\n"+
			"with the same id, vectors and all (nothing is embedded again). The folder is created if needed;\n"+
			"one built with another embedder, model or dimension than the backup is refused. With --backend\n"+
			"weaviate the papers go to the Weaviate class for the backup's embedder instead.")
	var c config
	c.registerFolder(fs, e)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: import takes one FILE, got %q (e.g. paperlens import --data DIR backup.gz)", errUsage, rest)
	}
	start := time.Now()
	f, err := os.Open(rest[0])
	if err != nil {
		return fmt.Errorf("cannot read the backup: %w", err)
	}
	bk, err := store.ReadBackup(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", rest[0], err)
	}
	m := bk.Manifest
	b, err := backend.OpenFor(ctx, c.Config, m.Info)
	if errors.Is(err, store.ErrMismatch) {
		return fmt.Errorf("%s holds papers embedded by %s/%s (%d dims), which cannot be mixed with the folder's: "+
			"import it into a new --data folder (%v)", rest[0], m.Embedder, m.Model, m.Dimension, err)
	}
	if err != nil {
		return err
	}
	defer b.Close()
	// A backup made before paperlens capped papers (paper.Validate) may hold
	// one it now refuses: it is skipped and named, the rest imported.
	recs := make([]paper.Record, 0, len(bk.Records))
	skipped := 0
	for _, r := range bk.Records {
		if err := r.Paper.Validate(); err != nil {
			fmt.Fprintf(e.stderr, "%s: skipped %s\n", rest[0], plain(err.Error()))
			skipped++
			continue
		}
		recs = append(recs, r)
	}
	for i := 0; i < len(recs); i += importBatch {
		if err := b.Restore(ctx, recs[i:min(i+importBatch, len(recs))]); err != nil {
			return fmt.Errorf("%w (%d papers imported before this error are kept; run the same command again to finish)", err, i)
		}
	}
	n, err := b.Count(ctx, paper.Filter{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s: %d papers (%s/%s, %d dims) imported into %s in %s, %d skipped; it now holds %d\n",
		rest[0], len(recs), m.Embedder, m.Model, m.Dimension, b.Where(), time.Since(start).Round(time.Millisecond), skipped, n)
	return nil
}
