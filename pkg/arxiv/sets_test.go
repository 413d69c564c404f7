package arxiv_test

import (
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/arxiv"
)

func TestSetSpecNamesTheOAIPMHSet(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a category of a group becomes group:archive:category", "cs.LG", "cs:cs:LG"},
		{"a statistics category too", "stat.ML", "stat:stat:ML"},
		{"a category with a hyphenated archive", "q-bio.NC", "q-bio:q-bio:NC"},
		{"a physics category sits under the physics group", "astro-ph.CO", "physics:astro-ph:CO"},
		{"a physics category with a long name keeps it", "cond-mat.mes-hall", "physics:cond-mat:mes-hall"},
		{"a category of the physics archive", "physics.optics", "physics:physics:optics"},
		{"a physics archive becomes physics:archive", "hep-th", "physics:hep-th"},
		{"a group is its own set", "cs", "cs"},
		{"physics is the group of every physics archive", "physics", "physics"},
		{"a set spec is passed as given", "physics:hep-th", "physics:hep-th"},
		{"a three-part set spec too", "cs:cs:AI", "cs:cs:AI"},
		{"space around is dropped", " math.NA ", "math:math:NA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := arxiv.SetSpec(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("SetSpec(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestSetSpecRefusesWhatArxivDoesNotHave(t *testing.T) {
	for _, in := range []string{"", "biology", "cs.", "foo.BAR", "hep-th9901"} {
		t.Run("refuses "+in, func(t *testing.T) {
			got, err := arxiv.SetSpec(in)
			if err == nil {
				t.Fatalf("SetSpec(%q) = %q, want an error", in, got)
			}
			if in != "" && !strings.Contains(err.Error(), "cs:cs:LG") {
				t.Errorf("the error %q does not show a set spec to give instead", err)
			}
		})
	}
}
