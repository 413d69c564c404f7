package vecindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// unit returns a seeded random unit vector.
func unit(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var n float64
	for i := range v {
		v[i] = float32(rng.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	return v
}

func build(n, dim int, seed uint64) (*Index[int], [][]float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := New[int](dim)
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = unit(rng, dim)
		x.Set(fmt.Sprintf("d%06d", i), vecs[i], i)
	}
	return x, vecs
}

// exact is the top k by a float64 scan, the answer Search must give.
func exact(vecs [][]float32, q []float32, k int, accept func(int) bool) []string {
	type s struct {
		id    string
		score float64
	}
	var all []s
	for i, v := range vecs {
		if v == nil || (accept != nil && !accept(i)) {
			continue
		}
		var d float64
		for j := range v {
			d += float64(v[j]) * float64(q[j])
		}
		all = append(all, s{fmt.Sprintf("d%06d", i), d})
	}
	slices.SortFunc(all, func(a, b s) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	var ids []string
	for _, x := range all[:min(k, len(all))] {
		ids = append(ids, x.id)
	}
	return ids
}

func ids[T any](hits []Hit[T]) []string {
	var l []string
	for _, h := range hits {
		l = append(l, h.ID)
	}
	return l
}

func TestDotsMatchPlainGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, pdim := range []int{32, 128, 384, 768} {
		t.Run(fmt.Sprintf("agrees with plain Go at %d dimensions", pdim), func(t *testing.T) {
			rows := 300
			q := make([]int16, pdim)
			codes := make([]int8, rows*pdim)
			for i := range q {
				q[i] = int16(rng.IntN(255) - 127)
			}
			for i := range codes {
				codes[i] = int8(rng.IntN(255) - 127)
			}
			got, want := make([]int32, rows), make([]int32, rows)
			dots(q, codes, got)
			dotsGeneric(q, codes, want)
			if !slices.Equal(got, want) {
				t.Fatalf("dots differ from dotsGeneric, first rows %v vs %v", got[:4], want[:4])
			}
		})
	}
}

func TestSearchFindsTheExactTopK(t *testing.T) {
	tests := []struct {
		name   string
		n, dim int
		k      int
		accept func(int) bool
	}{
		{"small collection, one worker", 500, 100, 10, nil},
		{"larger than one block per worker", 12000, 100, 10, nil},
		{"768 dimensions", 5000, 768, 10, nil},
		{"k larger than the collection", 30, 64, 100, nil},
		{"with a filter that keeps one row in seven", 12000, 96, 10, func(i int) bool { return i%7 == 0 }},
		{"deep pages", 12000, 100, 500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, vecs := build(tt.n, tt.dim, 1)
			rng := rand.New(rand.NewPCG(2, 2))
			var acc func(string, int) bool
			if tt.accept != nil {
				acc = func(_ string, i int) bool { return tt.accept(i) }
			}
			var found, total int
			for range 10 {
				q := unit(rng, tt.dim)
				want := exact(vecs, q, tt.k, tt.accept)
				got := ids(x.Search(q, tt.k, acc))
				if len(got) != len(want) {
					t.Fatalf("got %d hits, want %d", len(got), len(want))
				}
				for _, id := range got {
					if slices.Contains(want, id) {
						found++
					}
				}
				total += len(want)
			}
			if recall := float64(found) / float64(total); recall < 0.99 {
				t.Errorf("recall = %.3f, want at least 0.99", recall)
			}
		})
	}
}

func TestSetReplacesAndDeleteRemoves(t *testing.T) {
	x, vecs := build(3000, 64, 3)
	rng := rand.New(rand.NewPCG(4, 4))
	q := unit(rng, 64)
	best := x.Search(q, 1, nil)[0].ID

	t.Run("a deleted row is never returned and the moved row still is", func(t *testing.T) {
		if !x.Delete(best) || x.Delete(best) {
			t.Fatal("Delete should report true once, then false")
		}
		var i int
		fmt.Sscanf(best, "d%06d", &i)
		vecs[i] = nil
		if got, want := ids(x.Search(q, 10, nil)), exact(vecs, q, 10, nil); !slices.Equal(got, want) {
			t.Errorf("after delete got %v, want %v", got, want)
		}
		if x.Len() != 2999 {
			t.Errorf("Len = %d, want 2999", x.Len())
		}
		last := fmt.Sprintf("d%06d", 2999)
		if v, item, ok := x.Get(last); !ok || item != 2999 || !slices.Equal(v, vecs[2999]) {
			t.Errorf("Get(%s) after the move = %v, %v", last, item, ok)
		}
	})
	t.Run("a replaced row is ranked by its new vector", func(t *testing.T) {
		x.Set("d000005", q, 5)
		if got := x.Search(q, 1, nil); got[0].ID != "d000005" || got[0].Score < 0.999 {
			t.Errorf("best = %+v, want d000005 with score 1", got[0])
		}
		if x.Len() != 2999 {
			t.Errorf("Len = %d after a replace, want 2999", x.Len())
		}
	})
}

func TestSearchesRunInParallel(t *testing.T) {
	x, vecs := build(20000, 64, 5)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for range 10 {
				q := unit(rng, 64)
				if got, want := ids(x.Search(q, 5, nil)), exact(vecs, q, 5, nil); !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkSearch(b *testing.B) {
	for _, c := range []struct{ n, dim int }{{20000, 100}, {100000, 768}} {
		b.Run(fmt.Sprintf("n=%d/dim=%d", c.n, c.dim), func(b *testing.B) {
			x, _ := build(c.n, c.dim, 1)
			q := unit(rand.New(rand.NewPCG(2, 2)), c.dim)
			for b.Loop() {
				x.Search(q, 10, nil)
			}
		})
	}
}

func BenchmarkDots(b *testing.B) {
	const rows, pdim = block, 384
	q := make([]int16, pdim)
	codes := make([]int8, rows*pdim)
	out := make([]int32, rows)
	b.SetBytes(rows * pdim)
	for b.Loop() {
		dots(q, codes, out)
	}
}

func TestSearchAmongRanksAsSearchWithThoseRowsAccepted(t *testing.T) {
	x, _ := build(3000, 64, 11)
	rng := rand.New(rand.NewPCG(12, 12))
	for _, size := range []int{0, 1, 10, 300, 3000} {
		t.Run(fmt.Sprintf("among %d rows", size), func(t *testing.T) {
			among := map[string]bool{}
			var list []string
			for len(list) < size {
				id := fmt.Sprintf("d%06d", rng.IntN(3000))
				if !among[id] {
					among[id] = true
					list = append(list, id)
				}
			}
			list = append(list, "unknown")
			q := unit(rng, 64)
			skip := fmt.Sprintf("d%06d", 5)
			accept := func(id string, _ int) bool { return id != skip }
			got := x.SearchAmong(q, 10, list, accept)
			want := x.Search(q, 10, func(id string, i int) bool { return among[id] && accept(id, i) })
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("SearchAmong = %v, Search with them accepted = %v", ids(got), ids(want))
			}
		})
	}
}

// TestSearchAmongSeesRowsMove asks SearchAmong again with the same slice
// of ids (whose rows it keeps) after rows moved: a deleted row must not be
// found, and a row moved into its place must be ranked as itself.
func TestSearchAmongSeesRowsMove(t *testing.T) {
	x, vecs := build(500, 32, 21)
	among := []string{"d000010", "d000020", "d000030", "d000499"}
	check := func(step string, present map[string]bool) {
		t.Helper()
		for _, id := range among {
			if !present[id] {
				continue
			}
			v, _, _ := x.Get(id)
			got := x.SearchAmong(v, 1, among, nil)
			if len(got) != 1 || got[0].ID != id {
				t.Errorf("%s: SearchAmong(vector of %s, 1) = %v", step, id, ids(got))
			}
		}
		q := unit(rand.New(rand.NewPCG(5, 5)), 32)
		for _, h := range x.SearchAmong(q, len(among), among, nil) {
			if !present[h.ID] {
				t.Errorf("%s: SearchAmong found %s, which is not there", step, h.ID)
			}
		}
	}
	check("at first", map[string]bool{"d000010": true, "d000020": true, "d000030": true, "d000499": true})
	// Deleting d000020 moves the last row, d000499, into its place.
	x.Delete("d000020")
	check("after a delete", map[string]bool{"d000010": true, "d000030": true, "d000499": true})
	x.Set("d000020", vecs[20], 20)
	check("after it is added again", map[string]bool{"d000010": true, "d000020": true, "d000030": true, "d000499": true})
}
