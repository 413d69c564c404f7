package harvest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/paper"
)

// Writer is where a sync stores papers: the ingest road (*ingest.Ingester),
// which upserts by content hash, so a paper met again is not embedded again.
type Writer interface {
	Upsert(ctx context.Context, papers []paper.Paper) (ingest.Stats, error)
	// Delete removes the paper id, or wraps paper.ErrNotFound.
	Delete(ctx context.Context, id string) error
}

// Skip is an entry or record a sync could not use, and why.
type Skip struct {
	ID     string // "" when it could not be read
	Reason string
}

// String reads "ID: reason".
func (s Skip) String() string {
	if s.ID == "" {
		return s.Reason
	}
	return s.ID + ": " + s.Reason
}

// Page is one answer of a source, read: what to store, and where the cursor
// stands once it is stored.
type Page struct {
	URL string
	// Entries counts the entries or records the page held, skipped ones
	// included.
	Entries int
	Papers  []paper.Paper
	// Deleted lists the ids of papers the source withdrew.
	Deleted []string
	Skipped []Skip
	// Cursor is saved once the page is stored.
	Cursor Cursor
	// Ends reports that the page completes a unit of Report.Unit (a day
	// for hf-daily; every page for arXiv).
	Ends bool
}

// Report sums up a sync.
type Report struct {
	Source string // "hf-daily", "arxiv cs"
	Span   string // "2026-11-20..2026-11-27", "from 2026-11-20"
	Unit   string // what Units counts: "days", "pages"
	Item   string // what Entries counts: "entries", "records"
	Units  int
	// Entries counts the entries or records read, skipped ones included.
	Entries int
	ingest.Stats
	// Deleted counts the stored papers the source withdrew.
	Deleted int
	Skipped []Skip
	// Requests counts HTTP requests, retries included.
	Requests int64
	Elapsed  time.Duration
	// Notes are things the sync did that a reader should know, such as
	// restarting a harvest whose resumption token had expired.
	Notes []string
}

// String is the one-line summary, e.g. "hf-daily 2026-11-20..2026-11-27:
// 8 days, 412 entries, 398 added, 14 unchanged, 0 skipped; 0 updated, 398
// embedded, 9 requests in 3.2s".
func (r Report) String() string {
	var b strings.Builder
	b.WriteString(r.Source)
	if r.Span != "" {
		b.WriteString(" " + r.Span)
	}
	fmt.Fprintf(&b, ": %d %s, %d %s, %d added, %d unchanged, ", r.Units, r.Unit, r.Entries, r.Item, r.Added, r.Unchanged)
	if r.Deleted > 0 {
		fmt.Fprintf(&b, "%d deleted, ", r.Deleted)
	}
	fmt.Fprintf(&b, "%d skipped; %d updated, %d embedded, %d requests in %s",
		len(r.Skipped), r.Updated, r.Embedded, r.Requests, r.Elapsed.Round(time.Millisecond))
	return b.String()
}

// Rate is the papers stored (added, updated or unchanged) per second.
func (r Report) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Total()) / r.Elapsed.Seconds()
}

// Run is one sync of one source: it stores the pages the source reads and
// saves the source's cursor after each. Sources drive it (hfdaily.Sync,
// arxiv.Sync).
type Run struct {
	dir, key string
	w        Writer
	client   *Client
	cursor   Cursor
	rep      Report
	start    time.Time
	requests int64 // the client's count at the start
	// Progress, if set, is called after each stored page with the report
	// so far.
	Progress func(Report)
}

// NewRun starts a sync of the source key ("hf-daily", "arxiv cs") whose
// cursor lives in the data folder dir, storing through w and fetching with
// c (whose requests the report counts).
func NewRun(dir, key string, w Writer, c *Client) (*Run, error) {
	cur, err := LoadCursor(dir, key)
	if err != nil {
		return nil, err
	}
	return &Run{dir: dir, key: key, w: w, client: c, cursor: cur, start: time.Now(), requests: c.Requests(),
		rep: Report{Source: key, Unit: "pages", Item: "records"}}, nil
}

// Cursor is where the source stood when the run started, or after the last
// stored page.
func (r *Run) Cursor() Cursor { return r.cursor }

// Describe sets how the summary names the span, its units and items.
func (r *Run) Describe(span, unit, item string) {
	r.rep.Span, r.rep.Unit, r.rep.Item = span, unit, item
}

// Note adds a line to the report's notes.
func (r *Run) Note(format string, args ...any) {
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(format, args...))
}

// Report is what the run did so far.
func (r *Run) Report() Report {
	rep := r.rep
	rep.Skipped = append([]Skip(nil), r.rep.Skipped...)
	rep.Notes = append([]string(nil), r.rep.Notes...)
	rep.Requests = r.client.Requests() - r.requests
	rep.Elapsed = time.Since(r.start)
	return rep
}

// Store stores a page: it upserts the papers that are valid (skipping the
// others with the reason), deletes the withdrawn ones that are stored, and
// only then saves the page's cursor. If it fails, the cursor stays where it
// was; the papers stored before the failure stay stored, and reading the
// page again stores them as unchanged.
func (r *Run) Store(ctx context.Context, p Page) error {
	r.rep.Entries += p.Entries
	r.rep.Skipped = append(r.rep.Skipped, p.Skipped...)
	valid := make([]paper.Paper, 0, len(p.Papers))
	for _, pp := range p.Papers {
		pp.Normalize()
		if err := pp.Validate(); err != nil {
			r.rep.Skipped = append(r.rep.Skipped, Skip{ID: pp.ID, Reason: reason(err)})
			continue
		}
		valid = append(valid, pp)
	}
	if len(valid) > 0 {
		st, err := r.w.Upsert(ctx, valid)
		r.rep.Stats = addStats(r.rep.Stats, st)
		if err != nil {
			return fmt.Errorf("storing the papers of %s: %w", p.URL, err)
		}
	}
	for _, id := range p.Deleted {
		err := r.w.Delete(ctx, id)
		switch {
		case err == nil:
			r.rep.Deleted++
		case errors.Is(err, paper.ErrNotFound): // never stored here: nothing to do
		default:
			return fmt.Errorf("deleting %s, withdrawn in %s: %w", id, p.URL, err)
		}
	}
	p.Cursor.Source = r.key
	p.Cursor.Saved = time.Now().UTC()
	if err := SaveCursor(r.dir, r.key, p.Cursor); err != nil {
		return err
	}
	r.cursor = p.Cursor
	if p.Ends {
		r.rep.Units++
	}
	if r.Progress != nil {
		r.Progress(r.Report())
	}
	return nil
}

func addStats(a, b ingest.Stats) ingest.Stats {
	a.Added += b.Added
	a.Updated += b.Updated
	a.Unchanged += b.Unchanged
	a.Embedded += b.Embedded
	return a
}

// reason is why a paper was skipped, without "invalid paper: ".
func reason(err error) string {
	if ie := (*paper.InvalidError)(nil); errors.As(err, &ie) {
		return ie.Reason
	}
	return err.Error()
}
