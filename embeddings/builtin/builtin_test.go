package builtin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/paperlens/paperlens/embeddings"
)

func newEmbedder(t testing.TB) *Embedder {
	t.Helper()
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func embedOne(t testing.TB, e *Embedder, text string) []float32 {
	t.Helper()
	v, err := e.Embed(context.Background(), []string{text}, embeddings.Document)
	if err != nil {
		t.Fatal(err)
	}
	return v[0]
}

func TestAssetIsAtMost20MB(t *testing.T) {
	fi, err := os.Stat("vectors.bin")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 20_000_000 || fi.Size() != int64(len(asset)) {
		t.Errorf("vectors.bin is %d bytes (embedded %d), want the same and at most 20,000,000", fi.Size(), len(asset))
	}
}

func TestInfo(t *testing.T) {
	got := newEmbedder(t).Info()
	want := embeddings.Info{Embedder: "builtin", Model: "glove-sg-100d-sif", Dimension: 100}
	if got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
}

func TestEmbedReturnsUnitVectors(t *testing.T) {
	e := newEmbedder(t)
	for _, tc := range []struct{ name, text string }{
		{"a sentence", "Transformers learn in context from a few examples."},
		{"a single word", "learning"},
		{"hyphenated words", "meta-learning for state-of-the-art few-shot classification"},
		{"unknown words only", "zxqvbn qwxzpt 12345 ∑∫"},
		{"an empty text", ""},
		{"punctuation only", "!?.,;:"},
		{"a non-Latin script", "学习 обучение"},
	} {
		t.Run(tc.name+" gives a finite unit vector of dimension 100", func(t *testing.T) {
			v := embedOne(t, e, tc.text)
			if len(v) != 100 {
				t.Fatalf("dimension %d, want 100", len(v))
			}
			var ss float64
			for _, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("component %v is not finite", x)
				}
				ss += float64(x) * float64(x)
			}
			if math.Abs(ss-1) > 1e-5 {
				t.Errorf("|v|² = %v, want 1", ss)
			}
		})
	}
}

func TestEmbedIsDeterministicAndKeepsBatchOrder(t *testing.T) {
	e := newEmbedder(t)
	texts := []string{
		"graph neural networks for molecules",
		"",
		"bayesian inference with variational methods",
		"reinforcement learning agents explore",
	}
	batch, err := e.Embed(context.Background(), texts, embeddings.Query)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(batch), len(texts))
	}
	for i, text := range texts {
		if one := embedOne(t, e, text); !slices.Equal(one, batch[i]) {
			t.Errorf("text %d embedded alone differs from its place in the batch", i)
		}
	}
	if again, _ := e.Embed(context.Background(), texts, embeddings.Document); !slices.EqualFunc(again, batch, slices.Equal) {
		t.Error("a second call (with another purpose) gave different vectors")
	}
}

func TestEmbedIsSafeForConcurrentUse(t *testing.T) {
	e := newEmbedder(t)
	texts := []string{"protein folding", "image segmentation", "speech recognition", "language models"}
	want, err := e.Embed(context.Background(), texts, embeddings.Document)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			other, err := New()
			if err != nil {
				errs <- err
				return
			}
			got, err := other.Embed(context.Background(), texts, embeddings.Document)
			if err == nil && !slices.EqualFunc(got, want, slices.Equal) {
				err = fmt.Errorf("goroutine %d got different vectors", g)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestEmbedStopsWhenContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newEmbedder(t).Embed(ctx, []string{"x"}, embeddings.Document); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestRelatedTextsAreCloserThanUnrelatedOnes(t *testing.T) {
	e := newEmbedder(t)
	for _, tc := range []struct{ text, related, unrelated string }{
		{"deep neural networks for image classification", "convolutional networks recognise objects in photographs", "the court ruled on the tax dispute"},
		{"meta-learning algorithms that learn to learn", "few-shot adaptation by learning across many tasks", "recipes for baking sourdough bread"},
		{"protein structure prediction", "folding of amino acid chains into molecules", "stock market volatility forecasting"},
		{"speech recognition with acoustic models", "transcribing spoken audio into text", "galaxy formation in the early universe"},
	} {
		t.Run(fmt.Sprintf("%q is nearer %q than %q", tc.text, tc.related, tc.unrelated), func(t *testing.T) {
			v := embedOne(t, e, tc.text)
			rel, unrel := dot(v, embedOne(t, e, tc.related)), dot(v, embedOne(t, e, tc.unrelated))
			if rel <= unrel {
				t.Errorf("cosine related %.3f <= unrelated %.3f", rel, unrel)
			}
		})
	}
}

func TestVocabularyAndVectorRebuildEmbeddings(t *testing.T) {
	e := newEmbedder(t)
	vocab := e.Vocabulary()
	if len(vocab) < 100_000 || vocab[0] != "the" {
		t.Fatalf("vocabulary has %d words starting %q, want ≥100,000 starting \"the\"", len(vocab), vocab[:1])
	}
	text := "attention is all you need"
	sum := make([]float32, e.Info().Dimension)
	row := make([]float32, len(sum))
	for _, tok := range Tokenize(text) {
		i := slices.Index(vocab, tok)
		if i < 0 {
			t.Fatalf("%q is not in the vocabulary", tok)
		}
		e.Vector(i, row)
		for j := range sum {
			sum[j] += row[j]
		}
	}
	got := embedOne(t, e, text)
	if c := dot(got, sum) / float32(math.Sqrt(float64(dot(sum, sum)))); c < 0.99999 {
		t.Errorf("the normalised sum of Vector rows has cosine %v with Embed, want 1", c)
	}
}

func BenchmarkDecode(b *testing.B) {
	for b.Loop() {
		if _, err := decode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmbedAbstract(b *testing.B) {
	e := newEmbedder(b)
	text := []string{"Modern machine learning requires system designers to specify aspects of the learning pipeline, such as losses, architectures, and optimizers. Meta-learning, or learning-to-learn, instead aims to learn those aspects, and promises to unlock greater capabilities with less manual effort."}
	for b.Loop() {
		e.Embed(context.Background(), text, embeddings.Document)
	}
}
