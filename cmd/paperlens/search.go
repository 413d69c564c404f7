package main

import (
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

// pageFlags are the flags of the commands that print a ranked list.
type pageFlags struct {
	limit, offset      int
	json               bool
	mode               string
	yearFrom, yearTo   int
	categories         listFlag
	author             string
	since, sort        string
	highlight, explain bool
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// options are the search options the flags ask for; the engine checks
// them.
func (p *pageFlags) options() search.Options {
	return search.Options{Limit: p.limit, Offset: p.offset, Mode: search.Mode(p.mode), Highlight: p.highlight, Explain: p.explain,
		Sort:   search.Sort(p.sort),
		Filter: paper.Filter{YearFrom: p.yearFrom, YearTo: p.yearTo, Categories: p.categories, Author: p.author, Since: p.since}}
}

func (p *pageFlags) register(c *config, e *env, name, args, about string) *flag.FlagSet {
	fs := newFlagSet(e, name, args, about)
	c.register(fs, e, defaultDataDir(e, "default"))
	fs.IntVar(&p.limit, "limit", search.DefaultLimit, fmt.Sprintf("number of results (1..%d)", search.MaxLimit))
	fs.IntVar(&p.offset, "offset", 0, "number of results to skip, for paging")
	fs.BoolVar(&p.json, "json", false, "print the results as JSON")
	fs.StringVar(&p.mode, "mode", string(search.Hybrid), "ranking: hybrid (words and vectors fused), vector or lexical (BM25)")
	fs.IntVar(&p.yearFrom, "year-from", 0, "keep papers published in this `year` or later")
	fs.IntVar(&p.yearTo, "year-to", 0, "keep papers published in this `year` or earlier")
	fs.Var(&p.categories, "category", "keep papers in this `category` (repeat for any of several)")
	fs.StringVar(&p.author, "author", "", "keep papers with an author whose name contains this `text`")
	fs.StringVar(&p.since, "since", "", "keep papers published on or after this `day` (YYYY-MM-DD)")
	fs.StringVar(&p.sort, "sort", string(search.Relevance), "order: relevance, date (the 1,000 most relevant, newest first) or upvotes")
	fs.BoolVar(&p.highlight, "highlight", false, "show abstract fragments with the matched words")
	fs.BoolVar(&p.explain, "explain", false, "show each hit's lexical and vector scores and ranks")
	return fs
}

func runSearch(ctx context.Context, e *env, args []string) error {
	var c config
	var p pageFlags
	fs := p.register(&c, e, "search", "QUERY...", "Ranks the stored papers against a natural-language query.")
	words, err := parse(fs, args)
	if err != nil {
		return err
	}
	query := strings.Join(words, " ")
	if strings.TrimSpace(query) == "" {
		return fmt.Errorf("%w: no QUERY given (e.g. paperlens search \"meta-learning for reinforcement learning\")", errUsage)
	}
	o := p.options()
	papers, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer papers.Close()
	page, err := papers.Engine().Search(ctx, query, o)
	if err != nil {
		return err
	}
	return p.print(e.stdout, page)
}

func runSimilar(ctx context.Context, e *env, args []string) error {
	var c config
	var p pageFlags
	fs := p.register(&c, e, "similar", "ID", "Lists papers like the stored paper ID (the paper itself is left out).")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return fmt.Errorf("%w: want exactly one paper ID, got %d", errUsage, len(ids))
	}
	o := p.options()
	papers, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer papers.Close()
	eng := papers.Engine()
	page, err := eng.Similar(ctx, ids[0], o)
	if err != nil {
		return err
	}
	if !p.json {
		if pp, err := eng.Get(ctx, ids[0]); err == nil {
			fmt.Fprintf(e.stdout, "Papers like %s: %s\n\n", plain(pp.ID), plain(pp.Title))
		}
	}
	return p.print(e.stdout, page)
}

// print writes a page as JSON or as a numbered list.
func (p *pageFlags) print(w io.Writer, page paper.Page) error {
	if p.json {
		return writeJSON(w, page)
	}
	if len(page.Results) == 0 {
		fmt.Fprintf(w, "No results (offset %d of %d papers).\n", page.Offset, page.Total)
		return nil
	}
	for i, h := range page.Results {
		fmt.Fprintf(w, "%3d. %.3f  %s\n", page.Offset+i+1, h.Score, shorten(plain(h.Title), 100))
		line := plain(h.ID)
		if h.Published != "" {
			line += " · " + plain(h.Published)
		}
		if len(h.Authors) > 0 {
			line += " · " + shorten(plain(strings.Join(h.Authors, ", ")), 60)
		}
		fmt.Fprintf(w, "            %s\n", line)
		for _, f := range h.Highlights {
			fmt.Fprintf(w, "            … %s …\n", plain(markToTerminal(f)))
		}
		if x := h.Explain; x != nil {
			fmt.Fprintf(w, "            lexical %.3f (rank %d) · vector %.3f (rank %d) · fused rank %d%s\n",
				x.LexicalScore, x.LexicalRank, x.VectorScore, x.VectorRank, x.FusedRank, fusionNote(x))
		}
	}
	fmt.Fprintf(w, "\n%d–%d of %d papers in %d ms\n", page.Offset+1, page.Offset+len(page.Results), page.Total, page.TookMS)
	return nil
}

// fusionNote says how a hybrid hit's two rankings were fused.
func fusionNote(x *paper.Explanation) string {
	if x.Fusion == "" {
		return ""
	}
	how := "default"
	if x.Fitted {
		how = "fitted"
	}
	return fmt.Sprintf(" · %s fusion %.2f/%.2f (%s)", x.Fusion, x.LexicalWeight, x.VectorWeight, how)
}

// markToTerminal turns a highlight's HTML into plain text with the matched
// words in [brackets].
func markToTerminal(s string) string {
	s = strings.NewReplacer("<mark>", "[", "</mark>", "]").Replace(s)
	return html.UnescapeString(s)
}

// plain makes text from a paper safe to print on a terminal: a control
// character (ESC, which starts the sequences that move the cursor, retitle
// the window or rewrite the clipboard; BEL; the C1 controls) or a bidi
// control (which reorders what follows it on the line) becomes U+FFFD, a
// tab or line break a space. Papers stored since paper.Normalize dropped
// control characters hold none, but older ones may.
func plain(s string) string {
	if !strings.ContainsFunc(s, unsafeOnTerminal) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unsafeOnTerminal(r):
			return utf8.RuneError
		}
		return r
	}, s)
}

func unsafeOnTerminal(r rune) bool {
	return unicode.IsControl(r) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// shorten cuts s to at most n runes, ending with "…" when cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
