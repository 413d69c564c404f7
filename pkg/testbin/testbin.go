// Package testbin finds the real servers the tests run against (Ollama,
// Weaviate), which the project's scripts build once into a cache folder,
// and reads their logs for a failing test. It is for tests only; packages
// ollamatest and weaviatetest run the servers.
package testbin

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// Server names a server binary and how it is built.
type Server struct {
	// Env is the environment variable that may name the binary.
	Env string
	// Path is where the build script puts it, inside the cache folder:
	// "ollama-0.17.4/ollama".
	Path string
	// Script builds it ("scripts/ollama.sh"), and Takes says how long
	// that takes, for the message when the binary is missing.
	Script, Takes string
	// What the tests need it for, for that message: "a real server".
	Need string
}

// Cache is the folder the build scripts cache binaries in:
// $PAPERLENS_CACHE, else ~/.cache/paperlens.
func Cache() (string, error) {
	if c := os.Getenv("PAPERLENS_CACHE"); c != "" {
		return c, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache", "paperlens"), nil
}

// Find returns the path of s's binary: $Env if set, else where s.Script
// caches it. The error says how to get one.
func (s Server) Find() (string, error) {
	name := filepath.Base(s.Path)
	if p := os.Getenv(s.Env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w — point it at a %s binary, or unset it and run `bash %s`", s.Env, p, err, name, s.Script)
		}
		return p, nil
	}
	cache, err := Cache()
	if err != nil {
		return "", fmt.Errorf("no home folder to find the %s binary in (%v) — set %s", name, err, s.Env)
	}
	p := filepath.Join(cache, s.Path)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no %s binary at %s — build it with `bash %s` (%s) or set %s; these tests need %s", name, p, s.Script, s.Takes, s.Env, s.Need)
	}
	return p, nil
}

// Tail returns the last lines of the file at path, at most max bytes,
// trimmed: what a failing test shows of a server's log.
func Tail(path string, max int) string {
	b, _ := os.ReadFile(path)
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:] // from the first whole line
		}
	}
	return string(bytes.TrimSpace(b))
}
