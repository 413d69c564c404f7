package builtin

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
)

// sharedData is the project's read-only evaluation data, beside the
// repository (see ../shared/data/README.md).
var sharedData = filepath.Join("..", "..", "..", "shared", "data")

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s is not here", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestSeedNeighbours pins that the seed papers on in-context learning find
// each other: the Bayesian Prism paper has one of the two other in-context
// learning papers among its three nearest neighbours.
func TestSeedNeighbours(t *testing.T) {
	type paper struct{ ID, Title, Abstract string }
	papers := readJSONL[paper](t, filepath.Join("..", "..", "testdata", "papers.jsonl"))
	const query = "In-Context Learning through the Bayesian Prism"
	want := []string{
		"General-Purpose In-Context Learning by Meta-Learning Transformers",
		"Towards Better Understanding of In-Context Learning Ability from In-Context Uncertainty Quantification",
	}
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, len(papers))
	q := -1
	for i, p := range papers {
		texts[i] = p.Title + ". " + p.Abstract
		if p.Title == query {
			q = i
		}
	}
	if q < 0 {
		t.Fatalf("testdata/papers.jsonl has no paper titled %q", query)
	}
	vs, err := e.Embed(context.Background(), texts, embeddings.Document)
	if err != nil {
		t.Fatal(err)
	}
	var others []int
	for i := range papers {
		if i != q {
			others = append(others, i)
		}
	}
	slices.SortStableFunc(others, func(a, b int) int {
		sa, sb := dot(vs[q], vs[a]), dot(vs[q], vs[b])
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	for rank, i := range others {
		if slices.Contains(want, papers[i].Title) {
			t.Logf("rank %d: %s", rank+1, papers[i].Title)
		}
	}
	for _, i := range others[:3] {
		if slices.Contains(want, papers[i].Title) {
			return
		}
	}
	t.Errorf("none of %q among the 3 nearest neighbours of %q", want, query)
}
