package lexical

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	bdoc "github.com/blevesearch/bleve/v2/document"

	"github.com/paperlens/paperlens/pkg/paper"
)

// HoldBuilds makes the background builds of the postings that Open starts
// from now on wait until release is called (or the index is closed), so a
// test can query an index whose postings are not built yet. The hold ends
// with the test.
func HoldBuilds(t testing.TB) (release func()) {
	hold := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(hold) }) }
	buildHook = func(ctx context.Context) {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	t.Cleanup(func() {
		release()
		buildHook = nil
	})
	return release
}

// Compacted reports whether bleve ranks as the postings do, so that it
// answers rankings while they are built.
func (x *Index) Compacted() (bool, error) {
	if err := x.flush(); err != nil {
		return false, err
	}
	return x.compacted()
}

// TextTerms returns the analysed terms of p.Text(), analysed whole, and as
// the index takes them: the title's terms, then the abstract's.
func TextTerms(t testing.TB, p paper.Paper) (whole, parts []string) {
	t.Helper()
	an, err := analyzer()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range an.Analyze([]byte(p.Text())) {
		whole = append(whole, string(tok.Term))
	}
	for _, tok := range analyseWords(an, &p).text() {
		parts = append(parts, string(tok.Term))
	}
	return whole, parts
}

// FieldWords describes, field by field, what bleve indexes for p: once
// from the document the index writes (its words analysed once, ahead), and
// once from the document bleve's mapping makes of p and analyses itself.
func FieldWords(t testing.TB, x *Index, p paper.Paper) (ahead, mapped map[string]string) {
	t.Helper()
	doc, err := x.bleveDocument(&queued{p: p})
	if err != nil {
		t.Fatal(err)
	}
	plain := bdoc.NewDocument(p.ID)
	if err := x.idx.Mapping().MapDocument(plain, toDocument(p)); err != nil {
		t.Fatal(err)
	}
	return describeFields(doc), describeFields(plain)
}

func describeFields(doc *bdoc.Document) map[string]string {
	out := map[string]string{}
	for i, f := range doc.Fields {
		// bleve's analyser may lower-case a value it does not store in
		// place: describe the value as given.
		value := string(f.Value())
		f.Analyze()
		var terms []string
		for term, tf := range f.AnalyzedTokenFrequencies() {
			s := fmt.Sprintf("%s×%d", term, tf.Frequency())
			for _, l := range tf.Locations {
				s += fmt.Sprintf(" %d:%d-%d%v", l.Position, l.Start, l.End, l.ArrayPositions)
			}
			terms = append(terms, s)
		}
		sort.Strings(terms)
		out[fmt.Sprintf("%d %s", i, f.Name())] = fmt.Sprintf("%T options=%v length=%d value=%q %v",
			f, f.Options(), f.AnalyzedLength(), value, terms)
	}
	return out
}
