// Package hfdaily reads the Hugging Face Daily Papers API,
// GET {url}/api/daily_papers?date=YYYY-MM-DD, one day at a time, and syncs
// a data folder from it (see harvest). An answer is a JSON array of entries
// with the paper under "paper" (the format pkg/loader reads as "hf"); the
// arXiv id is the paper id, so a paper met on several days, or from arXiv,
// is one paper.
package hfdaily

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

// Key names the source in summaries and its cursor file.
const Key = "hf-daily"

// DefaultURL is the Hugging Face Hub, which serves the API.
const DefaultURL = "https://huggingface.co"

// DefaultPageSize is how many entries a request asks for. The API pages a
// day with "p" (the page, from 0) and "limit" (entries a page, 50 by
// default), as huggingface_hub's list_daily_papers documents; the Hub's
// listings also announce a next page in a Link header, which is followed
// when present.
const DefaultPageSize = 50

// maxPages bounds the pages read for one day, in case a server keeps
// announcing more.
const maxPages = 100

// Options says which days to sync and from where.
type Options struct {
	// URL is the Hub's base URL; "" means DefaultURL.
	URL string
	// From and To are the first and last day, YYYY-MM-DD. From "" means the
	// day after the cursor; To "" means today (UTC).
	From, To string
	// PageSize is the entries asked for a request; 0 means
	// DefaultPageSize.
	PageSize int
	// Now tells the time; nil means time.Now.
	Now func() time.Time
}

// Sync reads the days of o one after another, each page by page, storing
// every page through run before reading the next. Malformed entries are
// skipped and reported; a malformed answer, after c's retries, ends the
// sync with an error naming its URL. The cursor moves to a day once all its
// pages are stored, but never to today or later: today's list may still
// grow, so it is read again by the next sync.
func Sync(ctx context.Context, c *harvest.Client, run *harvest.Run, o Options) error {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	today := now().UTC().Format(time.DateOnly)
	cur := run.Cursor()
	from, to := o.From, o.To
	if from == "" {
		if cur.Done == "" {
			return errors.New("hf-daily has no cursor in this data folder yet: give the first day to read (--from YYYY-MM-DD)")
		}
		from = addDays(cur.Done, 1)
	}
	if to == "" {
		to = today
	}
	first, err := day("from", from)
	if err != nil {
		return err
	}
	last, err := day("to", to)
	if err != nil {
		return err
	}
	run.Describe(from+".."+to, "days", "entries")
	base := strings.TrimRight(cmp.Or(o.URL, DefaultURL), "/")
	size := o.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		date := d.Format(time.DateOnly)
		if err := syncDay(ctx, c, run, base, date, size, date < today); err != nil {
			return err
		}
	}
	return nil
}

// syncDay reads and stores the pages of one day. done says whether the day
// is over, so the cursor may move to it.
func syncDay(ctx context.Context, c *harvest.Client, run *harvest.Run, base, date string, size int, done bool) error {
	seen := map[string]bool{}
	next := fmt.Sprintf("%s/api/daily_papers?date=%s&limit=%d&p=0", base, date, size)
	for p := 0; next != ""; p++ {
		pg, link, err := fetchPage(ctx, c, next, date)
		if err != nil {
			return err
		}
		fresh := 0
		ids := make([]string, 0, pg.Entries)
		for _, pp := range pg.Papers {
			ids = append(ids, pp.ID)
		}
		for _, sk := range pg.Skipped {
			ids = append(ids, sk.ID)
		}
		for _, id := range ids {
			if id == "" || !seen[id] {
				seen[id] = true
				fresh++
			}
		}
		// The next page: the one the server links to, else the next
		// number when this page came full. A page with nothing new means a
		// server that ignores "p": the day is read.
		url := next
		switch {
		case fresh == 0 || p+1 >= maxPages:
			next = ""
		case link != "":
			next = link
		case pg.Entries >= size:
			next = fmt.Sprintf("%s/api/daily_papers?date=%s&limit=%d&p=%d", base, date, size, p+1)
		default:
			next = ""
		}
		pg.URL = url
		pg.Cursor = run.Cursor()
		if pg.Ends = next == ""; pg.Ends && done && date > pg.Cursor.Done {
			pg.Cursor.Done = date
		}
		if err := run.Store(ctx, pg); err != nil {
			return err
		}
	}
	return nil
}

// fetchPage gets one answer and reads its entries, and the next page's URL
// if the answer links to one.
func fetchPage(ctx context.Context, c *harvest.Client, u, date string) (harvest.Page, string, error) {
	var pg harvest.Page
	var next string
	err := c.Get(ctx, u, func(h http.Header, body []byte) error {
		trimmed := bytes.TrimSpace(body)
		if !json.Valid(trimmed) || len(trimmed) == 0 || trimmed[0] != '[' {
			return errors.New("not a JSON array of Daily Papers entries")
		}
		pg = harvest.Page{}
		rep, err := loader.Load(bytes.NewReader(trimmed), loader.Options{Format: loader.HF}, func(p paper.Paper) error {
			pg.Papers = append(pg.Papers, p)
			return nil
		})
		if err != nil {
			return err
		}
		for _, le := range rep.Skipped {
			pg.Skipped = append(pg.Skipped, harvest.Skip{ID: le.ID, Reason: date + " " + le.Err.Error()})
		}
		pg.Entries = rep.Read + len(rep.Skipped)
		next = nextLink(u, h.Values("Link"))
		return nil
	})
	return pg, next, err
}

// nextLink returns the URL of the rel="next" link among Link header
// values, resolved against the page's URL, or "".
func nextLink(page string, values []string) string {
	for _, v := range values {
		for _, link := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(link, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, param := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
				if uq, err := strconv.Unquote(v); err == nil {
					v = uq
				}
				if strings.EqualFold(k, "rel") && strings.EqualFold(v, "next") {
					base, err1 := url.Parse(page)
					ref, err2 := url.Parse(target[1 : len(target)-1])
					if err1 != nil || err2 != nil {
						return ""
					}
					return base.ResolveReference(ref).String()
				}
			}
		}
	}
	return ""
}

// day parses a YYYY-MM-DD flag value.
func day(name, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s day %q is not a date: want YYYY-MM-DD", name, s)
	}
	return t, nil
}

// addDays returns the day n days after the day s, or s if it is no day.
func addDays(s string, n int) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}
