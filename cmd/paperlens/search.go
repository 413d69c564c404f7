package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

// pageFlags are the flags of the commands that print a ranked list.
type pageFlags struct {
	limit, offset int
	json          bool
}

func (p *pageFlags) register(c *config, e *env, name, args, about string) *flag.FlagSet {
	fs := newFlagSet(e, name, args, about)
	c.register(fs, e, defaultDataDir(e, "default"))
	fs.IntVar(&p.limit, "limit", search.DefaultLimit, fmt.Sprintf("number of results (1..%d)", search.MaxLimit))
	fs.IntVar(&p.offset, "offset", 0, "number of results to skip, for paging")
	fs.BoolVar(&p.json, "json", false, "print the results as JSON")
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
	emb, st, err := c.openExisting()
	if err != nil {
		return err
	}
	page, err := search.New(emb, st).Search(ctx, query, search.Options{Limit: p.limit, Offset: p.offset})
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
	emb, st, err := c.openExisting()
	if err != nil {
		return err
	}
	eng := search.New(emb, st)
	page, err := eng.Similar(ctx, ids[0], search.Options{Limit: p.limit, Offset: p.offset})
	if err != nil {
		return err
	}
	if !p.json {
		if pp, err := eng.Get(ctx, ids[0]); err == nil {
			fmt.Fprintf(e.stdout, "Papers like %s: %s\n\n", pp.ID, pp.Title)
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
		fmt.Fprintf(w, "%3d. %.3f  %s\n", page.Offset+i+1, h.Score, shorten(h.Title, 100))
		line := h.ID
		if h.Published != "" {
			line += " · " + h.Published
		}
		if len(h.Authors) > 0 {
			line += " · " + shorten(strings.Join(h.Authors, ", "), 60)
		}
		fmt.Fprintf(w, "            %s\n", line)
	}
	fmt.Fprintf(w, "\n%d–%d of %d papers in %d ms\n", page.Offset+1, page.Offset+len(page.Results), page.Total, page.TookMS)
	return nil
}

// shorten cuts s to at most n runes, ending with "…" when cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
