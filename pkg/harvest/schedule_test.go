package harvest_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/ingest"
)

// waitFor polls cond until it holds or a minute has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestSchedulerRunsSourcesInTurnAndReportsEach(t *testing.T) {
	var inFlight, most atomic.Int32
	var mu sync.Mutex
	runs := map[string]int{}
	job := func(name string, fail bool) harvest.Job {
		return harvest.Job{Name: name, Sync: func(ctx context.Context) (harvest.Report, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond) // long enough for a second sync to overlap, were one started
			mu.Lock()
			runs[name]++
			mu.Unlock()
			rep := harvest.Report{Source: name, Unit: "days", Item: "entries", Stats: ingest.Stats{Added: 2}}
			if fail {
				return rep, errors.New("GET http://hf/api/daily_papers?date=2026-11-21: answered 200 OK: not JSON")
			}
			return rep, nil
		}}
	}
	s := harvest.NewScheduler(10*time.Millisecond, job("hf-daily", false), job("arxiv cs", true))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitFor(t, "three rounds", func() bool {
		st := s.Status()
		return st[0].Runs >= 3 && st[1].Runs >= 3
	})
	cancel()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return once its context ended")
	}
	st := s.Status()

	t.Run("never two syncs at once", func(t *testing.T) {
		if m := most.Load(); m != 1 {
			t.Errorf("%d syncs ran at once, want 1", m)
		}
	})
	t.Run("a source that succeeds has a last success and no error", func(t *testing.T) {
		if st[0].Source != "hf-daily" || st[0].LastSuccess.IsZero() || st[0].LastError != "" || st[0].Errors != 0 || st[0].Added != 2*st[0].Runs {
			t.Errorf("status %+v", st[0])
		}
	})
	t.Run("a source that fails keeps its last error", func(t *testing.T) {
		// A sync failing as the scheduler stops counts its papers but
		// not as a run, so Added may hold one sync more than Runs.
		added := st[1].Added == 2*st[1].Runs || st[1].Added == 2*(st[1].Runs+1)
		if st[1].LastError == "" || st[1].LastErrorAt.IsZero() || !st[1].LastSuccess.IsZero() || !added || st[1].Errors != st[1].Runs {
			t.Errorf("status %+v", st[1])
		}
	})
	t.Run("nothing runs once stopped", func(t *testing.T) {
		if st[0].Running || st[1].Running {
			t.Errorf("a source is still marked running: %+v", st)
		}
	})
}

func TestSchedulerWaitsTheIntervalBetweenRounds(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	s := harvest.NewScheduler(200*time.Millisecond, harvest.Job{Name: "hf-daily", Sync: func(ctx context.Context) (harvest.Report, error) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		return harvest.Report{}, nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	waitFor(t, "two rounds", func() bool { return s.Status()[0].Runs >= 2 })
	mu.Lock()
	defer mu.Unlock()
	if gap := starts[1].Sub(starts[0]); gap < 200*time.Millisecond {
		t.Errorf("the second round started %v after the first, want at least 200ms", gap)
	}
}

func TestSchedulerStoppedMidSyncRecordsNoFailure(t *testing.T) {
	started := make(chan struct{})
	s := harvest.NewScheduler(time.Hour, harvest.Job{Name: "arxiv cs", Sync: func(ctx context.Context) (harvest.Report, error) {
		close(started)
		<-ctx.Done() // a request in flight, cut short
		return harvest.Report{Stats: ingest.Stats{Added: 3}}, ctx.Err()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	<-started
	if st := s.Status()[0]; !st.Running {
		t.Errorf("status %+v while the sync runs, want running", st)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return once its context ended")
	}
	st := s.Status()[0]
	if st.Running || st.Runs != 0 || st.Errors != 0 || st.LastError != "" || st.Added != 3 {
		t.Errorf("status %+v, want no run and no error recorded, and the 3 papers stored before the stop counted", st)
	}
}
