// Package ollamatest runs a real Ollama server for tests: it finds the
// binary that scripts/ollama.sh builds, starts `ollama serve` on a free
// loopback port with its own temporary model folder, imports the
// paperlens-glove model (package glovemodel) into it, and stops it at the
// end. Tests that use it carry the build tag `ollama` and `Ollama` in their
// names, and call Main from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(ollamatest.Main(m)) }
//
// Without a binary Main fails the run with a message saying how to build
// one; it never skips.
package ollamatest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/paperlens/paperlens/embeddings/ollama/glovemodel"
	"github.com/paperlens/paperlens/pkg/testbin"
)

// Version is the Ollama release that scripts/ollama.sh builds.
const Version = "0.17.4"

// Model is the name the test model is created under.
const Model = glovemodel.Name

// Binary returns the path of the ollama binary: $PAPERLENS_OLLAMA_BIN if
// set, else where scripts/ollama.sh caches it ($PAPERLENS_CACHE, default
// ~/.cache/paperlens, then ollama-VERSION/ollama). The error says how to get
// one.
func Binary() (string, error) {
	return testbin.Server{Env: "PAPERLENS_OLLAMA_BIN", Path: filepath.Join("ollama-"+Version, "ollama"),
		Script: "scripts/ollama.sh", Takes: "4 to 9 minutes on 2 cores", Need: "a real server"}.Find()
}

// Server is a running `ollama serve` owned by a test binary.
type Server struct {
	// Host is the server's base URL, http://127.0.0.1:PORT.
	Host string

	bin  string
	dir  string // temporary: models/, home/, server.log
	addr string // 127.0.0.1:PORT

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts `ollama serve` from bin on a free 127.0.0.1 port with an
// empty model folder and home under a new temporary folder, and waits until
// it answers.
func Start(ctx context.Context, bin string) (*Server, error) {
	dir, err := os.MkdirTemp("", "paperlens-ollama-*")
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{Host: "http://" + addr, bin: bin, dir: dir, addr: addr}
	if err := s.Restart(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// freeAddr returns a 127.0.0.1 address with a port nobody listens on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Restart starts the server again, on the same port and with the same
// models, after Stop. It waits until the server answers.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("ollamatest: the server is already running")
	}
	for _, d := range []string{"models", "home"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return err
		}
	}
	logf, err := os.OpenFile(s.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(os.Environ(),
		"OLLAMA_HOST="+s.addr,
		"OLLAMA_MODELS="+filepath.Join(s.dir, "models"),
		"HOME="+filepath.Join(s.dir, "home"), // its key pair goes here, not in the user's ~/.ollama
		"OLLAMA_NOPRUNE=1",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// A group of its own, so that Stop also ends the model runner it starts;
	// and a SIGTERM (on which it stops its runners) if the test binary dies
	// without stopping it, e.g. on a test timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("ollamatest: start %s serve: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := s.ping(ctx); err == nil {
			return nil
		}
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("ollamatest: ollama serve exited before answering; its log:\n%s", s.logTail())
		case <-ctx.Done():
			s.stopLocked()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stopLocked()
			return fmt.Errorf("ollamatest: ollama serve did not answer at %s within 60s; its log:\n%s", s.Host, s.logTail())
		}
	}
}

// ping asks the server for its version.
func (s *Server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := s.Client().Version(ctx)
	return err
}

// Stop ends the server and the runners it started: SIGTERM to its process
// group, SIGKILL after 10 seconds. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	pgid := s.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
	// The runner, in the same group, may outlive the server by a moment.
	syscall.Kill(-pgid, syscall.SIGKILL)
	s.cmd = nil
}

// Close stops the server and removes its temporary folder.
func (s *Server) Close() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// Client returns an Ollama API client for the server.
func (s *Server) Client() *api.Client {
	u, _ := url.Parse(s.Host)
	return api.NewClient(u, &http.Client{})
}

// LogPath is the server's log file, kept until Close.
func (s *Server) LogPath() string { return filepath.Join(s.dir, "server.log") }

// logTail returns the last few KB of the server's log.
func (s *Server) logTail() string { return testbin.Tail(s.LogPath(), 4000) }

// CreateModel writes the paperlens-glove model and imports it as Model.
func (s *Server) CreateModel(ctx context.Context) error {
	dir := filepath.Join(s.dir, "glove")
	if err := glovemodel.Write(dir); err != nil {
		return err
	}
	if err := glovemodel.Import(ctx, s.Client(), Model, dir, nil); err != nil {
		return fmt.Errorf("%w; server log:\n%s", err, s.logTail())
	}
	return nil
}

var shared *Server

// Shared returns the server that Main started for this test binary.
func Shared() *Server {
	if shared == nil {
		panic("ollamatest: Shared called without ollamatest.Main in TestMain")
	}
	return shared
}

// Main starts a server with the paperlens-glove model, runs the tests and
// stops the server; it returns the exit code for os.Exit. When the binary is
// missing or the server does not start, it prints why and returns 1: the
// tests fail rather than skip.
func Main(m *testing.M) int {
	bin, err := Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: ollama tests:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := Start(ctx, bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: ollama tests:", err)
		return 1
	}
	defer s.Close()
	start := time.Now()
	if err := s.CreateModel(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: ollama tests: import the test model:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "ollamatest: ollama %s serving %s at %s (model imported in %s)\n",
		Version, Model, s.Host, time.Since(start).Round(time.Millisecond))
	shared = s
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "ollamatest: server log tail:\n%s\n", indent(s.logTail()))
	}
	return code
}

func indent(s string) string {
	return "\t" + strings.ReplaceAll(s, "\n", "\n\t")
}
