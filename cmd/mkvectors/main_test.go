package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/embeddings/builtin/wordvec"
)

// writeGlove writes a small file in the package's JSON layout: each vector
// followed by its norm and word index.
func writeGlove(t *testing.T, words []string, vecs [][]float32) string {
	t.Helper()
	g := map[string]any{"precision": 8, "l2NormIndex": 3, "wordIndex": 4, "size": 1000, "dimensions": 3, "words": words}
	m := map[string][]float32{}
	for i, w := range words {
		m[w] = append(slices.Clone(vecs[i]), 1, float32(i))
	}
	g["vectors"] = m
	data, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "glove.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func buildTable(t *testing.T, src string, args ...string) *wordvec.Table {
	t.Helper()
	out := filepath.Join(t.TempDir(), "vectors.bin")
	if err := run(context.Background(), append([]string{"--src", src, "--out", out}, args...), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := wordvec.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

var (
	testWords = []string{"the", ",", "learning", "meta-learning", "u.s.", "model", "data"}
	testVecs  = [][]float32{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {0, 1, 1}, {1, 0, 1}, {2, -1, 0.5}}
)

func TestBuildKeepsTokenizableWordsInFrequencyOrder(t *testing.T) {
	src := writeGlove(t, testWords, testVecs)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"by default punctuation, dotted and hyphenated words are dropped", []string{"--words", "3"}, []string{"the", "learning", "model"}},
		{"with --hyphenated compounds are kept", []string{"--words", "3", "--hyphenated"}, []string{"the", "learning", "meta-learning"}},
		{"--words larger than the vocabulary keeps all usable words", []string{"--words", "100"}, []string{"the", "learning", "model", "data"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := buildTable(t, src, tc.args...)
			var got []string
			for i := range tab.Len() {
				got = append(got, tab.Word(i))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("words %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBuildAppliesSIFWeights(t *testing.T) {
	tab := buildTable(t, writeGlove(t, testWords, testVecs), "--pc-words", "0", "--sif-a", "1e-3")
	var h float64
	for k := 1; k <= 1000; k++ {
		h += 1 / float64(k)
	}
	got := make([]float32, 3)
	for _, w := range []string{"the", "learning", "data"} {
		r := slices.Index(testWords, w)
		weight := 1e-3 / (1e-3 + 1/(float64(r+1)*h))
		i, _ := tab.Lookup(w)
		tab.Vector(i, got)
		for j := range got {
			want := weight * float64(testVecs[r][j])
			if math.Abs(float64(got[j])-want) > 0.01*math.Abs(want)+1e-6 {
				t.Errorf("%s[%d] = %v, want a/(a+p)·v = %v", w, j, got[j], want)
			}
		}
	}
}

func TestBuildRemovesTheCommonComponent(t *testing.T) {
	// Parallel vectors share one direction: nothing is left once it is removed.
	vecs := [][]float32{{1, 2, 2}, {2, 4, 4}, {0.5, 1, 1}, {3, 6, 6}}
	tab := buildTable(t, writeGlove(t, []string{"alpha", "beta", "gamma", "delta"}, vecs))
	got := make([]float32, 3)
	for i := range tab.Len() {
		tab.Vector(i, got)
		for _, x := range got {
			if math.Abs(float64(x)) > 1e-4 {
				t.Fatalf("row %q = %v, want zero", tab.Word(i), got)
			}
		}
	}
}

func TestOOVReport(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "vectors.bin")
	if err := run(context.Background(), []string{"--src", writeGlove(t, testWords, testVecs), "--out", table}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	papers := filepath.Join(dir, "papers.jsonl")
	os.WriteFile(papers, []byte(`{"title":"Meta-Learning the model","abstract":"data and 42 learning"}`+"\n"), 0o644)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--oov", "--out", table, papers}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	// Tokens: meta, learning, the, model, data, and, 42, learning: "meta", "and" and "42" are unknown.
	for _, want := range []string{
		"papers: 1",
		"compound, else parts (as embedded): tokens 8, OOV 3 (37.50%); types 7, OOV 3 (42.86%)",
		"numbers and single characters (no vectors in the source): 1 tokens; OOV of the other tokens: 28.57%",
		"most frequent OOV words: 42(1) and(1) meta(1)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"--oov without files", []string{"--oov"}},
		{"files without --oov", []string{"papers.jsonl"}},
		{"a non-positive --words", []string{"--src", "x.json", "--words", "0"}},
		{"a missing source", []string{"--src", filepath.Join(t.TempDir(), "missing.json")}},
	} {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			if err := run(context.Background(), tc.args, io.Discard, io.Discard); err == nil {
				t.Error("run succeeded")
			}
		})
	}
}

func TestUntarDropsThePackagePrefix(t *testing.T) {
	dir := t.TempDir()
	tgz := filepath.Join(dir, "p.tgz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{"package/" + jsonName: "{}", "package/types/index.d.ts": "x"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	os.WriteFile(tgz, buf.Bytes(), 0o644)
	if err := untar(tgz, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out", jsonName)); err != nil || string(b) != "{}" {
		t.Errorf("unpacked %s: %q, %v", jsonName, b, err)
	}
}
