package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

// embedded is a data folder: the vector store of record (chromem-go, with
// the int8 index and the change log beside it; package store) and the word
// index built from its papers (package lexical). Every write goes to the
// word index first, then to the store; a delete goes to the store first,
// then to the word index. One write at a time may touch an id, both parts
// together (see writing): two writes of one id in between each other's
// parts would leave the store with a paper the word index lacks, found by
// no lexical search until a restart. Once its first part is done, a write
// finishes whether its caller waits or not; if the store refuses it, the
// word index is put back in step with the store for its ids.
type embedded struct {
	st      *store.Store
	lx      *lexical.Index
	writing idLocks
	closed  sync.Once
	err     error // of Close
}

// Local is the embedded backend over an open store and its word index
// (lexical.Open of the store's papers), for a caller that opened them
// itself to time them apart, as 'paperlens bench open' does. Closing it
// closes both.
func Local(st *store.Store, lx *lexical.Index) Backend { return &embedded{st: st, lx: lx} }

// WriteStats are the store's counts of what its writes cost, for
// 'paperlens bench ingest'.
func (e *embedded) WriteStats() store.WriteStats { return e.st.WriteStats() }

// MustHoldPapers is the error Open gives, with existing, for a data folder
// never ingested into: it says how to fill it. It is nil for a folder that
// holds papers.
func MustHoldPapers(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, store.ManifestFile)); err != nil {
		return fmt.Errorf("no papers in %q yet: run 'paperlens ingest --data %s FILE...' first", dir, dir)
	}
	return nil
}

// openEmbedded opens the data folder dir for the vectors of info, and its
// word index (built from the papers when missing or stale).
func openEmbedded(ctx context.Context, dir string, info embeddings.Info) (*embedded, error) {
	st, err := store.Open(dir, info)
	if err != nil {
		return nil, err
	}
	lx, err := lexical.Open(ctx, dir, st.Papers(ctx))
	if err != nil {
		st.Close()
		return nil, err
	}
	return &embedded{st: st, lx: lx}, nil
}

func (e *embedded) Info() embeddings.Info { return e.st.Manifest().Info }

// Where is the data folder's absolute path, when it can be had.
func (e *embedded) Where() string {
	if abs, err := filepath.Abs(e.st.Dir()); err == nil {
		return abs
	}
	return e.st.Dir()
}

func (e *embedded) Status(ctx context.Context) (Status, error) {
	m := e.st.Manifest()
	return Status{Where: []Attr{{"data", e.st.Dir()}}, Count: m.Count, Info: m.Info, Updated: m.Updated}, nil
}

func (e *embedded) Get(ctx context.Context, id string) (paper.Record, error) {
	return e.st.Get(ctx, id)
}

func (e *embedded) GetMany(ctx context.Context, ids []string) (map[string]paper.Record, error) {
	return e.st.GetMany(ctx, ids)
}

func (e *embedded) Stored(ctx context.Context, ids []string) (map[string]paper.Record, error) {
	return e.st.GetMany(ctx, ids)
}

func (e *embedded) Count(ctx context.Context, f paper.Filter) (int, error) {
	if f.HasConditions() {
		return e.lx.CountMatching(ctx, f)
	}
	n := e.st.Count()
	seen := map[string]bool{}
	for _, id := range f.Exclude {
		if _, ok := e.st.Hash(ctx, id); ok && !seen[id] {
			seen[id] = true
			n--
		}
	}
	return n, nil
}

// Nearest leaves the excluded papers out of a ranking asked that many
// deeper, rather than test each paper's id as it scans: a recommendation
// leaves out up to 200 papers. A filter that at most a quarter of the
// papers pass ranks just those, which the word index knows (its ranking
// and the count ask for them too): a recommendation's feed, the last two
// weeks' papers, ranks 16 lists, and testing every paper's date in each
// cost more than the ranking.
func (e *embedded) Nearest(ctx context.Context, v []float32, n int, f paper.Filter) ([]paper.Hit, error) {
	hits, err := e.nearestPassing(ctx, v, n+len(f.Exclude), f)
	if err != nil || len(f.Exclude) == 0 {
		return hits, err
	}
	hits = slices.DeleteFunc(hits, func(h paper.Hit) bool { return slices.Contains(f.Exclude, h.ID) })
	return hits[:min(n, len(hits))], nil
}

// nearestPassing is the n papers nearest v that pass the field tests of f.
func (e *embedded) nearestPassing(ctx context.Context, v []float32, n int, f paper.Filter) ([]paper.Hit, error) {
	if !f.HasConditions() {
		return e.st.Nearest(ctx, v, n, nil)
	}
	ids, few, err := e.lx.PassingIDs(ctx, f, e.st.Count()/4)
	switch {
	case err != nil:
		return nil, err
	case few:
		return e.st.NearestAmong(ctx, v, n, ids)
	case strings.TrimSpace(f.Author) == "":
		// Dates and categories are cheaper to test as the scan meets each
		// paper than to look up in the set of those that pass.
		return e.st.Nearest(ctx, v, n, f.Fields().Matcher())
	}
	// A name is looked for in every author of every paper: the papers that
	// pass are worked out once, for the word ranking and the count too.
	pass, err := e.lx.Passing(ctx, f)
	if err != nil {
		return nil, err
	}
	return e.st.Nearest(ctx, v, n, func(p *paper.Paper) bool { return pass(p.ID) })
}

// Words counts only when asked: a ranking that need not count skips the
// papers that cannot reach the top n.
func (e *embedded) Words(ctx context.Context, like, text string, n int, count bool, f paper.Filter) ([]paper.Scored, int, error) {
	if !count {
		hits, err := e.lx.RankLike(ctx, like, text, n, f)
		return hits, 0, err
	}
	return e.lx.SearchLike(ctx, like, text, n, f)
}

func (e *embedded) WordScores(ctx context.Context, text string, ids []string) (map[string]float64, error) {
	return e.lx.Scores(ctx, text, ids)
}

func (e *embedded) Highlights(ctx context.Context, text string, papers []paper.Paper, max int) (map[string][]string, error) {
	return e.lx.Highlights(ctx, text, papers, max)
}

// Write writes the word index first, then the store.
func (e *embedded) Write(ctx context.Context, recs []paper.Record) error {
	return e.upsert(ctx, recs, e.st.Upsert)
}

// Restore writes as Write does, keeping the vectors bit for bit.
func (e *embedded) Restore(ctx context.Context, recs []paper.Record) error {
	return e.upsert(ctx, recs, e.st.Restore)
}

// upsert writes recs to the word index, then to the store with put, their
// ids held (see embedded).
func (e *embedded) upsert(ctx context.Context, recs []paper.Record, put func(context.Context, []paper.Record) error) error {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.Paper.ID
	}
	unlock, err := e.writing.lock(ctx, ids)
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.lx.Upsert(ctx, papersOf(recs)); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	if err := put(ctx, recs); err != nil {
		e.resync(ctx, ids)
		return err
	}
	return nil
}

// Delete deletes from the store first, then from the word index, the id
// held (see embedded).
func (e *embedded) Delete(ctx context.Context, id string) error {
	unlock, err := e.writing.lock(ctx, []string{id})
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.st.Delete(ctx, id); err != nil {
		return err
	}
	return e.lx.Delete(context.WithoutCancel(ctx), id)
}

// resync puts the word index back in step with the store for ids, after
// the store refused a write the word index took: each id the store holds
// is indexed as stored, the others are dropped. What it cannot do (the
// store unreadable) the next Open does, since the saved postings then no
// longer match the store.
func (e *embedded) resync(ctx context.Context, ids []string) {
	stored, err := e.st.GetMany(ctx, ids)
	if err != nil {
		return
	}
	var keep []paper.Paper
	var drop []string
	for _, id := range ids {
		if r, ok := stored[id]; ok {
			keep = append(keep, r.Paper)
		} else {
			drop = append(drop, id)
		}
	}
	_ = e.lx.Upsert(ctx, keep)
	_ = e.lx.Delete(ctx, drop...)
}

func (e *embedded) All(ctx context.Context) iter.Seq2[paper.Record, error] { return e.st.All(ctx) }

func (e *embedded) Export(ctx context.Context, w io.Writer) (int, error) { return e.st.Export(ctx, w) }

// Close closes the word index, then the store: closing the store releases
// the folder's lock, which another process may take only once the index's
// last writes are done. Later calls return what the first did.
func (e *embedded) Close() error {
	e.closed.Do(func() {
		lerr := e.lx.Close()
		if lerr != nil {
			lerr = fmt.Errorf("closing the word index: %w", lerr)
		}
		serr := e.st.Close()
		if serr != nil {
			serr = fmt.Errorf("closing the store in %s: %w", e.st.Dir(), serr)
		}
		e.err = errors.Join(lerr, serr)
	})
	return e.err
}

func papersOf(recs []paper.Record) []paper.Paper {
	ps := make([]paper.Paper, len(recs))
	for i, r := range recs {
		ps[i] = r.Paper
	}
	return ps
}
