// Package weaviate keeps paperlens's papers in a Weaviate cluster instead
// of the embedded store: one Weaviate class per embedder, holding each
// paper's metadata, its content hash, its vector (ours: Weaviate's own
// vectorisers stay off) and its words as the embedded word index analyses
// them, so Weaviate's BM25 ranks the same words. The engine (package search)
// fuses, pages and explains on top, so both backends rank alike, and any
// number of paperlens processes can share one cluster.
package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
)

// Consistency levels: a write is acknowledged once a quorum of replicas
// holds it, so losing one node of a replication factor of 2 or more loses
// nothing acknowledged; a read needs one replica, so searches keep
// answering while a node is down.
const (
	writeConsistency = "QUORUM"
	readConsistency  = "ONE"
)

// The properties of a paper object.
const (
	propID           = "paper_id"
	propTitle        = "title"
	propAbstract     = "abstract"
	propAuthors      = "authors"
	propAuthorsLower = "authors_lc"
	propCategories   = "categories"
	propCatsLower    = "categories_lc"
	propPublished    = "published"
	propYear         = "year"
	propURL          = "url"
	propHash         = "content_hash"
	propTerms        = "terms"
	propUpvotes      = "upvotes"
	propGithub       = "github_repo"
	propProject      = "project_page"
)

// BM25 parameters, the embedded word index's.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Config says where the cluster is and how a new class is made.
type Config struct {
	// URLs are the base URLs of one or more nodes of the cluster, such as
	// http://127.0.0.1:8080. Requests go to one node; when it cannot be
	// reached, to the next.
	URLs []string
	// Class is the Weaviate class that holds the papers; "" means
	// ClassName of the embedder.
	Class string
	// Replicas is the replication factor of a class this creates (0: 1).
	// An existing class keeps its own.
	Replicas int
	// Timeout bounds each request (0: 10 s): a node that hangs, as one does
	// while the cluster elects a new leader, is then left for the next.
	Timeout time.Duration
}

// ParseURLs reads a comma-separated list of node URLs.
func ParseURLs(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimRight(strings.TrimSpace(part), "/")
		if part == "" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("weaviate URL %q is not an http(s) URL such as http://127.0.0.1:8080", part)
		}
		out = append(out, part)
	}
	if len(out) == 0 {
		return nil, errors.New("no Weaviate URL: give --weaviate-url http://HOST:PORT (several, comma-separated, for a cluster)")
	}
	return out, nil
}

var unsafeClassChars = regexp.MustCompile(`[^A-Za-z0-9_]`)

// ClassName is the class that holds the papers embedded by i: one class per
// embedder and model, as the embedded store keeps one collection per them.
func ClassName(i embeddings.Info) string {
	return "Paperlens_" + unsafeClassChars.ReplaceAllString(i.Embedder+"_"+i.Model, "_")
}

// Backend is a Weaviate cluster holding papers: what the engine ranks
// (package search) and the ingester writes to (package ingest).
// It is safe for concurrent use.
type Backend struct {
	info  embeddings.Info
	class string
	// replicated: the class has more than one replica, and GraphQL then
	// takes a consistency level (it refuses one otherwise).
	replicated bool
	nodes      []node
	cur        atomic.Int32 // the node requests go to first
}

type node struct {
	url string
	c   *weaviate.Client
}

// Open connects to the cluster and makes sure the class for info exists,
// creating it if needed. A class made for another embedder or dimension is
// refused.
func Open(ctx context.Context, cfg Config, info embeddings.Info) (*Backend, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("no Weaviate URL: give --weaviate-url http://HOST:PORT")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	b := &Backend{info: info, class: cfg.Class}
	if b.class == "" {
		b.class = ClassName(info)
	}
	for _, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("weaviate URL %q is not an http(s) URL such as http://127.0.0.1:8080", raw)
		}
		c, err := weaviate.NewClient(weaviate.Config{
			Host:             u.Host,
			Scheme:           u.Scheme,
			Timeout:          timeout,
			ConnectionClient: &http.Client{Timeout: timeout},
		})
		if err != nil {
			return nil, fmt.Errorf("weaviate %s: %w", raw, err)
		}
		b.nodes = append(b.nodes, node{url: raw, c: c})
	}
	if err := b.ensureClass(ctx, max(cfg.Replicas, 1)); err != nil {
		return nil, err
	}
	return b, nil
}

// Class is the Weaviate class the papers are in.
func (b *Backend) Class() string { return b.class }

// Info names the embedder whose vectors the class holds.
func (b *Backend) Info() embeddings.Info { return b.info }

// Close releases nothing: the cluster keeps the papers.
func (b *Backend) Close() error { return nil }

// description records the embedder in the class, so a class made by
// another embedder is recognised.
func (b *Backend) description() string {
	return fmt.Sprintf("paperlens papers: embedder=%s model=%s dimension=%d", b.info.Embedder, b.info.Model, b.info.Dimension)
}

// ensureClass uses the class for the papers, or makes it with the given
// replication factor when it does not exist.
func (b *Backend) ensureClass(ctx context.Context, replicas int) error {
	cls, err := b.readClass(ctx)
	if err != nil {
		return err
	}
	if cls == nil {
		err = b.createClass(ctx, replicas)
		if err == nil {
			b.replicated = replicas > 1
			return nil
		}
		// Another process may have made it meanwhile: use it, as any class
		// found.
		if cls, _ = b.readClass(ctx); cls == nil {
			return fmt.Errorf("weaviate: cannot create class %s: %w", b.class, err)
		}
	}
	if cls.Description != b.description() {
		return fmt.Errorf("weaviate class %s holds papers of another embedder (%q), not %s/%s with %d dimensions: use that embedder, or another --weaviate-class",
			b.class, cls.Description, b.info.Embedder, b.info.Model, b.info.Dimension)
	}
	b.replicated = cls.ReplicationConfig != nil && cls.ReplicationConfig.Factor > 1
	return b.addProperties(ctx, cls)
}

// readClass returns the class for the papers, or nil when there is none.
func (b *Backend) readClass(ctx context.Context) (*models.Class, error) {
	var cls *models.Class
	err := b.do(ctx, func(c *weaviate.Client) error {
		ok, err := c.Schema().ClassExistenceChecker().WithClassName(b.class).Do(ctx)
		if err != nil || !ok {
			return err
		}
		cls, err = c.Schema().ClassGetter().WithClassName(b.class).Do(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("weaviate: cannot read the schema: %w", err)
	}
	return cls, nil
}

// createClass makes the class for the papers.
func (b *Backend) createClass(ctx context.Context, replicas int) error {
	cls := &models.Class{
		Class:           b.class,
		Description:     b.description(),
		Vectorizer:      "none",
		Properties:      properties(),
		VectorIndexType: "hnsw",
		VectorIndexConfig: map[string]any{
			"distance":       "cosine",
			"efConstruction": 128,
			"maxConnections": 32,
			"ef":             -1, // dynamic: grows with the limit asked for
			"dynamicEfMin":   200,
			"dynamicEfMax":   1000,
		},
		InvertedIndexConfig: &models.InvertedIndexConfig{
			Bm25:      &models.BM25Config{K1: bm25K1, B: bm25B},
			Stopwords: &models.StopwordConfig{Preset: "none"},
		},
		ReplicationConfig: &models.ReplicationConfig{Factor: int64(replicas), AsyncEnabled: replicas > 1},
	}
	// Weaviate decides usingBlockMaxWAND from its USE_INVERTED_SEARCHABLE
	// setting, whatever the class asks; see docs/scale-out.md for why the
	// nodes should run with it false.
	return b.do(ctx, func(c *weaviate.Client) error {
		return c.Schema().ClassCreator().WithClass(cls).Do(ctx)
	})
}

// properties are the properties of a paper object.
func properties() []*models.Property {
	yes, no := true, false
	text := func(name string, filterable bool) *models.Property {
		return &models.Property{Name: name, DataType: []string{"text"}, Tokenization: "field",
			IndexFilterable: &filterable, IndexSearchable: &no}
	}
	texts := func(name string, filterable bool) *models.Property {
		p := text(name, filterable)
		p.DataType = []string{"text[]"}
		return p
	}
	return []*models.Property{
		text(propID, true),
		text(propTitle, false),
		text(propAbstract, false),
		texts(propAuthors, false),
		texts(propAuthorsLower, true),
		texts(propCategories, false),
		texts(propCatsLower, true),
		text(propPublished, false),
		{Name: propYear, DataType: []string{"int"}, IndexFilterable: &yes, IndexRangeFilters: &yes},
		text(propURL, false),
		text(propHash, false),
		// The words the embedded index ranks, already analysed: split
		// on spaces only, with no stop words of Weaviate's own.
		{Name: propTerms, DataType: []string{"text"}, Tokenization: "whitespace", IndexFilterable: &yes, IndexSearchable: &yes},
		{Name: propUpvotes, DataType: []string{"int"}, IndexFilterable: &no, IndexRangeFilters: &no},
		text(propGithub, false),
		text(propProject, false),
	}
}

// addProperties adds to an existing class the properties it lacks: a class
// made before paperlens kept the Daily Papers fields has none of them.
// Weaviate would otherwise add them itself at the first write that holds
// them, with types it guesses (upvotes as a float, the URLs as searchable
// words).
func (b *Backend) addProperties(ctx context.Context, cls *models.Class) error {
	have := map[string]bool{}
	for _, p := range cls.Properties {
		have[p.Name] = true
	}
	added := false
	for _, p := range properties() {
		if have[p.Name] {
			continue
		}
		err := b.do(ctx, func(c *weaviate.Client) error {
			return c.Schema().PropertyCreator().WithClassName(b.class).WithProperty(p).Do(ctx)
		})
		if err != nil && !b.hasProperty(ctx, p.Name) { // else another process added it first
			return fmt.Errorf("weaviate: cannot add property %s to class %s: %w", p.Name, b.class, err)
		}
		added = true
	}
	if !added {
		return nil
	}
	return b.awaitFields(ctx)
}

// hasProperty reports whether the class has the property name now.
func (b *Backend) hasProperty(ctx context.Context, name string) bool {
	cls, err := b.readClass(ctx)
	return err == nil && cls != nil && slices.ContainsFunc(cls.Properties, func(p *models.Property) bool { return p.Name == name })
}

// awaitFields waits until every node that answers can read a paper's
// fields in GraphQL. A node rebuilds its GraphQL schema a moment after a
// property is added: a Get right after it failed with `Cannot query field
// "project_page"`.
func (b *Backend) awaitFields(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, n := range b.nodes {
		for {
			g := n.c.GraphQL().Get().WithClassName(b.class).WithLimit(1).WithFields(paperFields()...)
			if b.replicated {
				g = g.WithConsistencyLevel(readConsistency)
			}
			resp, err := g.Do(ctx)
			if err == nil {
				err = gqlErrors(resp)
			}
			if err == nil || unreachable(err) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("weaviate %s cannot yet read the properties added to class %s (%v): open it again in a moment", n.url, b.class, clientError(err))
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// objectID is the Weaviate id of a paper: a name-based (version 5) UUID of
// its paperlens id, so every process names a paper alike.
func objectID(paperID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("paperlens:"+paperID)).String()
}

// do runs fn against one node, and against the next ones while a node
// cannot be reached. It wraps paper.ErrUnavailable when none can.
func (b *Backend) do(ctx context.Context, fn func(c *weaviate.Client) error) error {
	start := int(b.cur.Load())
	var err error
	for i := range b.nodes {
		k := (start + i) % len(b.nodes)
		err = fn(b.nodes[k].c)
		if err == nil || !unreachable(err) || ctx.Err() != nil {
			if err == nil && k != start {
				b.cur.Store(int32(k))
			}
			return clientError(err)
		}
	}
	urls := make([]string, len(b.nodes))
	for i, n := range b.nodes {
		urls[i] = n.url
	}
	return fmt.Errorf("the paper store is %w: no Weaviate node answers (%s): %v", paper.ErrUnavailable, strings.Join(urls, ", "), clientError(err))
}

// cause is the error under the client's wrappers, which do not Unwrap.
func cause(err error) (status int, under error) {
	for {
		var wce *fault.WeaviateClientError
		if !errors.As(err, &wce) {
			return 0, err
		}
		if wce.DerivedFromError == nil {
			return wce.StatusCode, err
		}
		err = wce.DerivedFromError
	}
}

// unreachable tells a node that is down or unreachable from an answer.
func unreachable(err error) bool {
	status, under := cause(err)
	if status == 0 {
		var ue *url.Error
		return errors.As(under, &ue)
	}
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// clientError rewrites the client's error into one line that names the
// cause: an *answerError when Weaviate answered.
func clientError(err error) error {
	if err == nil {
		return nil
	}
	status, under := cause(err)
	var wce *fault.WeaviateClientError
	if errors.As(under, &wce) {
		return &answerError{status: status, msg: strings.TrimSpace(wce.Msg)}
	}
	return under
}

// answerError is an answer of Weaviate's that is not a success.
type answerError struct {
	status int
	msg    string
}

func (e *answerError) Error() string { return fmt.Sprintf("weaviate answered %d: %s", e.status, e.msg) }

// isNotFound reports whether err is Weaviate's 404.
func isNotFound(err error) bool {
	var ae *answerError
	return errors.As(err, &ae) && ae.status == http.StatusNotFound
}

// gqlErrors turns the errors of a GraphQL answer into one error.
func gqlErrors(resp *models.GraphQLResponse) error {
	if resp == nil {
		return errors.New("weaviate: empty GraphQL answer")
	}
	if len(resp.Errors) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(resp.Errors))
	for _, e := range resp.Errors {
		msgs = append(msgs, e.Message)
	}
	return &queryError{msgs: msgs}
}

// queryError is a GraphQL answer that holds errors.
type queryError struct{ msgs []string }

func (e *queryError) Error() string { return "weaviate: " + strings.Join(e.msgs, "; ") }

// clusterSide reports whether the node that answered failed to reach
// another node for its part of the class (a remote shard, or a node name
// it could not resolve), which passes as the cluster settles, rather than
// refusing the query itself. Weaviate says so only in words.
func (e *queryError) clusterSide() bool {
	for _, m := range e.msgs {
		if strings.Contains(m, "remote shard") || strings.Contains(m, "resolve node name") {
			return true
		}
	}
	return false
}

// object is a paper object as a GraphQL Get returns it.
type object struct {
	ID         string   `json:"paper_id"`
	Title      string   `json:"title"`
	Abstract   string   `json:"abstract"`
	Authors    []string `json:"authors"`
	Categories []string `json:"categories"`
	Published  string   `json:"published"`
	URL        string   `json:"url"`
	Hash       string   `json:"content_hash"`
	Upvotes    int      `json:"upvotes"`
	Github     string   `json:"github_repo"`
	Project    string   `json:"project_page"`
	Additional struct {
		ID       string    `json:"id"`
		Distance *float64  `json:"distance"`
		Score    number    `json:"score"`
		Vector   []float32 `json:"vector"`
	} `json:"_additional"`
}

// number is a float that Weaviate may send as a JSON string (BM25 scores).
type number float64

func (n *number) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		return fmt.Errorf("weaviate: score %s is not a number", b)
	}
	*n = number(f)
	return nil
}

func (o object) paper() paper.Paper {
	p := paper.Paper{ID: o.ID, Title: o.Title, Abstract: o.Abstract, Authors: o.Authors,
		Categories: o.Categories, Published: o.Published, URL: o.URL,
		Upvotes: o.Upvotes, GithubRepo: o.Github, ProjectPage: o.Project}
	if p.Authors == nil {
		p.Authors = []string{}
	}
	if p.Categories == nil {
		p.Categories = []string{}
	}
	return p
}

// paperFields are the fields of a paper; extra are added under
// _additional.
func paperFields(extra ...string) []graphql.Field {
	fs := []graphql.Field{{Name: propID}, {Name: propTitle}, {Name: propAbstract}, {Name: propAuthors},
		{Name: propCategories}, {Name: propPublished}, {Name: propURL}, {Name: propHash},
		{Name: propUpvotes}, {Name: propGithub}, {Name: propProject}}
	if len(extra) > 0 {
		add := graphql.Field{Name: "_additional"}
		for _, e := range extra {
			add.Fields = append(add.Fields, graphql.Field{Name: e})
		}
		fs = append(fs, add)
	}
	return fs
}

// readRetries is how many times a read is tried again after a node
// answered that it could not reach the part of the class another node
// holds (see queryError.clusterSide), and readBackoff the wait before the
// first retry, doubled each time.
const (
	readRetries = 3
	readBackoff = 250 * time.Millisecond
)

// get runs a GraphQL Get built by build on the class and decodes its
// objects. Right after a node is lost, the nodes left may for a moment not
// resolve each other (seen under load: "remote shard …: resolve node name
// "node1" to host"): such an answer is tried again, on the next node, a
// few times with a growing wait, as the read is safe to repeat.
func (b *Backend) get(ctx context.Context, build func(g *graphql.GetBuilder, api *graphql.API) *graphql.GetBuilder) ([]object, error) {
	wait := readBackoff
	for attempt := 0; ; attempt++ {
		objs, err := b.getOnce(ctx, build)
		var qe *queryError
		if err == nil || attempt == readRetries || !errors.As(err, &qe) || !qe.clusterSide() {
			return objs, err
		}
		b.cur.Store(int32((int(b.cur.Load()) + 1) % len(b.nodes)))
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (b *Backend) getOnce(ctx context.Context, build func(g *graphql.GetBuilder, api *graphql.API) *graphql.GetBuilder) ([]object, error) {
	var objs []object
	err := b.do(ctx, func(c *weaviate.Client) error {
		api := c.GraphQL()
		g := api.Get().WithClassName(b.class)
		if b.replicated {
			g = g.WithConsistencyLevel(readConsistency)
		}
		resp, err := build(g, api).Do(ctx)
		if err != nil {
			return err
		}
		if err := gqlErrors(resp); err != nil {
			return err
		}
		objs, err = decode(resp, "Get", b.class)
		return err
	})
	return objs, err
}

func decode(resp *models.GraphQLResponse, op, class string) ([]object, error) {
	raw, err := json.Marshal(resp.Data[op])
	if err != nil {
		return nil, fmt.Errorf("weaviate: cannot read the answer: %w", err)
	}
	var byClass map[string][]object
	if err := json.Unmarshal(raw, &byClass); err != nil {
		return nil, fmt.Errorf("weaviate: cannot read the answer: %w", err)
	}
	return byClass[class], nil
}
