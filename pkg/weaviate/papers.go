package weaviate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/go-openapi/strfmt"
	"github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/words"
)

// maxQueryTerms bounds the words of a lexical query: a whole abstract
// ("papers like this one") is cut to its first words.
const maxQueryTerms = 256

// Get returns the paper id with its vector, or wraps paper.ErrNotFound.
func (b *Backend) Get(ctx context.Context, id string) (paper.Record, error) {
	recs, err := b.GetMany(ctx, []string{id})
	if err != nil {
		return paper.Record{}, err
	}
	rec, ok := recs[id]
	if !ok {
		return paper.Record{}, fmt.Errorf("%w: %q", paper.ErrNotFound, id)
	}
	return rec, nil
}

// GetMany returns the stored records, vectors included, of those ids
// that are stored. A paper acknowledged by a quorum is always found: the
// ids that one replica's answer lacks are asked for again, one by one, at
// QUORUM. (A node back from an outage answers without the papers written
// meanwhile until async replication brings them, some 30 s; read at ONE,
// it left 2 of 5 such papers out.)
func (b *Backend) GetMany(ctx context.Context, ids []string) (map[string]paper.Record, error) {
	out, err := b.Stored(ctx, ids)
	if err != nil || !b.replicated {
		return out, err
	}
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		rec, found, err := b.lookup(ctx, id)
		if err != nil {
			return nil, err
		}
		if found {
			out[id] = rec
		}
	}
	return out, nil
}

// lookup reads the paper id at QUORUM.
func (b *Backend) lookup(ctx context.Context, id string) (paper.Record, bool, error) {
	var objs []*models.Object
	err := b.do(ctx, func(c *weaviate.Client) error {
		var err error
		objs, err = c.Data().ObjectsGetter().WithClassName(b.class).WithID(objectID(id)).
			WithVector().WithConsistencyLevel(writeConsistency).Do(ctx)
		return err
	})
	if isNotFound(err) {
		return paper.Record{}, false, nil
	}
	if err != nil || len(objs) == 0 {
		return paper.Record{}, false, err
	}
	raw, err := json.Marshal(objs[0].Properties)
	if err != nil {
		return paper.Record{}, false, fmt.Errorf("weaviate: cannot read paper %q: %w", id, err)
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return paper.Record{}, false, fmt.Errorf("weaviate: cannot read paper %q: %w", id, err)
	}
	return paper.Record{Paper: o.paper(), Hash: o.Hash, Vector: objs[0].Vector}, true, nil
}

// Stored returns the stored records, vectors included, of those ids that
// are stored, as one replica holds them: an ingest then embeds again, at
// worst, a paper that replica has not caught up with (GetMany does not
// miss it).
func (b *Backend) Stored(ctx context.Context, ids []string) (map[string]paper.Record, error) {
	out := make(map[string]paper.Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	objs, err := b.get(ctx, func(g *graphql.GetBuilder, _ *graphql.API) *graphql.GetBuilder {
		return g.WithWhere(anyOf(propID, ids)).WithLimit(len(ids)).WithFields(paperFields("vector")...)
	})
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if slices.Contains(ids, o.ID) {
			out[o.ID] = paper.Record{Paper: o.paper(), Hash: o.Hash, Vector: o.Additional.Vector}
		}
	}
	return out, nil
}

// Count is how many papers pass f.
// The excluded ids are not sent as a filter: a NotEqual filter makes
// Weaviate build an allow-list of every other paper, which took a "papers
// like this one" query on 20k papers to 160 ms. They are subtracted here,
// and left out of rankings asked one deeper.
func (b *Backend) Count(ctx context.Context, f paper.Filter) (int, error) {
	exclude, f := f.Exclude, f.Fields()
	var (
		n, drop    int
		nerr, derr error
		wg         sync.WaitGroup
	)
	if len(exclude) > 0 {
		wg.Go(func() { drop, derr = b.stored(ctx, f, exclude) })
	}
	n, nerr = b.count(ctx, where(f))
	wg.Wait()
	if err := cmp.Or(nerr, derr); err != nil {
		return 0, err
	}
	return n - drop, nil
}

// stored is how many of ids are stored and pass f.
func (b *Backend) stored(ctx context.Context, f paper.Filter, ids []string) (int, error) {
	recs, err := b.Stored(ctx, ids)
	if err != nil {
		return 0, err
	}
	match, n := exact(f), 0
	for _, r := range recs {
		if match(&r.Paper) {
			n++
		}
	}
	return n, nil
}

// storedMatching is how many of ids are stored, pass f and hold one of
// terms.
func (b *Backend) storedMatching(ctx context.Context, f paper.Filter, terms, ids []string) (int, error) {
	objs, err := b.bm25(ctx, terms, len(ids), and(where(f), anyOf(propID, ids)), []graphql.Field{{Name: propID}})
	return len(objs), err
}

// without drops the hits of the excluded ids and keeps at most n.
func without[H any](hits []H, id func(H) string, exclude []string, n int) []H {
	out := hits[:0]
	for _, h := range hits {
		if !slices.Contains(exclude, id(h)) {
			out = append(out, h)
		}
	}
	return out[:min(n, len(out))]
}

// count is how many papers pass w. Weaviate counts with Aggregate, which
// reads at QUORUM whatever the client asks (1.35.2 takes no consistency
// level for it) and checks that QUORUM asks the same number of replicas of
// every shard. Once gossip has dropped a dead node (4-6 s after it died
// here) that fails for a class whose shards lost different numbers of
// replicas, as a replication factor of 2 on 3 nodes does: "inconsistent
// consistency levels: shard A resolved to 1, shard B resolved to 2". Every
// count then failed until the node came back, and each search with it. So
// a count Weaviate refuses for that reason is made by listing the papers'
// ids at ONE, as searches read.
func (b *Backend) count(ctx context.Context, w *filters.WhereBuilder) (int, error) {
	n, err := b.aggregateCount(ctx, w)
	if err != nil && b.replicated && strings.Contains(err.Error(), "consistency level") {
		return b.countListed(ctx, w)
	}
	return n, err
}

// listPage is how many ids countListed asks for at once: Weaviate's
// default QUERY_MAXIMUM_RESULTS, the most one Get may return.
var listPage = 10000

// countListed counts the papers that pass w by listing their object ids
// at ONE, a page at a time in id order, each page after the last id of the
// one before. It costs a request per listPage papers (20,426 papers: 3).
func (b *Backend) countListed(ctx context.Context, w *filters.WhereBuilder) (int, error) {
	n, after := 0, ""
	for {
		page := w
		if after != "" {
			page = and(w, filters.Where().WithPath([]string{"id"}).WithOperator(filters.GreaterThan).WithValueText(after))
		}
		objs, err := b.get(ctx, func(g *graphql.GetBuilder, _ *graphql.API) *graphql.GetBuilder {
			g = g.WithSort(graphql.Sort{Path: []string{"_id"}, Order: graphql.Asc}).WithLimit(listPage).
				WithFields(graphql.Field{Name: "_additional", Fields: []graphql.Field{{Name: "id"}}})
			if page != nil {
				g = g.WithWhere(page)
			}
			return g
		})
		if err != nil {
			return 0, fmt.Errorf("weaviate: counting by listing the papers: %w", err)
		}
		n += len(objs)
		if len(objs) < listPage {
			return n, nil
		}
		after = objs[len(objs)-1].Additional.ID
	}
}

// aggregateCount is how many papers pass w, as Weaviate's Aggregate counts
// them.
func (b *Backend) aggregateCount(ctx context.Context, w *filters.WhereBuilder) (int, error) {
	var n int
	err := b.do(ctx, func(c *weaviate.Client) error {
		a := c.GraphQL().Aggregate().WithClassName(b.class).
			WithFields(graphql.Field{Name: "meta", Fields: []graphql.Field{{Name: "count"}}})
		if w != nil {
			a = a.WithWhere(w)
		}
		resp, err := a.Do(ctx)
		if err != nil {
			return err
		}
		if err := gqlErrors(resp); err != nil {
			return err
		}
		raw, err := json.Marshal(resp.Data["Aggregate"])
		if err != nil {
			return err
		}
		var byClass map[string][]struct {
			Meta struct {
				Count int `json:"count"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(raw, &byClass); err != nil {
			return fmt.Errorf("weaviate: cannot read the count: %w", err)
		}
		n = 0
		if rows := byClass[b.class]; len(rows) > 0 {
			n = rows[0].Meta.Count
		}
		return nil
	})
	return n, err
}

// Nearest returns at most n papers that pass f, by cosine similarity to v.
func (b *Backend) Nearest(ctx context.Context, v []float32, n int, f paper.Filter) ([]paper.Hit, error) {
	exclude, f := f.Exclude, f.Fields()
	if n <= 0 {
		return nil, nil
	}
	if len(v) != b.info.Dimension {
		return nil, fmt.Errorf("query vector has %d dimensions, the papers %d", len(v), b.info.Dimension)
	}
	objs, err := b.get(ctx, func(g *graphql.GetBuilder, api *graphql.API) *graphql.GetBuilder {
		g = g.WithNearVector(api.NearVectorArgBuilder().WithVector(v)).WithLimit(n + len(exclude)).WithFields(paperFields("distance")...)
		if w := where(f); w != nil {
			g = g.WithWhere(w)
		}
		return g
	})
	if err != nil {
		return nil, err
	}
	match := exact(f)
	hits := make([]paper.Hit, 0, len(objs))
	for _, o := range objs {
		p := o.paper()
		if !match(&p) {
			continue
		}
		score := 0.0
		if o.Additional.Distance != nil {
			score = 1 - *o.Additional.Distance
		}
		hits = append(hits, paper.Hit{Paper: p, Score: score})
	}
	return without(hits, func(h paper.Hit) string { return h.ID }, exclude, n), nil
}

// queryTerms analyses a query as the embedded index does.
func queryTerms(text string) ([]string, error) {
	terms, err := words.Of(text)
	if err != nil {
		return nil, err
	}
	out := terms[:0]
	for _, t := range terms {
		if printable(t) {
			out = append(out, t)
		}
	}
	if len(out) > maxQueryTerms {
		out = out[:maxQueryTerms]
	}
	return out, nil
}

// Words ranks the papers that pass f by Weaviate's BM25 over the analysed
// words of text, and, when count is set, counts the papers that hold any
// of them.
func (b *Backend) Words(ctx context.Context, like, text string, n int, count bool, f paper.Filter) ([]paper.Scored, int, error) {
	exclude, f := f.Exclude, f.Fields()
	terms, err := queryTerms(text)
	if err != nil || len(terms) == 0 || n <= 0 {
		return nil, 0, err
	}
	if like != "" {
		terms = keyTerms(terms, words.MaxQueryTerms)
	}
	fields := []graphql.Field{{Name: propID}, {Name: "_additional", Fields: []graphql.Field{{Name: "score"}}}}
	if !f.IsZero() { // exact needs the fields the filter reads
		fields = paperFields("score")
	}
	var (
		objs  []object
		total int
		cerr  error
		wg    sync.WaitGroup
	)
	if count {
		wg.Go(func() {
			total, cerr = b.count(ctx, and(where(f), anyOf(propTerms, unique(terms))))
			if cerr == nil && len(exclude) > 0 {
				var drop int
				drop, cerr = b.storedMatching(ctx, f, terms, exclude)
				total -= drop
			}
		})
	}
	objs, err = b.bm25(ctx, terms, n+len(exclude), where(f), fields)
	wg.Wait()
	if err = cmp.Or(err, cerr); err != nil {
		return nil, 0, err
	}
	match := exact(f)
	hits := make([]paper.Scored, 0, len(objs))
	for _, o := range objs {
		p := o.paper()
		if match(&p) {
			hits = append(hits, paper.Scored{ID: o.ID, Score: float64(o.Additional.Score)})
		}
	}
	return without(hits, func(h paper.Scored) string { return h.ID }, exclude, n), total, nil
}

// keyTerms keeps, of a whole paper's words, the max most frequent ones
// (ties: the first seen), each as often as it occurs: a query of every word
// of an abstract takes Weaviate's BM25 ten times longer for little gain.
// The embedded index also weighs by document frequency, which Weaviate
// does not tell without a request per word.
func keyTerms(terms []string, max int) []string {
	freq := map[string]int{}
	var order []string
	for _, t := range terms {
		if freq[t] == 0 {
			order = append(order, t)
		}
		freq[t]++
	}
	if len(order) <= max {
		return terms
	}
	slices.SortStableFunc(order, func(a, b string) int { return freq[b] - freq[a] })
	var out []string
	for _, t := range order[:max] {
		for range freq[t] {
			out = append(out, t)
		}
	}
	return out
}

func (b *Backend) bm25(ctx context.Context, terms []string, n int, w *filters.WhereBuilder, fields []graphql.Field) ([]object, error) {
	return b.get(ctx, func(g *graphql.GetBuilder, api *graphql.API) *graphql.GetBuilder {
		g = g.WithBM25(api.Bm25ArgBuilder().WithQuery(strings.Join(terms, " ")).WithProperties(propTerms)).
			WithLimit(n).WithFields(fields...)
		if w != nil {
			g = g.WithWhere(w)
		}
		return g
	})
}

// WordScores returns the BM25 score against text of those ids that match
// it.
func (b *Backend) WordScores(ctx context.Context, text string, ids []string) (map[string]float64, error) {
	out := map[string]float64{}
	terms, err := queryTerms(text)
	if err != nil || len(terms) == 0 || len(ids) == 0 {
		return out, err
	}
	objs, err := b.bm25(ctx, terms, len(ids), anyOf(propID, ids),
		[]graphql.Field{{Name: propID}, {Name: "_additional", Fields: []graphql.Field{{Name: "score"}}}})
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		out[o.ID] = float64(o.Additional.Score)
	}
	return out, nil
}

// Highlights marks the words of text in the abstracts of papers, as the
// embedded index marks those of a short query.
func (b *Backend) Highlights(ctx context.Context, text string, papers []paper.Paper, max int) (map[string][]string, error) {
	return words.Highlight(ctx, text, papers, max)
}

// Write stores recs, replacing the papers with the same ids. It returns
// once a quorum of each paper's replicas holds it.
func (b *Backend) Write(ctx context.Context, recs []paper.Record) error {
	if len(recs) == 0 {
		return nil
	}
	objs := make([]*models.Object, len(recs))
	for i, r := range recs {
		if len(r.Vector) != b.info.Dimension {
			return fmt.Errorf("paper %s has a %d-dimensional vector, the class %s holds %d", r.Paper.ID, len(r.Vector), b.class, b.info.Dimension)
		}
		terms, err := words.Of(r.Paper.Text())
		if err != nil {
			return err
		}
		p := r.Paper
		objs[i] = &models.Object{
			Class:  b.class,
			ID:     strfmt.UUID(objectID(p.ID)),
			Vector: r.Vector,
			Properties: map[string]any{
				propID:           p.ID,
				propTitle:        p.Title,
				propAbstract:     p.Abstract,
				propAuthors:      nonNil(p.Authors),
				propAuthorsLower: lower(p.Authors),
				propCategories:   nonNil(p.Categories),
				propCatsLower:    lower(p.Categories),
				propPublished:    p.Published,
				propYear:         paper.Year(p.Published),
				propURL:          p.URL,
				propHash:         r.Hash,
				propTerms:        strings.Join(terms, " "),
				propUpvotes:      p.Upvotes,
				propGithub:       p.GithubRepo,
				propProject:      p.ProjectPage,
			},
		}
	}
	// Ids are fixed by the paper ids, so a batch can be sent again: Weaviate
	// refuses writes while it elects a new leader (about 11 s here after the
	// leader was killed) or cannot yet reach a quorum.
	var err error
	for attempt := range writeAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(attempt) * 2 * time.Second):
			}
		}
		if err = b.writeOnce(ctx, objs); err == nil || !retryable(err) {
			return err
		}
	}
	return err
}

// writeAttempts is how often a batch is sent before Write gives up.
const writeAttempts = 5

// retryable tells a refusal that may pass on its own (a 5xx answer: no
// leader, no quorum yet) from a wrong request.
func retryable(err error) bool {
	var pw *partialWrite
	status, _ := cause(err)
	return status >= 500 || errors.Is(err, paper.ErrUnavailable) || errors.As(err, &pw)
}

// partialWrite is a batch of which Weaviate refused some papers (it
// answers 200 and lists the refusals per object).
type partialWrite struct {
	stored, of int
	failed     []string // "id: reason"
}

func (e *partialWrite) Error() string {
	return fmt.Sprintf("weaviate stored %d of %d papers; not stored: %s (run the same ingest again to retry)",
		e.stored, e.of, strings.Join(e.failed[:min(3, len(e.failed))], "; "))
}

func (b *Backend) writeOnce(ctx context.Context, objs []*models.Object) error {
	return b.do(ctx, func(c *weaviate.Client) error {
		res, err := c.Batch().ObjectsBatcher().WithObjects(objs...).WithConsistencyLevel(writeConsistency).Do(ctx)
		if err != nil {
			return err
		}
		var failed []string
		for i, o := range res {
			if o.Result != nil && o.Result.Errors != nil && len(o.Result.Errors.Error) > 0 && i < len(objs) {
				failed = append(failed, fmt.Sprintf("%v: %s", objs[i].Properties.(map[string]any)[propID], o.Result.Errors.Error[0].Message))
			}
		}
		if len(failed) > 0 {
			return &partialWrite{stored: len(objs) - len(failed), of: len(objs), failed: failed}
		}
		return nil
	})
}

// Delete removes the paper id, or wraps paper.ErrNotFound.
func (b *Backend) Delete(ctx context.Context, id string) error {
	// Weaviate answers 204 for an id it does not hold: ask first (Get
	// finds every paper a quorum acknowledged).
	if _, err := b.Get(ctx, id); err != nil {
		return err
	}
	err := b.do(ctx, func(c *weaviate.Client) error {
		return c.Data().Deleter().WithClassName(b.class).WithID(objectID(id)).WithConsistencyLevel(writeConsistency).Do(ctx)
	})
	if isNotFound(err) {
		return fmt.Errorf("%w: %q", paper.ErrNotFound, id)
	}
	return err
}

// where is f as a Weaviate filter, or nil. Excluded ids are left out by
// the callers instead (see Count).
func where(f paper.Filter) *filters.WhereBuilder {
	var ws []*filters.WhereBuilder
	if f.YearFrom != 0 || f.YearTo != 0 || f.Since != "" {
		// A paper without a date (year 0) fails a year bound and since;
		// since is matched to the year here and to the day by exact.
		from := max(f.YearFrom, paper.Year(f.Since), 1)
		ws = append(ws, filters.Where().WithPath([]string{propYear}).WithOperator(filters.GreaterThanEqual).WithValueInt(int64(from)))
		if f.YearTo != 0 {
			ws = append(ws, filters.Where().WithPath([]string{propYear}).WithOperator(filters.LessThanEqual).WithValueInt(int64(f.YearTo)))
		}
	}
	if len(f.Categories) > 0 {
		cats := make([]string, len(f.Categories))
		for i, c := range f.Categories {
			cats[i] = strings.ToLower(strings.TrimSpace(c))
		}
		ws = append(ws, anyOf(propCatsLower, cats))
	}
	if a := strings.ToLower(strings.TrimSpace(f.Author)); a != "" {
		// Like's wildcards are * and ?; a name holding them, or characters
		// a GraphQL string cannot carry, is matched loosely here and
		// exactly by exact.
		a = strings.Map(func(r rune) rune {
			if r == '*' || r == '?' || r == '"' || r == '\\' || !unicode.IsPrint(r) {
				return '?'
			}
			return r
		}, a)
		ws = append(ws, filters.Where().WithPath([]string{propAuthorsLower}).WithOperator(filters.Like).WithValueText("*"+a+"*"))
	}
	return and(ws...)
}

// exact is the filter's own test, for what where matches loosely.
func exact(f paper.Filter) func(p *paper.Paper) bool {
	if f.IsZero() {
		return func(*paper.Paper) bool { return true }
	}
	return f.Matcher()
}

func and(ws ...*filters.WhereBuilder) *filters.WhereBuilder {
	var keep []*filters.WhereBuilder
	for _, w := range ws {
		if w != nil {
			keep = append(keep, w)
		}
	}
	switch len(keep) {
	case 0:
		return nil
	case 1:
		return keep[0]
	}
	return filters.Where().WithOperator(filters.And).WithOperands(keep)
}

func anyOf(prop string, values []string) *filters.WhereBuilder {
	return filters.Where().WithPath([]string{prop}).WithOperator(filters.ContainsAny).WithValueText(values...)
}

func unique(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}
