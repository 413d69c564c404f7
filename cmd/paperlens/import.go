package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/weaviate"
)

// importBatch is how many papers go to the store and the word index at a
// time.
const importBatch = 1024

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "import", "FILE",
		"Adds the papers of a backup FILE made by 'paperlens export' to the data folder, replacing papers\n"+
			"with the same id, vectors and all (nothing is embedded again). The folder is created if needed;\n"+
			"one built with another embedder, model or dimension than the backup is refused. With --backend\n"+
			"weaviate the papers go to the Weaviate class for the backup's embedder instead.")
	data := fs.String("data", envOr(e, "PAPERLENS_DATA", defaultDataDir(e, "default")), "data `folder` (env PAPERLENS_DATA)")
	var c config
	c.registerBackend(fs, e)
	timeout := fs.Duration("timeout", envDuration(e, "PAPERLENS_TIMEOUT", 0), "timeout of one Weaviate request (env PAPERLENS_TIMEOUT; default 10s)")
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
	if wv, err := c.useWeaviate(); err != nil || wv {
		if err != nil {
			return err
		}
		c.timeout = *timeout
		return importWeaviate(ctx, e, &c, rest[0], b, start)
	}
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
	fmt.Fprintf(e.stderr, "%s: %d papers (%s/%s, %d dims) imported into %s in %s; it now holds %d\n",
		rest[0], len(b.Records), m.Embedder, m.Model, m.Dimension, st.Dir(), time.Since(start).Round(time.Millisecond), st.Count())
	return nil
}

// importWeaviate writes the records of a backup into the Weaviate class
// for the backup's embedder, vectors and all.
func importWeaviate(ctx context.Context, e *env, c *config, path string, b *store.Backup, start time.Time) error {
	urls, err := weaviate.ParseURLs(c.weaviateURL)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	m := b.Manifest
	wv, err := weaviate.Open(ctx, weaviate.Config{URLs: urls, Class: c.weaviateClass, Replicas: c.weaviateReplicas, Timeout: c.timeout}, m.Info)
	if err != nil {
		return err
	}
	defer wv.Close()
	for i := 0; i < len(b.Records); i += weaviateImportBatch {
		if err := wv.Write(ctx, b.Records[i:min(i+weaviateImportBatch, len(b.Records))]); err != nil {
			return fmt.Errorf("%w (%d papers imported before this error are kept; run the same command again to finish)", err, i)
		}
	}
	n, err := wv.Count(ctx, search.Filter{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s: %d papers (%s/%s, %d dims) imported into Weaviate class %s in %s; it now holds %d\n",
		path, len(b.Records), m.Embedder, m.Model, m.Dimension, wv.Class(), time.Since(start).Round(time.Millisecond), n)
	return nil
}

// weaviateImportBatch is how many papers go to Weaviate in one request.
const weaviateImportBatch = 256
