// Package synth makes papers shaped like real ones, as many as asked for,
// to measure paperlens at sizes no real sample reaches (paperlens bench
// scale). A Model is learnt from a sample of real papers; a Generator then
// draws papers from it, the same papers for the same seed.
//
// Each generated paper takes a paper of the sample as its source: its
// title and abstract have the source's number of words, its categories
// are the source's and it has as many authors. The words come from three
// draws: half of them from the source's own title or abstract (so that
// papers drawn from one source share a topic, as real papers on one
// subject share words), most of the rest from all the sample's titles or
// abstracts (so that a word is as frequent as in the sample), and
// RareShare of them are made-up words from a Zipf law over millions of
// words, so that the vocabulary keeps growing with the papers as a real
// one does instead of stopping at the sample's. Author names pair a first
// name and a last name of the sample at random. Dates spread over the 20
// years up to the sample's last date, each year GrowthPerYear busier than
// the one before (arXiv's submissions grew about 9% a year from 2007 to
// 2025).
package synth

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
)

// Shape of the generated papers; see the package comment.
const (
	// TopicShare is the share of a paper's words drawn from its source.
	TopicShare = 0.5
	// RareShare is the share of made-up words.
	RareShare = 0.02
	// Years is how many years of dates are generated.
	Years = 20
	// GrowthPerYear is how much busier each year is than the one before.
	GrowthPerYear = 1.09
	// rareWords bounds the made-up vocabulary.
	rareWords = 8 << 20
)

// Model is what a sample of real papers says about their words, lengths,
// categories, authors and dates.
type Model struct {
	words []string // distinct words of the sample, as written
	// titles and abstracts are every word of the sample's titles and
	// abstracts, in order, as word numbers: a uniform draw from one is a
	// draw by the word's frequency.
	titles, abstracts []int32
	sources           []source
	first, last       []string // parts of the sample's author names, one per author
	lastDate          time.Time
}

// source is one paper of the sample.
type source struct {
	title, abstract span
	categories      []string
	authors         int
}

// span is a paper's words in Model.titles or Model.abstracts.
type span struct{ start, end int32 }

func (s span) len() int { return int(s.end - s.start) }

// Learn reads a sample of papers in any format package loader reads and
// learns their shape. The sample needs at least one paper with a date.
func Learn(r io.Reader) (*Model, error) {
	m := &Model{}
	number := map[string]int32{}
	add := func(to *[]int32, text string) span {
		s := span{start: int32(len(*to))}
		for _, w := range strings.Fields(text) {
			n, ok := number[w]
			if !ok {
				n = int32(len(m.words))
				number[w] = n
				m.words = append(m.words, w)
			}
			*to = append(*to, n)
		}
		s.end = int32(len(*to))
		return s
	}
	_, err := loader.Load(r, loader.Options{}, func(p paper.Paper) error {
		if len(m.abstracts) > math.MaxInt32/2 {
			return fmt.Errorf("synth: the sample is too large; %d papers are plenty", len(m.sources))
		}
		src := source{title: add(&m.titles, p.Title), abstract: add(&m.abstracts, p.Abstract),
			categories: p.Categories, authors: len(p.Authors)}
		m.sources = append(m.sources, src)
		for _, a := range p.Authors {
			first, last := "", a
			if i := strings.LastIndexByte(a, ' '); i > 0 {
				first, last = a[:i], a[i+1:]
			}
			m.first, m.last = append(m.first, first), append(m.last, last)
		}
		if d, err := time.Parse(time.DateOnly, p.Published); err == nil && d.After(m.lastDate) {
			m.lastDate = d
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("synth: cannot read the sample: %w", err)
	}
	switch {
	case len(m.sources) == 0 || len(m.abstracts) == 0:
		return nil, fmt.Errorf("synth: the sample holds no papers to learn from")
	case m.lastDate.IsZero():
		return nil, fmt.Errorf("synth: no paper of the sample has a date to learn from")
	case len(m.last) == 0:
		return nil, fmt.Errorf("synth: no paper of the sample has authors to learn from")
	}
	return m, nil
}

// Papers is how many papers the sample held.
func (m *Model) Papers() int { return len(m.sources) }

// Generator draws papers from a Model. It is not safe for concurrent use.
type Generator struct {
	m     *Model
	rng   *rand.Rand
	rare  *rand.Zipf
	years []float64 // cumulative weight of each year, oldest first
	seq   map[string]int
	sb    strings.Builder
}

// Generator returns a generator of papers drawn with seed: two generators
// of one model and seed draw the same papers, questions and filters.
func (m *Model) Generator(seed uint64) *Generator {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	g := &Generator{m: m, rng: rng, rare: rand.NewZipf(rng, 1.2, 2, rareWords-1), seq: map[string]int{}}
	var sum float64
	for y := range Years {
		w := math.Pow(GrowthPerYear, float64(y))
		if y == Years-1 { // the last year ends at the sample's last date
			w *= float64(m.lastDate.YearDay()) / 365
		}
		sum += w
		g.years = append(g.years, sum)
	}
	return g
}

// Paper draws the next paper. Its id, "synth-YYMM.NNNNN", is unique among
// the papers of the generator and made to look like no real id.
func (g *Generator) Paper() paper.Paper {
	src := &g.m.sources[g.rng.IntN(len(g.m.sources))]
	date := g.date()
	month := date.Format("0601")
	g.seq[month]++
	p := paper.Paper{
		ID:         fmt.Sprintf("synth-%s.%05d", month, g.seq[month]),
		Title:      g.text(g.m.titles, src.title, src.title.len()),
		Abstract:   g.text(g.m.abstracts, src.abstract, src.abstract.len()),
		Authors:    make([]string, src.authors),
		Published:  date.Format(time.DateOnly),
		Categories: append([]string(nil), src.categories...),
	}
	for i := range p.Authors {
		first, last := g.m.first[g.rng.IntN(len(g.m.first))], g.m.last[g.rng.IntN(len(g.m.last))]
		p.Authors[i] = strings.TrimSpace(first + " " + last)
	}
	if p.Abstract == "" { // a source without an abstract cannot be a paper
		p.Abstract = g.text(g.m.abstracts, span{}, 1)
	}
	return p
}

// text draws n words, from own (words of the source in all) or all.
func (g *Generator) text(all []int32, own span, n int) string {
	g.sb.Reset()
	for i := range n {
		if i > 0 {
			g.sb.WriteByte(' ')
		}
		switch r := g.rng.Float64(); {
		case r < RareShare:
			g.sb.WriteString(madeUp(g.rare.Uint64()))
		case r < RareShare+TopicShare && own.len() > 0:
			g.sb.WriteString(g.m.words[all[int(own.start)+g.rng.IntN(own.len())]])
		default:
			g.sb.WriteString(g.m.words[all[g.rng.IntN(len(all))]])
		}
	}
	s := g.sb.String()
	if r, size := utf8.DecodeRuneInString(s); unicode.IsLower(r) {
		s = string(unicode.ToUpper(r)) + s[size:]
	}
	return s
}

// madeUp spells the word number n as syllables: a word of no language.
func madeUp(n uint64) string {
	const consonants, vowels = "bdfgklmnprstvz", "aeiou"
	var b []byte
	for {
		b = append(b, consonants[n%uint64(len(consonants))])
		n /= uint64(len(consonants))
		b = append(b, vowels[n%uint64(len(vowels))])
		n /= uint64(len(vowels))
		if n == 0 {
			return string(b)
		}
	}
}

// date draws a publication date.
func (g *Generator) date() time.Time {
	x := g.rng.Float64() * g.years[len(g.years)-1]
	y := 0
	for y < len(g.years)-1 && g.years[y] < x {
		y++
	}
	year := g.m.lastDate.Year() - (Years - 1) + y
	days := 365
	if y == Years-1 {
		days = g.m.lastDate.YearDay()
	}
	return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rng.IntN(days))
}

// Query draws what a reader might search for: two to five words in a row
// of a sample title, without their punctuation.
func (g *Generator) Query() string {
	for {
		src := &g.m.sources[g.rng.IntN(len(g.m.sources))]
		n := min(2+g.rng.IntN(4), src.title.len())
		if n == 0 {
			continue
		}
		at := int(src.title.start) + g.rng.IntN(src.title.len()-n+1)
		words := make([]string, 0, n)
		for _, w := range g.m.titles[at : at+n] {
			if w := strings.TrimFunc(g.m.words[w], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }); w != "" {
				words = append(words, w)
			}
		}
		if len(words) > 0 {
			return strings.Join(words, " ")
		}
	}
}

// Filter draws a filter a reader might set: one category (the primary
// category of a sample paper, so common categories come up more often) and
// one year of the generated papers'.
func (g *Generator) Filter() (category string, year int) {
	for {
		src := &g.m.sources[g.rng.IntN(len(g.m.sources))]
		if len(src.categories) > 0 {
			return src.categories[0], g.date().Year()
		}
	}
}
