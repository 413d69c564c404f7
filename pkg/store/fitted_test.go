package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/store"
)

func TestTheFittedFusionOutlivesWritesAndAReopen(t *testing.T) {
	ctx := context.Background()
	info := embeddings.Info{Embedder: "test", Model: "m", Dimension: 2}
	dir := t.TempDir()
	s, err := store.Open(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	fit := store.Fitted{Method: "score", LexicalWeight: 0.85, VectorWeight: 0.15, Papers: 1, Queries: 2,
		NDCG: 0.9, DefaultNDCG: 0.8, At: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}
	if err := s.SetFitted(&fit); err != nil {
		t.Fatal(err)
	}
	rec := paper.Record{Paper: paper.Paper{ID: "p1", Title: "A paper", Abstract: "Its abstract."}, Hash: "h", Vector: []float32{1, 0}}
	if err := s.Upsert(ctx, []paper.Record{rec}); err != nil {
		t.Fatal(err)
	}
	if got := s.Manifest().Fitted; got == nil || *got != fit {
		t.Fatalf("after a write the manifest holds %+v, want %+v", got, fit)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFitted(nil); err == nil {
		t.Error("SetFitted on a closed store succeeded")
	}
	m, err := store.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Fitted == nil || *m.Fitted != fit {
		t.Fatalf("the manifest file holds %+v, want %+v", m.Fitted, fit)
	}
	s, err = store.Open(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Manifest().Fitted; got == nil || *got != fit {
		t.Fatalf("after a reopen the manifest holds %+v, want %+v", got, fit)
	}
	if err := s.SetFitted(nil); err != nil {
		t.Fatal(err)
	}
	if m, _ := store.ReadManifest(dir); m.Fitted != nil {
		t.Errorf("after SetFitted(nil) the manifest file still holds %+v", m.Fitted)
	}
}
