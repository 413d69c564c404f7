package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
)

// runCmd runs a paperlens command in-process and returns its exit code and
// what it wrote to stderr.
func runCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	return run(context.Background(), e, args), stderr.String()
}

// records reads every record of the folder dir, keyed by id.
func records(t *testing.T, dir string) (map[string]paper.Record, store.Manifest) {
	t.Helper()
	m, err := store.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, m.Info)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs := map[string]paper.Record{}
	for r, err := range st.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		recs[r.Paper.ID] = r
	}
	return recs, st.Manifest()
}

func TestExportImportRoundTripsTheArxivSetExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 20,426 papers; run without -short")
	}
	tmp := t.TempDir()
	src, dst, backup := filepath.Join(tmp, "src"), filepath.Join(tmp, "dst"), filepath.Join(tmp, "papers.backup.gz")
	// The commands run as a built binary: under the race detector an
	// in-process ingest and import of 20,426 papers take many minutes.
	// TestImportRefusesWhatItCannotUse runs export and import in-process.
	bin := buildPaperlens(t)
	for _, args := range [][]string{
		{"ingest", "--quiet", "--data", src, arxivPapers},
		{"export", "--data", src, backup},
		{"import", "--data", dst, backup},
	} {
		start := time.Now()
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
		t.Logf("%s took %s", args[0], time.Since(start).Round(time.Millisecond))
	}
	want, wm := records(t, src)
	got, gm := records(t, dst)
	t.Run("every paper comes back with the same fields and a bit-for-bit vector", func(t *testing.T) {
		if len(want) != arxivCount || len(got) != len(want) {
			t.Fatalf("%d papers in the source, %d imported, want %d", len(want), len(got), arxivCount)
		}
		bad := 0
		for id, w := range want {
			g, ok := got[id]
			same := ok && g.Hash == w.Hash && g.Paper.Title == w.Paper.Title && g.Paper.Abstract == w.Paper.Abstract &&
				g.Paper.Published == w.Paper.Published && g.Paper.URL == w.Paper.URL &&
				slices.Equal(g.Paper.Authors, w.Paper.Authors) && slices.Equal(g.Paper.Categories, w.Paper.Categories) &&
				len(g.Vector) == len(w.Vector)
			for i := 0; same && i < len(w.Vector); i++ {
				same = math.Float32bits(g.Vector[i]) == math.Float32bits(w.Vector[i])
			}
			if !same && bad < 5 {
				t.Errorf("paper %s differs after the round trip:\n got %+v\nwant %+v", id, g.Paper, w.Paper)
			}
			if !same {
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%d of %d papers differ", bad, len(want))
		}
	})
	t.Run("the imported folder has the source's embedder, model and dimension", func(t *testing.T) {
		if gm.Info != wm.Info {
			t.Errorf("imported manifest %+v, want %+v", gm.Info, wm.Info)
		}
	})
	t.Run("the imported folder's word index finds the papers", func(t *testing.T) {
		papers, err := backend.Open(context.Background(), backend.Config{Data: dst}, true)
		if err != nil {
			t.Fatal(err)
		}
		defer papers.Close()
		eng := papers.Engine()
		n := 0
		for id, r := range want {
			if n++; n > 5 {
				break
			}
			page, err := eng.Search(context.Background(), r.Paper.Title, search.Options{Limit: 10})
			if err != nil || !slices.ContainsFunc(page.Results, func(h paper.Hit) bool { return h.ID == id }) {
				t.Errorf("searching for the title of %s does not find it: %v", id, err)
			}
		}
	})
	t.Run("importing again replaces papers with the same id instead of adding them", func(t *testing.T) {
		if out, err := exec.Command(bin, "import", "--data", dst, backup).CombinedOutput(); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		if got, _ := records(t, dst); len(got) != arxivCount {
			t.Errorf("%d papers after a second import, want %d", len(got), arxivCount)
		}
	})
}

func TestImportRefusesWhatItCannotUse(t *testing.T) {
	tmp := t.TempDir()
	src, backup := filepath.Join(tmp, "src"), filepath.Join(tmp, "seed.backup.gz")
	if code, errs := runCmd(t, "ingest", "--quiet", "--data", src, "../../testdata/papers.jsonl"); code != 0 {
		t.Fatalf("ingest exited %d: %s", code, errs)
	}
	if code, errs := runCmd(t, "export", "--data", src, backup); code != 0 {
		t.Fatalf("export exited %d: %s", code, errs)
	}
	// A folder built by another embedder: made by the store directly, as
	// no other embedder runs here without an Ollama server.
	other := filepath.Join(tmp, "other")
	m, _ := store.ReadManifest(src)
	m.Info.Embedder, m.Info.Model = "ollama", "nomic-embed-text"
	m.Info.Dimension = 768
	st, err := store.Open(other, m.Info)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	b, _ := os.ReadFile(backup)
	tests := []struct {
		name, file, dir, want string
	}{
		{"a folder built by another embedder", backup, other, "import it into a new --data folder"},
		{"a file that is not a backup", "../../testdata/papers.jsonl", filepath.Join(tmp, "a"), "not a paperlens backup"},
		{"a backup cut short", writeFile(t, filepath.Join(tmp, "cut.gz"), b[:len(b)/2]), filepath.Join(tmp, "b"), "cut short"},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name+" with a clear message", func(t *testing.T) {
			code, errs := runCmd(t, "import", "--data", tt.dir, tt.file)
			if code == 0 || !strings.Contains(errs, tt.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("import exited %d with %q, want a one-line message containing %q", code, errs, tt.want)
			}
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportSkipsPapersMadeBeforeTheCaps imports a backup that holds
// papers paper.Validate now refuses (a javascript: URL, an abstract over
// the cap), as one made by an earlier paperlens may: they are skipped and
// named, and every other paper is imported.
func TestImportSkipsPapersMadeBeforeTheCaps(t *testing.T) {
	tmp := t.TempDir()
	src, backup, old := filepath.Join(tmp, "src"), filepath.Join(tmp, "seed.backup.gz"), filepath.Join(tmp, "old.backup.gz")
	if code, errs := runCmd(t, "ingest", "--quiet", "--data", src, "../../testdata/papers.jsonl"); code != 0 {
		t.Fatalf("ingest exited %d: %s", code, errs)
	}
	if code, errs := runCmd(t, "export", "--data", src, backup); code != 0 {
		t.Fatalf("export exited %d: %s", code, errs)
	}
	f, err := os.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := store.ReadBackup(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	bk.Records[0].Paper.URL = "javascript:alert(1)"
	bk.Records[1].Paper.Abstract = strings.Repeat("long ", paper.MaxAbstractLength)
	var buf bytes.Buffer
	all := func(yield func(paper.Record, error) bool) {
		for _, r := range bk.Records {
			if !yield(r, nil) {
				return
			}
		}
	}
	if _, err := store.WriteBackup(&buf, bk.Manifest, all); err != nil {
		t.Fatal(err)
	}
	writeFile(t, old, buf.Bytes())

	dst := filepath.Join(tmp, "dst")
	code, errs := runCmd(t, "import", "--data", dst, old)
	if code != 0 {
		t.Fatalf("import exited %d: %s", code, errs)
	}
	for _, want := range []string{"skipped invalid paper: paper " + strconv.Quote(bk.Records[0].Paper.ID), "skipped invalid paper: paper " + strconv.Quote(bk.Records[1].Paper.ID), "2 skipped"} {
		if !strings.Contains(errs, want) {
			t.Errorf("import said %q, want it to say %q", errs, want)
		}
	}
	got, _ := records(t, dst)
	if len(got) != len(bk.Records)-2 {
		t.Errorf("imported %d papers, want %d", len(got), len(bk.Records)-2)
	}
	if _, ok := got[bk.Records[0].Paper.ID]; ok {
		t.Error("the paper with a javascript: URL was imported")
	}
}
