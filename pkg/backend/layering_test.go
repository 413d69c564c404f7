package backend_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyTheBackendReachesTheStorage checks #13's layering: the packages
// of the two roads speak pkg/paper and reach the embedded store and the
// word index only through a backend, so none of them imports pkg/store or
// pkg/lexical, directly or not.
func TestOnlyTheBackendReachesTheStorage(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed to list imports: %v", err)
	}
	const mod = "github.com/paperlens/paperlens/"
	for _, pkg := range []string{"pkg/search", "pkg/ingest", "pkg/server", "pkg/web", "pkg/weaviate", "pkg/harvest"} {
		out, err := exec.Command("go", "list", "-deps", mod+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == mod+"pkg/store" || dep == mod+"pkg/lexical" || strings.HasPrefix(dep, mod+"pkg/store/") {
				t.Errorf("%s imports %s: it should reach the papers through a backend (search.Backend, ingest.Target)", pkg, dep)
			}
		}
	}
}
