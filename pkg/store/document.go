package store

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/paperlens/paperlens/pkg/paper"
	chromem "github.com/philippgille/chromem-go"
)

// Metadata keys of a stored document; the abstract is its content.
const (
	keyTitle      = "title"
	keyAuthors    = "authors"
	keyPublished  = "published"
	keyCategories = "categories"
	keyURL        = "url"
	keyHash       = "hash"
	keyUpvotes    = "upvotes"
	keyGithub     = "github_repo"
	keyProject    = "project_page"
)

func toDocument(r paper.Record) chromem.Document {
	p := r.Paper
	d := chromem.Document{
		ID: p.ID,
		Metadata: map[string]string{
			keyTitle:      p.Title,
			keyAuthors:    joinList(p.Authors),
			keyPublished:  p.Published,
			keyCategories: joinList(p.Categories),
			keyURL:        p.URL,
			keyHash:       r.Hash,
		},
		Embedding: r.Vector,
		Content:   p.Abstract,
	}
	// Only papers that have them carry the Daily Papers fields, so the
	// snapshot of a folder without any stays as it was.
	if p.Upvotes != 0 {
		d.Metadata[keyUpvotes] = strconv.Itoa(p.Upvotes)
	}
	if p.GithubRepo != "" {
		d.Metadata[keyGithub] = p.GithubRepo
	}
	if p.ProjectPage != "" {
		d.Metadata[keyProject] = p.ProjectPage
	}
	return d
}

func fromDocument(id string, md map[string]string, content string, vec []float32) paper.Record {
	upvotes, _ := strconv.Atoi(md[keyUpvotes])
	r := paper.Record{
		Paper: paper.Paper{
			ID:          id,
			Title:       md[keyTitle],
			Abstract:    content,
			Authors:     splitList(md[keyAuthors]),
			Published:   md[keyPublished],
			Categories:  splitList(md[keyCategories]),
			URL:         md[keyURL],
			GithubRepo:  md[keyGithub],
			ProjectPage: md[keyProject],
		},
		Hash:   md[keyHash],
		Vector: vec,
	}
	r.Paper.Upvotes = upvotes
	return r
}

// Lists are kept as JSON arrays: author names may contain commas.
func joinList(l []string) string {
	if len(l) == 0 {
		return ""
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func splitList(s string) []string {
	var l []string
	if s == "" || json.Unmarshal([]byte(s), &l) != nil {
		if s != "" && !strings.HasPrefix(s, "[") {
			return []string{s}
		}
		return []string{}
	}
	return l
}
