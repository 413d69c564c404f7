// Package arxiv harvests arXiv's OAI-PMH interface (verb=ListRecords,
// metadataPrefix=arXiv, a set such as cs, physics:hep-th or cs:cs:LG, from a
// datestamp), following resumption tokens, and syncs a data folder from it
// (see harvest). Records marked deleted delete the paper.
package arxiv

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

// DefaultURL is arXiv's OAI-PMH base URL, as arXiv documents it for
// harvesters at https://info.arxiv.org/help/oa/index.html ("arXiv supports
// OAI-PMH v2.0 at the baseURL https://oaipmh.arxiv.org/oai"; it replaced
// http://export.arxiv.org/oai2 in 2025). The same page asks harvesters to
// honour 503 Retry-After answers, and arXiv's terms of use allow one
// request every three seconds (harvest.ArxivInterval).
const DefaultURL = "https://oaipmh.arxiv.org/oai"

// Key names the source of a set in summaries and its cursor file:
// "arxiv cs".
func Key(set string) string { return "arxiv " + set }

// Options says what to harvest and from where.
type Options struct {
	// URL is the OAI-PMH base URL; "" means DefaultURL.
	URL string
	// Set is the OAI-PMH set spec: cs, physics:hep-th, cs:cs:LG… (arXiv's
	// ListSets names them; SetSpec makes one from a category such as
	// cs.LG). It is sent as given.
	Set string
	// From starts a new harvest at this datestamp, YYYY-MM-DD. "" resumes
	// the harvest the cursor holds, or starts one at the cursor's last
	// datestamp.
	From string
}

// Error is an OAI-PMH error answer, such as badResumptionToken.
type Error struct {
	Code    string
	Message string
}

// Error reads "OAI-PMH error badResumptionToken: message".
func (e *Error) Error() string {
	return fmt.Sprintf("OAI-PMH error %s: %s", e.Code, strings.Join(strings.Fields(e.Message), " "))
}

// Sync harvests the set page by page, storing each page through run before
// asking for the next. While it runs, the cursor holds the harvest's start
// and its live resumption token; once the list is complete, the latest
// datestamp harvested, where the next harvest starts. A harvest resumed
// from a token the server no longer knows (badResumptionToken: tokens
// expire) starts again from its first datestamp, which stores nothing
// twice. Malformed records are skipped and reported; a malformed page or an
// OAI-PMH error ends the sync with an error naming the URL.
func Sync(ctx context.Context, c *harvest.Client, run *harvest.Run, o Options) error {
	if o.Set == "" {
		return errors.New("arXiv needs a set to harvest (--set cs, or physics:hep-th…)")
	}
	cur := run.Cursor()
	from, token, latest := o.From, "", ""
	switch {
	case from != "":
		if _, err := time.Parse(time.DateOnly, from); err != nil {
			return fmt.Errorf("from %q is not a date: want YYYY-MM-DD", from)
		}
	case cur.Token != "":
		from, token, latest = cur.From, cur.Token, cur.Latest
	case cur.Done != "":
		from = cur.Done
	default:
		return fmt.Errorf("arXiv set %s has no cursor in this data folder yet: give the first datestamp to harvest from (--from YYYY-MM-DD)", o.Set)
	}
	run.Describe("from "+from, "pages", "records")
	base := cmp.Or(o.URL, DefaultURL)
	resumed := token != ""
	for {
		u := listURL(base, o.Set, from, token)
		pg, next, err := fetchPage(ctx, c, u)
		var oe *Error
		if resumed && errors.As(err, &oe) && oe.Code == "badResumptionToken" {
			run.Note("the saved resumption token is no longer valid: harvested again from %s", from)
			token, latest, resumed = "", "", false
			continue
		}
		if err != nil {
			return err
		}
		resumed = false
		if next != "" && next == token {
			return fmt.Errorf("GET %s: the server answered the same resumption token %q again: stopping rather than looping", u, next)
		}
		latest = max(latest, pg.latest)
		pg.Cursor = harvest.Cursor{Done: cur.Done, From: from, Token: next, Latest: latest}
		if next == "" { // the list is complete
			pg.Cursor = harvest.Cursor{Done: max(cur.Done, from, latest)}
		}
		pg.Ends = true
		if err := run.Store(ctx, pg.Page); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// listURL is the ListRecords request for a first page, or for the page a
// resumption token names (the token is then the only argument, as OAI-PMH
// requires).
func listURL(base, set, from, token string) string {
	q := url.Values{"verb": {"ListRecords"}}
	if token != "" {
		q.Set("resumptionToken", token)
	} else {
		q.Set("metadataPrefix", "arXiv")
		q.Set("set", set)
		q.Set("from", from)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

// page is a page read, with the latest datestamp of its records.
type page struct {
	harvest.Page
	latest string
}

// fetchPage gets one page and reads it, with the token of the next page ("" at
// the end of the list).
func fetchPage(ctx context.Context, c *harvest.Client, u string) (page, string, error) {
	var pg page
	var next string
	err := c.Get(ctx, u, func(_ http.Header, body []byte) error {
		var err error
		pg, next, err = parse(body)
		return err
	})
	pg.URL = u
	return pg, next, err
}

// The OAI-PMH answer, as far as ListRecords with the arXiv format needs.
type oaiAnswer struct {
	XMLName     xml.Name   `xml:"OAI-PMH"`
	Errors      []oaiError `xml:"error"`
	ListRecords *struct {
		Records []oaiRecord `xml:"record"`
		Token   *struct {
			Value string `xml:",chardata"`
		} `xml:"resumptionToken"`
	} `xml:"ListRecords"`
}

type oaiError struct {
	Code    string `xml:"code,attr"`
	Message string `xml:",chardata"`
}

type oaiRecord struct {
	Header struct {
		Status     string `xml:"status,attr"`
		Identifier string `xml:"identifier"`
		Datestamp  string `xml:"datestamp"`
	} `xml:"header"`
	Metadata struct {
		ArXiv *struct {
			ID      string `xml:"id"`
			Created string `xml:"created"`
			Authors []struct {
				Keyname   string `xml:"keyname"`
				Forenames string `xml:"forenames"`
				Suffix    string `xml:"suffix"`
			} `xml:"authors>author"`
			Title      string `xml:"title"`
			Categories string `xml:"categories"`
			Abstract   string `xml:"abstract"`
		} `xml:"arXiv"`
	} `xml:"metadata"`
}

// parse reads an OAI-PMH answer. noRecordsMatch is an empty, complete
// list; other OAI-PMH errors are permanent (asking again gets the same
// answer); an answer that is not OAI-PMH XML is an error worth a retry.
func parse(body []byte) (page, string, error) {
	var a oaiAnswer
	if err := xml.Unmarshal(body, &a); err != nil {
		return page{}, "", fmt.Errorf("not OAI-PMH XML: %v", err)
	}
	for _, e := range a.Errors {
		if e.Code == "noRecordsMatch" {
			return page{}, "", nil
		}
	}
	if len(a.Errors) > 0 {
		return page{}, "", harvest.Permanent(&Error{Code: a.Errors[0].Code, Message: a.Errors[0].Message})
	}
	if a.ListRecords == nil {
		return page{}, "", errors.New("the OAI-PMH answer holds neither ListRecords nor an error")
	}
	var pg page
	for _, r := range a.ListRecords.Records {
		pg.Entries++
		id := paper.NormalizeID(strings.TrimPrefix(strings.TrimSpace(r.Header.Identifier), "oai:arXiv.org:"))
		if d := strings.TrimSpace(r.Header.Datestamp); isDate(d) {
			pg.latest = max(pg.latest, d)
		}
		m := r.Metadata.ArXiv
		switch {
		case r.Header.Status == "deleted":
			if id == "" {
				pg.Skipped = append(pg.Skipped, harvest.Skip{Reason: "a deleted record without an identifier"})
				continue
			}
			pg.Deleted = append(pg.Deleted, id)
			continue
		case m == nil:
			pg.Skipped = append(pg.Skipped, harvest.Skip{ID: id, Reason: "record has no arXiv metadata"})
			continue
		}
		p := paper.Paper{
			ID:         cmp.Or(strings.TrimSpace(m.ID), id),
			Title:      loader.PlainText(m.Title),
			Abstract:   loader.PlainText(m.Abstract),
			Published:  strings.TrimSpace(m.Created),
			Categories: strings.Fields(m.Categories),
		}
		for _, au := range m.Authors {
			p.Authors = append(p.Authors, loader.ArxivName(au.Keyname, au.Forenames, au.Suffix))
		}
		pg.Papers = append(pg.Papers, p)
	}
	var next string
	if t := a.ListRecords.Token; t != nil {
		next = strings.TrimSpace(t.Value)
	}
	return pg, next, nil
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
