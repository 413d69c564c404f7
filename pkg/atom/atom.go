// Package atom writes Atom 1.0 feeds (RFC 4287) of papers: the "subscribe"
// of a search or a reading list, which any feed reader polls.
package atom

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"time"

	"github.com/paperlens/paperlens/pkg/paper"
)

// Feed is an Atom feed of papers, newest first.
type Feed struct {
	// ID names the feed for good: the same query gives the same ID.
	ID string
	// Title and Subtitle describe it to a reader.
	Title, Subtitle string
	// Self is the feed's own URL; Alternate the page that shows the same
	// papers, when there is one.
	Self, Alternate string
	// Papers are the entries, in order.
	Papers []paper.Paper
	// PaperPage is the URL of a paper's page on this server.
	PaperPage func(id string) string
	// Updated is when the feed last changed; zero means the newest
	// paper's date (or the Unix epoch for a feed without papers).
	Updated time.Time
}

// EntryID is the id of a paper's entry: the same in every feed and every
// request, so a reader shows a paper once.
func EntryID(paperID string) string { return "urn:paperlens:paper:" + url.PathEscape(paperID) }

// Published is when a paper counts as published in a feed: midnight UTC of
// its date, or the zero time when it has none.
func Published(p paper.Paper) time.Time {
	t, err := time.Parse(time.DateOnly, p.Published)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Updated is the time a feed of papers last changed: the newest paper's
// date, or the Unix epoch for a feed without dated papers.
func (f Feed) updated() time.Time {
	if !f.Updated.IsZero() {
		return f.Updated.UTC()
	}
	newest := time.Unix(0, 0).UTC()
	for _, p := range f.Papers {
		if t := Published(p); t.After(newest) {
			newest = t
		}
	}
	return newest
}

type xmlFeed struct {
	XMLName  xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
	ID       string     `xml:"id"`
	Title    string     `xml:"title"`
	Subtitle string     `xml:"subtitle,omitempty"`
	Updated  string     `xml:"updated"`
	Author   xmlPerson  `xml:"author"`
	Links    []xmlLink  `xml:"link"`
	Gen      xmlGen     `xml:"generator"`
	Entries  []xmlEntry `xml:"entry"`
}

type xmlGen struct {
	URI  string `xml:"uri,attr,omitempty"`
	Name string `xml:",chardata"`
}

type xmlPerson struct {
	Name string `xml:"name"`
}

type xmlLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type xmlText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type xmlEntry struct {
	ID         string        `xml:"id"`
	Title      xmlText       `xml:"title"`
	Updated    string        `xml:"updated"`
	Published  string        `xml:"published,omitempty"`
	Authors    []xmlPerson   `xml:"author"`
	Links      []xmlLink     `xml:"link"`
	Categories []xmlCategory `xml:"category"`
	Summary    xmlText       `xml:"summary"`
}

type xmlCategory struct {
	Term string `xml:"term,attr"`
}

// Marshal writes f as an Atom 1.0 document. An entry's published and
// updated dates are its paper's date (the feed's when it has none); a paper
// without authors has the feed's author, "paperlens", as Atom allows.
func (f Feed) Marshal() ([]byte, error) {
	updated := f.updated()
	x := xmlFeed{
		ID: f.ID, Title: f.Title, Subtitle: f.Subtitle, Updated: updated.Format(time.RFC3339),
		Author: xmlPerson{Name: "paperlens"},
		Links:  []xmlLink{{Rel: "self", Type: "application/atom+xml", Href: f.Self}},
		Gen:    xmlGen{Name: "paperlens"},
	}
	if f.Alternate != "" {
		x.Links = append(x.Links, xmlLink{Rel: "alternate", Type: "text/html", Href: f.Alternate})
	}
	for _, p := range f.Papers {
		when := Published(p)
		if when.IsZero() {
			when = updated
		}
		e := xmlEntry{
			ID:        EntryID(p.ID),
			Title:     xmlText{Type: "text", Body: p.Title},
			Updated:   when.Format(time.RFC3339),
			Published: when.Format(time.RFC3339),
			Summary:   xmlText{Type: "text", Body: p.Abstract},
		}
		if e.Title.Body == "" {
			e.Title.Body = p.ID
		}
		for _, a := range p.Authors { // none: the feed's author stands in
			e.Authors = append(e.Authors, xmlPerson{Name: a})
		}
		if f.PaperPage != nil {
			e.Links = append(e.Links, xmlLink{Rel: "alternate", Type: "text/html", Href: f.PaperPage(p.ID)})
		}
		if p.URL != "" {
			e.Links = append(e.Links, xmlLink{Rel: "related", Href: p.URL})
		}
		for _, c := range p.Categories {
			e.Categories = append(e.Categories, xmlCategory{Term: c})
		}
		x.Entries = append(x.Entries, e)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", " ")
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
