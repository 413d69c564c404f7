package harvest

import (
	"context"
	"sync"
	"time"
)

// Job is one source a Scheduler syncs: its name ("hf-daily", "arxiv cs")
// and the sync itself, which returns what it did.
type Job struct {
	Name string
	Sync func(ctx context.Context) (Report, error)
}

// Status is how a scheduled source fares. Times are zero until they happen.
type Status struct {
	Source string `json:"source"`
	// Running reports a sync of this source in progress.
	Running bool `json:"running"`
	// Runs counts the syncs finished, failed ones included; Errors the
	// failed ones. A sync cut short by the scheduler's stop is neither.
	Runs   int `json:"runs"`
	Errors int `json:"errors"`
	// LastSuccess is when the last sync that succeeded ended.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastError is the error of the last sync that failed, kept after later
	// successes; LastErrorAt says when it ended.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Added counts the papers the source added since the scheduler started,
	// failed syncs' stored papers included.
	Added int `json:"added"`
	// Last is the summary line of the last sync.
	Last string `json:"last,omitempty"`
}

// Scheduler syncs its jobs one after another, never two at once, every
// Every: a round starts Every after the previous one started, or at once if
// the previous one took longer. Status may be read while it runs.
type Scheduler struct {
	every time.Duration
	jobs  []Job

	mu     sync.Mutex
	status []Status // in the order of jobs
}

// NewScheduler returns a scheduler that syncs jobs every every.
func NewScheduler(every time.Duration, jobs ...Job) *Scheduler {
	s := &Scheduler{every: every, jobs: jobs, status: make([]Status, len(jobs))}
	for i, j := range jobs {
		s.status[i].Source = j.Name
	}
	return s
}

// Run syncs the jobs at once, then every Every, until ctx ends; then it
// returns, once the sync in flight has stopped. Run it in its own
// goroutine.
func (s *Scheduler) Run(ctx context.Context) {
	for {
		start := time.Now()
		for i, j := range s.jobs {
			if ctx.Err() != nil {
				return
			}
			s.update(i, func(st *Status) { st.Running = true })
			rep, err := j.Sync(ctx)
			end := time.Now()
			stopped := err != nil && ctx.Err() != nil // shut down, not failed
			s.update(i, func(st *Status) {
				st.Running = false
				st.Added += rep.Added
				if stopped {
					return
				}
				st.Runs++
				st.Last = rep.String()
				if err != nil {
					st.Errors++
					st.LastError, st.LastErrorAt = err.Error(), end
				} else {
					st.LastSuccess = end
				}
			})
		}
		if sleep(ctx, time.Until(start.Add(s.every))) != nil {
			return
		}
	}
}

func (s *Scheduler) update(i int, f func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.status[i])
}

// Status returns how each job fares, in the order the jobs were given.
func (s *Scheduler) Status() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.status...)
}
