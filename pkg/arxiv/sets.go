package arxiv

import (
	"fmt"
	"strings"
)

// arXiv's OAI-PMH sets follow its taxonomy, group:archive:category
// (https://info.arxiv.org/help/oa/index.html, "Sets", since the interface
// was rewritten in 2025): cs:cs:LG is one category, physics:hep-th one
// archive, physics all physics archives. A category such as cs.LG is not a
// set name, and the set "cs.LG" matches nothing.

// groups are arXiv's groups other than physics; each has one archive of
// the same name (cs:cs, math:math…).
var groups = map[string]bool{"cs": true, "econ": true, "eess": true, "math": true, "q-bio": true, "q-fin": true, "stat": true}

// physicsArchives are the archives of the physics group.
var physicsArchives = map[string]bool{
	"astro-ph": true, "cond-mat": true, "gr-qc": true, "hep-ex": true, "hep-lat": true, "hep-ph": true, "hep-th": true,
	"math-ph": true, "nlin": true, "nucl-ex": true, "nucl-th": true, "physics": true, "quant-ph": true,
}

// SetSpec turns what a user calls a part of arXiv into the OAI-PMH set that
// harvests it: a category (cs.LG → cs:cs:LG, astro-ph.CO →
// physics:astro-ph:CO), an archive (hep-th → physics:hep-th) or a group (cs,
// physics) by its name. A name with a colon is taken as a set spec already
// and passed as given. Category names are case-sensitive, as in arXiv
// (cs.LG, cond-mat.mes-hall).
func SetSpec(name string) (string, error) {
	name = strings.TrimSpace(name)
	archive, category, dotted := strings.Cut(name, ".")
	switch {
	case name == "":
		return "", fmt.Errorf("no arXiv set given: name a category (cs.LG), an archive (hep-th) or a group (cs, physics)")
	case strings.Contains(name, ":"):
		return name, nil
	case !dotted && (groups[name] || name == "physics"):
		return name, nil
	case !dotted && physicsArchives[name]:
		return "physics:" + name, nil
	case dotted && category != "" && groups[archive]:
		return archive + ":" + archive + ":" + category, nil
	case dotted && category != "" && physicsArchives[archive]:
		return "physics:" + archive + ":" + category, nil
	}
	return "", fmt.Errorf("arXiv set %q: not an arXiv category (cs.LG, astro-ph.CO…), archive (hep-th, cond-mat…) or group (cs, math, physics, q-bio, q-fin, stat, eess, econ); "+
		"a set spec as arXiv's ListSets names it (cs:cs:LG) is passed as given", name)
}
