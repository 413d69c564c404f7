package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/paperlens/paperlens/pkg/atom"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

// Feeds: what a feed holds when the request does not say.
const (
	// FeedDays is how far back a feed reaches without since: the papers
	// published in the last two weeks.
	FeedDays = 14
	// FeedLimit is how many papers a feed holds without limit.
	FeedLimit = 50
)

// feedOptions reads a feed's query: the options of a search, with a feed's
// defaults (the newest FeedLimit papers of the last FeedDays days, newest
// first).
func (s *server) feedOptions(c *gin.Context) (search.Options, bool) {
	q := c.Request.URL.Query()
	p, err := search.ParamsFromQuery(q)
	if err == nil && p.Limit == nil {
		limit := FeedLimit
		p.Limit = &limit
	}
	if err == nil && !q.Has("since") {
		p.Since = time.Now().UTC().AddDate(0, 0, -FeedDays).Format(time.DateOnly)
	}
	if err == nil && p.Sort == "" {
		p.Sort = string(search.ByDate)
	}
	return s.options(c, p, err)
}

// searchFeed answers GET /feeds/search.atom?q=…: the newest papers that
// match a query, as Atom.
func (s *server) searchFeed(c *gin.Context) {
	o, ok := s.feedOptions(c)
	if !ok {
		return
	}
	q := c.Query("q")
	page, err := s.eng.Search(c.Request.Context(), q, o)
	if err != nil {
		s.failWith(c, err)
		return
	}
	s.feed(c, page, "search", "paperlens: "+strings.TrimSpace(q), "Papers matching “"+strings.TrimSpace(q)+"”, newest first", "/?q="+url.QueryEscape(q))
}

// likeFeed answers GET /feeds/like.atom?paper=ID&paper=ID&not=ID: the
// newest papers like a reading list, as Atom.
func (s *server) likeFeed(c *gin.Context) {
	o, ok := s.feedOptions(c)
	if !ok {
		return
	}
	q := c.Request.URL.Query()
	pos, neg := examples(q["paper"]), examples(q["not"])
	page, err := s.eng.Recommend(c.Request.Context(), pos, neg, o)
	if err != nil {
		s.failWith(c, err)
		return
	}
	s.feed(c, page, "like", "paperlens: papers like your library", "Papers like the "+plural(len(pos), "paper")+" of a reading list, newest first", "")
}

// examples are recommendation examples of the ids of a query parameter.
func examples(ids []string) []search.Example {
	out := make([]search.Example, len(ids))
	for i, id := range ids {
		out[i] = search.Example{ID: id}
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// feed answers a page of papers as an Atom feed whose id is kind and the
// request's query, put in a canonical order, so the same question is the
// same feed. It answers 304 to a reader whose copy (If-None-Match,
// If-Modified-Since) is current.
func (s *server) feed(c *gin.Context, page paper.Page, kind, title, subtitle, alternate string) {
	base := baseURL(c.Request)
	papers := make([]paper.Paper, len(page.Results))
	for i, h := range page.Results {
		papers[i] = h.Paper
	}
	f := atom.Feed{
		ID:       "urn:paperlens:feed:" + kind + ":" + canonicalQuery(c.Request.URL.Query()),
		Title:    title,
		Subtitle: subtitle,
		Self:     base + c.Request.URL.RequestURI(),
		Papers:   papers,
		PaperPage: func(id string) string {
			return base + "/papers/" + url.PathEscape(id)
		},
	}
	if alternate != "" {
		f.Alternate = base + alternate
	}
	body, err := f.Marshal()
	if err != nil {
		s.failWith(c, err)
		return
	}
	sum := sha256.Sum256(body)
	h := c.Writer.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	h.Set("Cache-Control", "public, max-age=300")
	modified := time.Time{}
	if len(papers) > 0 {
		modified = atom.Published(slices.MaxFunc(papers, func(a, b paper.Paper) int { return strings.Compare(a.Published, b.Published) }))
	}
	http.ServeContent(c.Writer, c.Request, "", modified, bytes.NewReader(body))
}

// canonicalQuery is a digest of a query's parameters that change what a
// feed holds, each one's values sorted: the same question in another
// order is the same feed.
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		for _, v := range vs {
			h.Write([]byte(k + "=" + v + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// baseURL is scheme://host of the server as the request reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
