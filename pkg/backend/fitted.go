package backend

import (
	"context"
	"errors"
	"time"

	"github.com/paperlens/paperlens/pkg/store"
	"github.com/paperlens/paperlens/pkg/tune"
)

// ErrNotFittable is returned by Fit for a backend whose fusion cannot be
// fitted: a Weaviate cluster, which ranks with the default fusion.
var ErrNotFittable = errors.New("only an embedded data folder can be fitted; Weaviate ranks with the default fusion")

// fittable is a backend whose hybrid fusion package tune can fit and whose
// manifest keeps it: the embedded data folder.
type fittable interface {
	tuneFolder() tune.Folder
	folderStore() *store.Store
}

func (e *embedded) tuneFolder() tune.Folder   { return tune.Local(e.st, e.lx) }
func (e *embedded) folderStore() *store.Store { return e.st }

// Fitted is the fusion fitted to the papers (see Fit), or nil when there is
// none or the backend cannot keep one.
func (p *Papers) Fitted() *store.Fitted {
	if f, ok := p.Backend.(fittable); ok {
		return f.folderStore().Manifest().Fitted
	}
	return nil
}

// Fit fits the hybrid ranking's fusion to the papers and the embedder
// (package tune) and keeps it in the data folder's manifest, where Engine
// finds it from then on. It returns ErrNotFittable for Weaviate.
func (p *Papers) Fit(ctx context.Context, o tune.Options) (tune.Result, store.Fitted, error) {
	f, ok := p.Backend.(fittable)
	if !ok {
		return tune.Result{}, store.Fitted{}, ErrNotFittable
	}
	res, err := tune.Fit(ctx, f.tuneFolder(), p.Embedder, o)
	if err != nil {
		return tune.Result{}, store.Fitted{}, err
	}
	rec := res.Record(f.folderStore().Count(), time.Now())
	if err := f.folderStore().SetFitted(&rec); err != nil {
		return tune.Result{}, store.Fitted{}, err
	}
	return res, rec, nil
}

// Unfit forgets the fitted fusion: the papers rank with the default again.
func (p *Papers) Unfit() error {
	f, ok := p.Backend.(fittable)
	if !ok {
		return ErrNotFittable
	}
	return f.folderStore().SetFitted(nil)
}

// FitIsStale reports whether the papers should be fitted again (see
// tune.Stale): never for a backend that cannot be fitted.
func (p *Papers) FitIsStale() bool {
	f, ok := p.Backend.(fittable)
	return ok && tune.Stale(f.folderStore().Manifest().Fitted, f.folderStore().Count())
}
