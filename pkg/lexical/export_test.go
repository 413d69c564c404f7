package lexical

import (
	"context"
	"sync"
	"testing"
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
