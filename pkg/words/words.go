// Package words breaks text into the words paperlens ranks by: bleve's
// English analyser (lower case, stop words, Porter stemming), with a cache
// of what each distinct word becomes, and marks a query's words in
// abstracts. It wraps bleve's analysis and highlighting, so that only it
// and package lexical import bleve; the word index (package lexical) and
// the Weaviate backend both analyse with it, so both rank the same words.
package words

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/paperlens/paperlens/pkg/paper"
)

// fieldAbstract is the one field of the small index that highlights: the
// abstract, stored with its words' positions.
const fieldAbstract = "abstract"

// highlightMapping is the mapping of that index: the abstract, analysed as
// the postings analyse it.
func highlightMapping() *mapping.IndexMappingImpl {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = en.AnalyzerName
	f.Store = true
	f.IncludeTermVectors = true
	f.IncludeInAll = false
	f.DocValues = false
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldAbstract, f)
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = en.AnalyzerName
	m.DefaultField = fieldAbstract
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

// MaxQueryTerms bounds the distinct words of a lexical query. A longer
// text, such as an abstract for "papers like this one", is cut to its
// MaxQueryTerms most distinctive words (by term frequency × inverse document
// frequency, as Lucene's MoreLikeThis does): the rest add time, not
// ranking quality.
const MaxQueryTerms = 25

// Analyzer is bleve's English analyser: lower case, stop words, Porter
// stemming.
func Analyzer() (analysis.Analyzer, error) {
	an := highlightMapping().AnalyzerNamed(en.AnalyzerName)
	if an == nil {
		return nil, fmt.Errorf("words: no analyser %q", en.AnalyzerName)
	}
	return an, nil
}

// wordCache is an analyser that gives the words base gives, remembering
// what becomes of each word once broken out of the text. bleve's English
// analyser breaks the text into words, then treats each word on its own
// (possessive, lower case, stop word, Porter stem): that second part,
// about half of its time, is done once per distinct word instead of once
// per occurrence. An ingest analyses every paper while the embedder runs
// on the same cores, so this time is taken from the embedder. The words'
// bytes are shared between the tokens it returns: callers must not change
// them in place.
type wordCache struct {
	base    *analysis.DefaultAnalyzer
	mu      sync.RWMutex
	words   map[string][]byte // as broken out → as indexed; nil: a stop word
	maxSize int
}

// maxCachedWords bounds the words a wordCache remembers, at about 116
// bytes each (the 20,426 arXiv papers hold 86,648 distinct words: 10 MB);
// past it, new words are treated each time.
const maxCachedWords = 1 << 18

// Cached is an with a cache of what each distinct word becomes (see
// wordCache), or an itself when its words are not treated one by one. It
// suits the analysis of many papers; queries, whose words are many and
// rare, should not fill it.
func Cached(an analysis.Analyzer) analysis.Analyzer {
	d, ok := an.(*analysis.DefaultAnalyzer)
	if !ok || len(d.CharFilters) > 0 {
		return an
	}
	return &wordCache{base: d, words: map[string][]byte{}, maxSize: maxCachedWords}
}

// Analyze returns the words of input as base.Analyze does.
func (c *wordCache) Analyze(input []byte) analysis.TokenStream {
	toks := c.base.Tokenizer.Tokenize(input)
	out := toks[:0]
	for _, t := range toks {
		c.mu.RLock()
		term, ok := c.words[string(t.Term)]
		c.mu.RUnlock()
		if !ok {
			var one bool
			if term, one = c.treat(t); !one {
				return c.base.Analyze(input)
			}
		}
		if term == nil {
			continue // a stop word
		}
		t.Term = term
		out = append(out, t)
	}
	return out
}

// treat runs base's filters on a copy of t alone and remembers the word it
// becomes (nil when it is dropped). It reports false when a filter made
// more than one word of it, which the cache cannot stand for.
func (c *wordCache) treat(t *analysis.Token) ([]byte, bool) {
	word := string(t.Term)
	cp := *t
	cp.Term = []byte(word)
	stream := analysis.TokenStream{&cp}
	for _, f := range c.base.TokenFilters {
		stream = f.Filter(stream)
	}
	var term []byte
	switch len(stream) {
	case 0:
	case 1:
		term = slices.Clip(stream[0].Term)
	default:
		return nil, false
	}
	c.mu.RLock()
	full := len(c.words) >= c.maxSize
	c.mu.RUnlock()
	if !full {
		c.mu.Lock()
		if len(c.words) < c.maxSize {
			c.words[word] = term
		}
		c.mu.Unlock()
	}
	return term, true
}

// Of returns the words of text as the word index sees them: lower-cased,
// stemmed, stop words left out, in order and with repeats. A backend that
// ranks by BM25 itself (Weaviate) stores and queries these, so its ranking
// matches the index's.
func Of(text string) ([]string, error) {
	an, err := Analyzer()
	if err != nil {
		return nil, err
	}
	toks := an.Analyze([]byte(text))
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = string(t.Term)
	}
	return out, nil
}

// Highlight returns, for each of papers whose abstract contains a word of
// text, up to max short fragments of its abstract with the matched words
// marked <mark>…</mark> and the rest HTML-escaped.
func Highlight(ctx context.Context, text string, papers []paper.Paper, max int) (map[string][]string, error) {
	if len(papers) == 0 || max <= 0 {
		return map[string][]string{}, nil
	}
	return fragments(ctx, matchAbstract(text), papers, max)
}

// HighlightTerms is Highlight for words already analysed (see Of), such as
// the key words the word index picks out of a long text.
func HighlightTerms(ctx context.Context, terms []string, papers []paper.Paper, max int) (map[string][]string, error) {
	if len(papers) == 0 || max <= 0 || len(terms) == 0 {
		return map[string][]string{}, nil
	}
	qs := make([]query.Query, len(terms))
	for i, t := range terms {
		tq := query.NewTermQuery(t)
		tq.SetField(fieldAbstract)
		qs[i] = tq
	}
	return fragments(ctx, query.NewDisjunctionQuery(qs), papers, max)
}

// matchAbstract matches the abstracts holding a word of text.
func matchAbstract(text string) query.Query {
	mq := query.NewMatchQuery(text)
	mq.SetField(fieldAbstract)
	return mq
}

// MaxHighlightBytes is how much of an abstract highlights are taken from:
// its first 8 KiB, so that what a page of highlights costs is bounded
// whatever was stored. bleve's highlighter costs more than in proportion
// to the text: 100 abstracts of 8 KiB dense with the query's words took
// 0.6 s on a busy 2-core machine, of 32 KiB 2.5 s, of 64 KiB 8.8 s. Real
// abstracts are shorter (arXiv's longest: 2,781 bytes).
const MaxHighlightBytes = 8 << 10

// highlighted is the part of an abstract highlights are taken from: at
// most MaxHighlightBytes, cut before a word.
func highlighted(abstract string) string {
	if len(abstract) <= MaxHighlightBytes {
		return abstract
	}
	cut := MaxHighlightBytes
	for cut > 0 && abstract[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	if sp := strings.LastIndexByte(abstract[:cut], ' '); sp > cut/2 {
		cut = sp
	}
	return abstract[:cut]
}

// fragments highlights q in the abstracts of papers (their first
// MaxHighlightBytes). It builds a small index in memory, so it suits a page
// of papers, not a corpus.
func fragments(ctx context.Context, q query.Query, papers []paper.Paper, max int) (map[string][]string, error) {
	idx, err := bleve.NewMemOnly(highlightMapping())
	if err != nil {
		return nil, fmt.Errorf("words: cannot make a highlighting index: %w", err)
	}
	defer idx.Close()
	b := idx.NewBatch()
	for _, p := range papers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := b.Index(p.ID, struct {
			Abstract string `json:"abstract"`
		}{highlighted(p.Abstract)}); err != nil {
			return nil, fmt.Errorf("words: cannot index paper %s for highlighting: %w", p.ID, err)
		}
	}
	if err := idx.Batch(b); err != nil {
		return nil, fmt.Errorf("words: cannot index papers for highlighting: %w", err)
	}
	req := bleve.NewSearchRequestOptions(q, len(papers), 0, false)
	req.Highlight = bleve.NewHighlightWithStyle(html.Name)
	req.Highlight.AddField(fieldAbstract)
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("words: highlight failed: %w", err)
	}
	out := make(map[string][]string, len(res.Hits))
	for _, h := range res.Hits {
		frags := h.Fragments[fieldAbstract]
		if len(frags) > max {
			frags = frags[:max]
		}
		for i, f := range frags {
			frags[i] = wholeWords(f)
		}
		if len(frags) > 0 {
			out[h.ID] = frags
		}
	}
	return out, nil
}

// ellipsis marks where bleve cut a fragment out of the abstract.
const ellipsis = "…"

// wholeWords drops the partial words bleve's fixed-size fragments begin and
// end with, unless that would drop a marked word.
func wholeWords(f string) string {
	if rest, ok := strings.CutPrefix(f, ellipsis); ok {
		if i := strings.IndexByte(rest, ' '); i >= 0 && !strings.Contains(rest[:i], "<mark>") {
			f = ellipsis + rest[i+1:]
		}
	}
	if rest, ok := strings.CutSuffix(f, ellipsis); ok {
		if i := strings.LastIndexByte(rest, ' '); i >= 0 && !strings.Contains(rest[i:], "</mark>") {
			f = rest[:i] + ellipsis
		}
	}
	return f
}
