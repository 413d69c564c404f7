package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paperlens/paperlens/embeddings/builtin"
	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/store"
)

// arxivPapers is the 20,426-paper arXiv set (see ../../../shared/data/README).
const (
	arxivPapers = "../../../shared/data/arxiv-2026q2/papers.jsonl"
	arxivCount  = 20426
)

// buildPaperlens builds the command into a temporary folder, so a test can
// run it as a real process and kill it.
func buildPaperlens(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "paperlens")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// killed fails the test unless cmd died of SIGKILL, i.e. it was still
// working when the test killed it.
func killed(t *testing.T, cmd *exec.Cmd, err error, stderr fmt.Stringer) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("%s finished (%v) before it could be killed: the test did not crash it mid-way; stderr:\n%s", cmd.Args[1], err, stderr)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s ended with %v, not SIGKILL; stderr:\n%s", cmd.Args[1], err, stderr)
	}
}

// reopened opens dir as the next process would and checks every paper it
// reports is whole and can be found. It returns the ids and closes all.
func reopened(t *testing.T, dir string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	emb, err := builtin.New()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, emb.Info())
	if err != nil {
		t.Fatalf("the folder does not open after the crash: %v", err)
	}
	defer st.Close()
	lx, err := lexical.Open(ctx, dir, st.All(ctx))
	if err != nil {
		t.Fatalf("the word index does not open after the crash: %v", err)
	}
	defer lx.Close()
	if lx.Count() != st.Count() {
		t.Errorf("word index holds %d papers, the store %d", lx.Count(), st.Count())
	}
	ids := map[string]bool{}
	var sample []paper.Paper // a dozen papers spread over the store, to search for
	step := max(1, st.Count()/12)
	for r, err := range st.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		p := r.Paper
		if p.ID == "" || p.Title == "" || p.Abstract == "" || len(r.Vector) != emb.Info().Dimension {
			t.Errorf("paper %q is not whole: title %q, %d-char abstract, %d-dim vector", p.ID, p.Title, len(p.Abstract), len(r.Vector))
		}
		for _, x := range r.Vector {
			if math.IsNaN(float64(x)) {
				t.Errorf("paper %q has NaN in its vector", p.ID)
				break
			}
		}
		ids[p.ID] = true
		if len(ids)%step == 1 {
			sample = append(sample, p)
		}
	}
	eng := search.New(emb, backend.Local(st, lx))
	for _, p := range sample {
		page, err := eng.Search(ctx, p.Title, search.Options{Limit: 10})
		if err != nil {
			t.Fatalf("Search(%q): %v", p.Title, err)
		}
		found := false
		for _, h := range page.Results {
			found = found || h.ID == p.ID
		}
		if !found {
			t.Errorf("searching for the title of %s (%q) does not list it in the top 10", p.ID, p.Title)
		}
		if page, err := eng.Similar(ctx, p.ID, search.Options{Limit: 5}); err != nil || len(page.Results) == 0 {
			t.Errorf("Similar(%s) = %d results, %v", p.ID, len(page.Results), err)
		}
	}
	return ids
}

func TestIngestKilledMidwayLosesNothingAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 20,426 papers in a subprocess (about a minute); run without -short")
	}
	bin := buildPaperlens(t)
	dir := filepath.Join(t.TempDir(), "data")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "ingest", "--data", dir, "--quiet", arxivPapers)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once a few thousand papers are logged: a few MB of the ~60 the
	// whole set takes.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if fi, err := os.Stat(filepath.Join(dir, store.LogFile)); err == nil && fi.Size() > 8<<20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("ingest wrote less than 8 MiB of log in 3 minutes; stderr:\n%s", &stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed(t, cmd, cmd.Wait(), &stderr)

	t.Run("the folder opens with only whole, searchable papers", func(t *testing.T) {
		ids := reopened(t, dir)
		if len(ids) == 0 || len(ids) >= arxivCount {
			t.Fatalf("%d papers after the kill, want some but not all %d", len(ids), arxivCount)
		}
		t.Logf("%d papers were stored when ingest was killed", len(ids))
	})
	t.Run("the same ingest again brings the count to 20,426 without duplicates", func(t *testing.T) {
		out, err := exec.Command(bin, "ingest", "--data", dir, "--quiet", arxivPapers).CombinedOutput()
		if err != nil {
			t.Fatalf("second ingest: %v\n%s", err, out)
		}
		// The store keys papers by id, so a count of exactly 20,426 (the
		// file's distinct ids) means none is there twice.
		out, err = exec.Command(bin, "stats", "--json", "--data", dir).Output()
		var s struct{ Count int }
		if err != nil || json.Unmarshal(out, &s) != nil || s.Count != arxivCount {
			t.Errorf("stats says %s (%v), want count %d", out, err, arxivCount)
		}
	})
}

// startServe starts the binary's serve on dir with extra flags and returns
// the process and its URL, read from the line it prints.
func startServe(t *testing.T, bin, dir string, flags ...string) (*exec.Cmd, string, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, flags...)...)
	stderr := &lockedBuffer{}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		at := regexp.MustCompile(`at (http://\S+)`)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			stderr.Write(append(sc.Bytes(), '\n'))
			if m := at.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- strings.TrimRight(m[1], "/"):
				default:
				}
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u, stderr
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("serve did not start; stderr:\n%s", stderr)
	}
	return nil, "", nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServeKilledDuringPostsKeepsEveryAcknowledgedPaper(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve in a subprocess and posts thousands of papers; run without -short")
	}
	f, err := os.Open(arxivPapers)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var lineIDs []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(lines) < 6000 {
		var p struct{ ID string }
		if json.Unmarshal(sc.Bytes(), &p) != nil {
			t.Fatalf("bad line in %s", arxivPapers)
		}
		lines, lineIDs = append(lines, sc.Text()), append(lineIDs, p.ID)
	}
	bin := buildPaperlens(t)
	dir := filepath.Join(t.TempDir(), "data")
	cmd, url, stderr := startServe(t, bin, dir)

	t.Run("a second process is refused at once, told who holds the folder", func(t *testing.T) {
		start := time.Now()
		out, err := exec.Command(bin, "stats", "--data", dir).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "in use by paperlens serve (pid "+fmt.Sprint(cmd.Process.Pid)+")") {
			t.Errorf("stats while serve runs: %v, %q; want a refusal naming paperlens serve and its pid", err, out)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("refusal took %s", d)
		}
		out, err = exec.Command(bin, "ingest", "--data", dir, arxivPapers).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "send papers to its HTTP API") {
			t.Errorf("ingest while serve runs: %v, %q; want a refusal that says to use the HTTP API", err, out)
		}
	})

	// Post batches of 25 one after another; kill serve while one is in
	// flight, after at least 40 batches were acknowledged.
	const batch = 25
	var acked []string
	var mu sync.Mutex
	done := make(chan error, 1)
	go func() {
		for i := 0; i+batch <= len(lines); i += batch {
			body := "[" + strings.Join(lines[i:i+batch], ",") + "]"
			resp, err := http.Post(url+"/v1/papers", "application/json", strings.NewReader(body))
			if err != nil {
				done <- err // the kill
				return
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				done <- fmt.Errorf("POST answered %s", resp.Status)
				return
			}
			mu.Lock()
			acked = append(acked, lineIDs[i:i+batch]...)
			mu.Unlock()
		}
		done <- nil
	}()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40*batch {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("only %d papers acknowledged in 3 minutes; serve said:\n%s", n, stderr)
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed(t, cmd, cmd.Wait(), stderr)
	if err := <-done; err == nil {
		t.Fatal("every POST finished before serve was killed: the test did not crash it mid-way")
	}
	mu.Lock()
	defer mu.Unlock()

	t.Run("every acknowledged paper is there after reopening", func(t *testing.T) {
		ids := reopened(t, dir)
		for _, id := range acked {
			if !ids[id] {
				t.Errorf("acknowledged paper %s is missing", id)
			}
		}
		t.Logf("%d papers acknowledged before the kill, %d stored", len(acked), len(ids))
	})
}
