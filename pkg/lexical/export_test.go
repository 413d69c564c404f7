package lexical

import (
	"context"
	"os"
	"sync"
	"testing"

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

// openDir is an empty index in dir, without a store, its postings ready.
func openDir(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	an, err := analyzer()
	if err != nil {
		return nil, err
	}
	x := &Index{dir: dir, an: an, papers: cachedAnalyzer(an), closed: make(chan struct{}), ready: make(chan struct{}),
		stopBuild: func() {}, filed: map[string]*paper.Paper{}}
	x.mem.Store(newPostings())
	close(x.ready)
	return x, nil
}
