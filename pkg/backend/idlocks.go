package backend

import (
	"context"
	"slices"
	"sync"
)

// idLocks lets one write at a time hold an id. A write takes all its ids
// at once or none, so two writes with ids in common cannot each hold some
// of the other's: no order of taking is needed and none can deadlock.
// The zero value is ready.
type idLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when the id is let go
}

// lock waits until none of ids is held, then holds them all until unlock
// is called. It gives up with ctx's error when ctx is done first.
func (l *idLocks) lock(ctx context.Context, ids []string) (unlock func(), err error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	for {
		l.mu.Lock()
		if l.held == nil {
			l.held = map[string]chan struct{}{}
		}
		var busy chan struct{}
		for _, id := range ids {
			if ch, ok := l.held[id]; ok {
				busy = ch
				break
			}
		}
		if busy == nil {
			done := make(chan struct{})
			for _, id := range ids {
				l.held[id] = done
			}
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				for _, id := range ids {
					delete(l.held, id)
				}
				l.mu.Unlock()
				close(done)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
