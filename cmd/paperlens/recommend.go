package main

import (
	"context"
	"fmt"

	"github.com/paperlens/paperlens/pkg/search"
)

func runRecommend(ctx context.Context, e *env, args []string) error {
	var c config
	var p pageFlags
	var like, not, likeText, notText listFlag
	fs := p.register(&c, e, "recommend", "",
		"Lists papers like those of --like (stored paper ids) and --like-text (texts), and not like those of\n"+
			"--not and --not-text: a reader's library and the line of work they do not care about. None of the\n"+
			"examples is listed.")
	fs.Var(&like, "like", "a stored paper `ID` the reader likes (repeat for several)")
	fs.Var(&likeText, "like-text", "a `text` the reader likes, such as an abstract (repeatable)")
	fs.Var(&not, "not", "a stored paper `ID` the reader is not interested in (repeatable)")
	fs.Var(&notText, "not-text", "a `text` the reader is not interested in (repeatable)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("%w: recommend takes its papers as --like ID, got %q", errUsage, rest)
	case len(like)+len(likeText) == 0:
		return fmt.Errorf("%w: no paper to start from: give --like ID (or --like-text TEXT), once per paper", errUsage)
	}
	positive, negative := examplesOf(like, likeText), examplesOf(not, notText)
	o := p.options()
	papers, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer papers.Close()
	page, err := papers.Engine().Recommend(ctx, positive, negative, o)
	if err != nil {
		return err
	}
	if !p.json {
		fmt.Fprintf(e.stdout, "Papers like %d, not like %d:\n\n", len(positive), len(negative))
	}
	return p.print(e.stdout, page)
}

// examplesOf are the recommendation examples of ids, then of texts.
func examplesOf(ids, texts []string) []search.Example {
	var out []search.Example
	for _, id := range ids {
		out = append(out, search.Example{ID: id})
	}
	for _, t := range texts {
		out = append(out, search.Example{Text: t})
	}
	return out
}
