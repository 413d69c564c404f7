package harvest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/harvest/harvesttest"
	"github.com/paperlens/paperlens/pkg/paper"
)

// TestRunSkipsPapersOverTheCaps: a source may send what the API refuses
// (a javascript: project page, an abstract over the cap, an id no link
// reaches); sync skips each, names why, and stores the rest.
func TestRunSkipsPapersOverTheCaps(t *testing.T) {
	f := harvesttest.Open(t, t.TempDir(), 0)
	run, err := harvest.NewRun(f.Dir, "hf daily", f, &harvest.Client{})
	if err != nil {
		t.Fatal(err)
	}
	js := pp("2611.00011", "Has a script for a project page.")
	js.ProjectPage = "javascript:alert(1)"
	ctl := pp("2611.00013", "Its title rings the bell.")
	ctl.Title = "Bell \x07 and \x1b[31mred\x1b[0m"
	page := harvest.Page{URL: "u", Entries: 5, Papers: []paper.Paper{
		pp("2611.00010", "Fine."), js, pp("2611.00012", strings.Repeat("long ", paper.MaxAbstractLength/4)), pp("..", "Unreachable."), ctl,
	}}
	if err := run.Store(context.Background(), page); err != nil {
		t.Fatal(err)
	}
	rep := run.Report()
	var skips []string
	for _, s := range rep.Skipped {
		skips = append(skips, s.String())
	}
	for i, want := range []string{"project_page", "limit is 65536", "path segment"} {
		if len(skips) != 3 || !strings.Contains(skips[i], want) {
			t.Errorf("skipped %q, want 3 skips, number %d saying %q", skips, i+1, want)
		}
	}
	if got := f.IDs(t); strings.Join(got, " ") != "2611.00010 2611.00013" || rep.Added != 2 {
		t.Errorf("stored %v (report %+v), want 2611.00010 and 2611.00013", got, rep)
	}
}
