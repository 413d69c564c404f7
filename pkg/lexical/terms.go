package lexical

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/highlight/format/html"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Terms returns the words of text as the index sees them: lower-cased,
// stemmed, stop words left out, in order and with repeats. A backend that
// ranks by BM25 itself (Weaviate) stores and queries these, so its ranking
// matches the index's.
func Terms(text string) ([]string, error) {
	an, err := analyzer()
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

// Fragments returns, for each of papers whose abstract contains a word of
// text, up to max short fragments of its abstract with the matched words
// marked <mark>…</mark> and the rest HTML-escaped: what Index.Highlights
// gives, for papers that are not in an index (a page of hits from a remote
// backend). It builds a small index in memory, so it suits a page of
// papers, not a corpus.
func Fragments(ctx context.Context, text string, papers []paper.Paper, max int) (map[string][]string, error) {
	if len(papers) == 0 || max <= 0 {
		return map[string][]string{}, nil
	}
	idx, err := bleve.NewMemOnly(newMapping())
	if err != nil {
		return nil, fmt.Errorf("lexical: cannot make a highlighting index: %w", err)
	}
	defer idx.Close()
	b := idx.NewBatch()
	ids := make([]string, 0, len(papers))
	for _, p := range papers {
		if err := b.Index(p.ID, toDocument(p)); err != nil {
			return nil, fmt.Errorf("lexical: cannot index paper %s for highlighting: %w", p.ID, err)
		}
		ids = append(ids, p.ID)
	}
	if err := idx.Batch(b); err != nil {
		return nil, fmt.Errorf("lexical: cannot index papers for highlighting: %w", err)
	}
	mq := query.NewMatchQuery(text)
	mq.SetField(fieldAbstract)
	req := bleve.NewSearchRequestOptions(mq, len(ids), 0, false)
	req.Highlight = bleve.NewHighlightWithStyle(html.Name)
	req.Highlight.AddField(fieldAbstract)
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("lexical: highlight failed: %w", err)
	}
	return abstractFragments(res, max), nil
}
