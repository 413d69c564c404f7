package lexical

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/loader"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/words"
)

// seedPostings analyses the 38 seed papers, then deletes and replaces a
// few, so the postings hold dead papers too.
func seedPostings(t *testing.T) *postings {
	t.Helper()
	papers := LoadPapers(t, "../../testdata/papers.jsonl", -1, loader.Options{})
	an, err := words.Analyzer()
	if err != nil {
		t.Fatal(err)
	}
	docs, err := analyseAll(context.Background(), an, papers)
	if err != nil {
		t.Fatal(err)
	}
	x := newPostings()
	x.add(docs)
	x.remove([]string{papers[0].ID, papers[1].ID})
	changed := papers[2]
	changed.Abstract += " Graph neural networks, again."
	x.add([]analysed{analyse(an, &changed)})
	return x
}

// same reports how two postings differ in what they answer: their
// checksums and statistics, the words of each paper, the document
// frequency of each word, rankings with and without filters; "" when they
// do not.
func same(t testing.TB, a, b *postings) string {
	an, asum := a.checksum()
	bn, bsum := b.checksum()
	if an != bn || asum != bsum || a.titleWords != b.titleWords || a.abstractWords != b.abstractWords || a.live != b.live ||
		a.sumTDF != b.sumTDF || a.sumDF != b.sumDF {
		return fmt.Sprintf("checksums or statistics: %d %x %d %d %d, %d %x %d %d %d", an, asum, a.titleWords, a.abstractWords, a.live,
			bn, bsum, b.titleWords, b.abstractWords, b.live)
	}
	for d, id := range a.ids {
		if a.lens[d].title < 0 {
			continue
		}
		aw, _ := wordsOf(a, id)
		bw, ok := wordsOf(b, id)
		if !ok || !reflect.DeepEqual(aw, bw) {
			return fmt.Sprintf("the words of %s: %v, %v", id, aw, bw)
		}
		for w := range aw {
			if adf, _ := a.docFreq(w); adf != func() int { n, _ := b.docFreq(w); return n }() {
				return fmt.Sprintf("the document frequency of %q", w)
			}
			if a.topicality(w) != b.topicality(w) {
				return fmt.Sprintf("the topicality of %q: %v, %v", w, a.topicality(w), b.topicality(w))
			}
		}
	}
	for _, f := range []*paper.Filter{nil, {YearFrom: 2020}, {Categories: []string{"CS.lg"}}, {Author: "a"}, {Since: "2024-01-01"}} {
		q := []clause{{term: "learn", boost: 1, count: 1}, {term: "graph", boost: 2, count: 1}, {term: "neural", boost: 1, count: 2}}
		ah, am := a.search(q, 10, scope{pass: passOf(t, a, f)})
		bh, bm := b.search(q, 10, scope{pass: passOf(t, b, f)})
		if am != bm || !reflect.DeepEqual(ah, bh) {
			return fmt.Sprintf("rankings with filter %+v: %v (%d), %v (%d)", f, ah, am, bh, bm)
		}
	}
	return ""
}

func TestSavedPostingsLoadAsTheyWere(t *testing.T) {
	x := seedPostings(t)
	path := filepath.Join(t.TempDir(), cacheFile)
	if err := x.save(path); err != nil {
		t.Fatal(err)
	}
	n, sum := x.checksum()
	y, err := loadPostings(path, n, sum)
	if err != nil {
		t.Fatal(err)
	}
	if diff := same(t, x, y); diff != "" {
		t.Fatalf("the loaded postings differ from the saved ones: %s", diff)
	}
	q := []clause{{term: "learn", boost: 1, count: 1}, {term: "graph", boost: 1, count: 1}, {term: "neural", boost: 1, count: 1}}
	if hits, _ := y.search(q, 10, scope{}); len(hits) == 0 {
		t.Fatal("the loaded postings find nothing")
	}
	t.Run("and take writes as the saved ones do", func(t *testing.T) {
		an, err := words.Analyzer()
		if err != nil {
			t.Fatal(err)
		}
		p := paper.Paper{ID: "new", Title: "Graph learning", Abstract: "Neural graph learning, newly written.", Categories: []string{"cs.LG"}}
		for _, z := range []*postings{x, y} {
			z.add([]analysed{analyse(an, &p)})
			z.remove([]string{x.ids[5], x.ids[6]})
			old := p
			old.ID = x.ids[7]
			z.add([]analysed{analyse(an, &old)})
		}
		if diff := same(t, x, y); diff != "" {
			t.Fatalf("after the same writes: %s", diff)
		}
	})
}

func TestSavedPostingsAreRefusedWhenTheyCannotBeTrusted(t *testing.T) {
	x := seedPostings(t)
	dir := t.TempDir()
	path := filepath.Join(dir, cacheFile)
	if err := x.save(path); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, sum := x.checksum()
	write := func(t *testing.T, b []byte) string {
		p := filepath.Join(t.TempDir(), cacheFile)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x40
	for _, c := range []struct {
		name  string
		path  string
		n     int
		sum   uint64
		stale bool
	}{
		{name: "other papers (count)", path: path, n: n + 1, sum: sum, stale: true},
		{name: "other papers (fingerprints)", path: path, n: n, sum: sum + 1, stale: true},
		{name: "a flipped bit", path: write(t, flipped), n: n, sum: sum},
		{name: "a torn end", path: write(t, good[:len(good)-100]), n: n, sum: sum},
		{name: "another format", path: write(t, append([]byte("PLPOST00"), good[8:]...)), n: n, sum: sum},
		{name: "an empty file", path: write(t, nil), n: n, sum: sum},
		{name: "no file", path: filepath.Join(dir, "missing"), n: n, sum: sum},
	} {
		t.Run(c.name, func(t *testing.T) {
			y, err := loadPostings(c.path, c.n, c.sum)
			if err == nil || y != nil {
				t.Fatal("loaded")
			}
			if c.stale != errors.Is(err, errCacheStale) {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func BenchmarkLoadPostings(b *testing.B) {
	x := seedPostings(&testing.T{})
	path := filepath.Join(b.TempDir(), cacheFile)
	if err := x.save(path); err != nil {
		b.Fatal(err)
	}
	n, sum := x.checksum()
	for b.Loop() {
		if _, err := loadPostings(path, n, sum); err != nil {
			b.Fatal(err)
		}
	}
}

// Close saves the postings for the next Open, and leaves the file alone
// when it already holds these papers: a command that only reads must not
// rewrite megabytes on every run.
func TestCloseSavesThePostingsOnlyWhenThePapersChanged(t *testing.T) {
	ctx := context.Background()
	emb, st := EmptyStore(t)
	defer st.Close()
	path := filepath.Join(st.Dir(), Dir, cacheFile)
	cycle := func(write func(x *Index)) os.FileInfo {
		t.Helper()
		x, err := Open(ctx, st.Dir(), st.All(ctx))
		if err != nil {
			t.Fatal(err)
		}
		<-x.Ready()
		if write != nil {
			write(x)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("no saved postings after Close: %v", err)
		}
		return fi
	}
	add := func(id string) func(x *Index) {
		return func(x *Index) {
			recs := []paper.Record{{Paper: paper.Paper{ID: id, Title: "Saved postings " + id, Abstract: "Words to index."}}}
			vecs, err := emb.Embed(ctx, []string{recs[0].Paper.Text()}, embeddings.Document)
			if err != nil {
				t.Fatal(err)
			}
			recs[0].Vector = vecs[0]
			if err := x.Upsert(ctx, []paper.Paper{recs[0].Paper}); err != nil {
				t.Fatal(err)
			}
			if err := st.Upsert(ctx, recs); err != nil {
				t.Fatal(err)
			}
		}
	}
	first := cycle(add("p1"))
	same := cycle(nil)
	if !same.ModTime().Equal(first.ModTime()) {
		t.Fatalf("a read-only open rewrote the postings (%v, then %v)", first.ModTime(), same.ModTime())
	}
	changed := cycle(add("p2"))
	if changed.ModTime().Equal(first.ModTime()) {
		t.Fatal("Close after a write kept the old postings")
	}
	x, err := Open(ctx, st.Dir(), st.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	<-x.Ready()
	if x.saved != (checksum{n: 2, sum: x.mem.Load().sum}) {
		t.Fatalf("the next Open did not load the saved postings: %+v", x.saved)
	}
}

// wordsOf is the words of the paper id with their counts, as analyse
// counted them, or false when the paper is not held.
func wordsOf(x *postings, id string) (map[string]int, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	d, ok := x.docOf(id)
	if !ok {
		return nil, false
	}
	terms := x.termsOf(d)
	freq := make(map[string]int, len(terms))
	for _, t := range terms {
		l := x.lists[t]
		if i, ok := slices.BinarySearchFunc(l, d, func(p posting, d int32) int { return cmp.Compare(p.doc, d) }); ok {
			freq[x.words[t]] = int(l[i].title) + int(l[i].abstract)
		}
	}
	return freq, true
}
