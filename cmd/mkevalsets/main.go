// Command mkevalsets writes the evaluation sets of "papers like these" (the
// recommendation) from the data beside the clone, for paperlens eval: query
// files whose lines name positive (and negative) papers, and the qrels of
// the papers to be found. Nothing it writes is committed; run it again for
// the same files (the choices are seeded).
//
//	go run ./cmd/mkevalsets --out DIR     # then, for each set, see DIR/README
//
// The sets:
//
//   - arxiv-interests: a reader of a narrow arXiv category (30 to 400 of
//     the 20,426 papers list it) likes k of its papers (k = 1, 3, 10); the
//     rest of the category is what they want found. With k = 1 the same
//     queries are also written as "papers like this one" (paper_id), to
//     compare with /v1/papers/{id}/similar; interests-K-each asks it of
//     every positive apart (query ids QUERY#i), whose best per query is
//     the best single positive.
//   - arxiv-two-interests: a reader of two such categories likes 3 papers
//     of each; both categories are wanted.
//   - arxiv-not: a reader likes 5 papers of a narrow category that are not
//     in a broad one (cs.CV, cs.CL, cs.AI, cs.LG) and marks 3 papers of the
//     category that are in it "not interested": the category's papers
//     outside the broad one are wanted, the others are judged not
//     relevant.
//   - scifact-claims: SciFact train claims judged with several abstracts:
//     one (or two) of them liked, the others to be found.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

func main() {
	out := flag.String("out", "", "folder to write the sets into (created)")
	data := flag.String("data", "../shared/data", "the shared data folder")
	seed := flag.Uint64("seed", 1, "seed of the choices")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "mkevalsets: give --out DIR")
		os.Exit(2)
	}
	if err := run(*out, *data, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "mkevalsets:", err)
		os.Exit(1)
	}
}

// query is a line of a queries file.
type query struct {
	ID       string   `json:"_id"`
	PaperID  string   `json:"paper_id,omitempty"`
	Positive []string `json:"positive,omitempty"`
	Negative []string `json:"negative,omitempty"`
}

// set is one evaluation set: its queries and their judgments.
type set struct {
	queries []query
	qrels   map[string]map[string]int
}

func (s *set) add(q query, relevant, irrelevant []string) {
	if s.qrels == nil {
		s.qrels = map[string]map[string]int{}
	}
	g := map[string]int{}
	for _, id := range irrelevant {
		g[id] = 0
	}
	for _, id := range relevant {
		g[id] = 1
	}
	s.queries = append(s.queries, q)
	s.qrels[q.ID] = g
}

func (s *set) write(dir, name string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	qf, err := os.Create(filepath.Join(dir, name+".jsonl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(qf)
	for _, q := range s.queries {
		b, _ := json.Marshal(q)
		w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	qf.Close()
	rf, err := os.Create(filepath.Join(dir, name+".qrels.tsv"))
	if err != nil {
		return err
	}
	w = bufio.NewWriter(rf)
	fmt.Fprintln(w, "query-id\tcorpus-id\tscore")
	for _, q := range s.queries {
		ids := make([]string, 0, len(s.qrels[q.ID]))
		for id := range s.qrels[q.ID] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			fmt.Fprintf(w, "%s\t%s\t%d\n", q.ID, id, s.qrels[q.ID][id])
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return rf.Close()
}

func run(out, data string, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 7))
	cats, err := arxivCategories(filepath.Join(data, "arxiv-2026q2", "papers.jsonl"))
	if err != nil {
		return err
	}
	var narrow []string
	for c, ids := range cats {
		if len(ids) >= 30 && len(ids) <= 400 {
			narrow = append(narrow, c)
		}
	}
	sort.Strings(narrow)
	pick := func(ids []string, k int) (chosen, rest []string) {
		p := slices.Clone(ids)
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		return p[:k], p[k:]
	}
	dir := filepath.Join(out, "arxiv")
	for _, k := range []int{1, 3, 10} {
		// each asks "papers like this one" of every positive apart (ids
		// QUERY#i): the best of them is the best single positive.
		var rec, each set
		for _, c := range narrow {
			for round := range 3 {
				pos, rest := pick(cats[c], k)
				id := fmt.Sprintf("%s/%d/%d", c, k, round)
				rec.add(query{ID: id, Positive: pos}, rest, nil)
				for i, p := range pos {
					each.add(query{ID: fmt.Sprintf("%s#%d", id, i), PaperID: p}, rest, nil)
				}
			}
		}
		if err := rec.write(dir, fmt.Sprintf("interests-%d", k)); err != nil {
			return err
		}
		if err := each.write(dir, fmt.Sprintf("interests-%d-each", k)); err != nil {
			return err
		}
	}
	var two, twoEach set
	for i := 0; i+1 < len(narrow); i += 2 {
		a, b := narrow[i], narrow[i+1]
		pa, ra := pick(cats[a], 3)
		pb, rb := pick(cats[b], 3)
		rel := without(append(slices.Clone(ra), rb...), append(slices.Clone(pa), pb...))
		two.add(query{ID: a + "+" + b, Positive: append(pa, pb...)}, rel, nil)
		for i, p := range append(slices.Clone(pa), pb...) {
			twoEach.add(query{ID: fmt.Sprintf("%s+%s#%d", a, b, i), PaperID: p}, rel, nil)
		}
	}
	if err := two.write(dir, "two-interests"); err != nil {
		return err
	}
	if err := twoEach.write(dir, "two-interests-each"); err != nil {
		return err
	}
	var not set
	for _, c := range narrow {
		for _, b := range []string{"cs.CV", "cs.CL", "cs.AI", "cs.LG"} {
			var in, out []string
			broad := map[string]bool{}
			for _, id := range cats[b] {
				broad[id] = true
			}
			for _, id := range cats[c] {
				if broad[id] {
					in = append(in, id)
				} else {
					out = append(out, id)
				}
			}
			if len(in) < 20 || len(out) < 20 {
				continue
			}
			pos, want := pick(out, 5)
			neg, unwanted := pick(in, 3)
			not.add(query{ID: c + "-" + b, Positive: pos, Negative: neg}, want, unwanted)
		}
	}
	if err := not.write(dir, "not"); err != nil {
		return err
	}
	// The same readers without their negatives: what the negatives add.
	var notPlain set
	for _, q := range not.queries {
		notPlain.queries = append(notPlain.queries, query{ID: q.ID, Positive: q.Positive})
	}
	notPlain.qrels = not.qrels
	if err := notPlain.write(dir, "not-without-negatives"); err != nil {
		return err
	}
	return scifact(filepath.Join(data, "scifact"), filepath.Join(out, "scifact"))
}

// without is ids less those in drop.
func without(ids, drop []string) []string {
	return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(drop, id) })
}

// arxivCategories maps each category to the ids of the papers listing it.
func arxivCategories(path string) (map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var p struct {
			ID         string   `json:"id"`
			Categories []string `json:"categories"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, c := range p.Categories {
			if !seen[c] {
				seen[c] = true
				out[c] = append(out[c], p.ID)
			}
		}
	}
	return out, sc.Err()
}

// scifact writes the claims judged with several abstracts: the first
// liked (and, with three or more, the first two), the rest wanted.
func scifact(in, dir string) error {
	f, err := os.Open(filepath.Join(in, "qrels", "train.tsv"))
	if err != nil {
		return err
	}
	defer f.Close()
	rel := map[string][]string{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 || fs[2] == "0" || fs[0] == "query-id" {
			continue
		}
		if rel[fs[0]] == nil {
			order = append(order, fs[0])
		}
		rel[fs[0]] = append(rel[fs[0]], fs[1])
	}
	var one, oneSim, two, twoEach set
	for _, q := range order {
		docs := rel[q]
		if len(docs) < 2 {
			continue
		}
		one.add(query{ID: q, Positive: docs[:1]}, docs[1:], nil)
		oneSim.add(query{ID: q, PaperID: docs[0]}, docs[1:], nil)
		if len(docs) >= 3 {
			two.add(query{ID: q, Positive: docs[:2]}, docs[2:], nil)
			for i, d := range docs[:2] {
				twoEach.add(query{ID: fmt.Sprintf("%s#%d", q, i), PaperID: d}, docs[2:], nil)
			}
		}
	}
	for name, s := range map[string]*set{"claims-1": &one, "claims-1-similar": &oneSim, "claims-2": &two, "claims-2-each": &twoEach} {
		if err := s.write(dir, name); err != nil {
			return err
		}
	}
	return sc.Err()
}
