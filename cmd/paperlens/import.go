package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// importBatch is how many papers go to the store and the word index at a
// time.
const importBatch = 1024

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "import", "FILE",
		"Adds the papers of a backup FILE made by 'paperlens export' to the data folder, replacing papers\n"+
			"with the same id, vectors and all (nothing is embedded again). The folder is created if needed;\n"+
			"one built with another embedder, model or dimension than the backup is refused.")
	data := fs.String("data", envOr(e, "PAPERLENS_DATA", defaultDataDir(e, "default")), "data `folder` (env PAPERLENS_DATA)")
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
	b, err := store.ReadBackup(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", rest[0], err)
	}
	m := b.Manifest
	st, err := store.Open(*data, m.Info)
	if errors.Is(err, store.ErrMismatch) {
		return fmt.Errorf("%s holds papers embedded by %s/%s (%d dims), which cannot be mixed with the folder's: "+
			"import it into a new --data folder (%v)", rest[0], m.Embedder, m.Model, m.Dimension, err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	lx, err := lexical.Open(ctx, st)
	if err != nil {
		return err
	}
	defer lx.Close()
	for i := 0; i < len(b.Records); i += importBatch {
		recs := b.Records[i:min(i+importBatch, len(b.Records))]
		if err := st.Restore(ctx, recs); err != nil {
			return fmt.Errorf("%w (papers imported before this error are kept; run the same command again to finish)", err)
		}
		papers := make([]paper.Paper, 0, len(recs))
		for _, r := range recs {
			papers = append(papers, r.Paper)
		}
		if err := lx.Upsert(ctx, papers); err != nil {
			return err
		}
	}
	if err := lx.Compact(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s: %d papers (%s/%s, %d dims) imported into %s in %s; it now holds %d\n",
		rest[0], len(b.Records), m.Embedder, m.Model, m.Dimension, st.Dir(), time.Since(start).Round(time.Millisecond), st.Count())
	return nil
}
