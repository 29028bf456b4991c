package lsp

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"go.lsp.dev/uri"
)

// root is a workspace folder's directory, as the client names it and with
// symbolic links resolved (the go command reports resolved paths).
type root struct {
	path string // absolute, as the client names it
	real string // path with symbolic links resolved
}

func newRoot(path string) (root, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return root{}, fmt.Errorf("lsp: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		real = abs
	}
	return root{path: abs, real: real}, nil
}

// contains reports whether path lies under r, and returns it in the client's
// terms (under r.path even when path is under r.real).
func (r root) contains(path string) (string, bool) {
	if rel, ok := relIn(r.path, path); ok {
		return filepath.Join(r.path, rel), true
	}
	if rel, ok := relIn(r.real, path); ok {
		return filepath.Join(r.path, rel), true
	}
	return "", false
}

// inSession returns path, which lies under r (see [root.contains]), in the
// session's terms: under r.real, as config.Load resolves the root.
func (r root) inSession(path string) string {
	if rel, ok := relIn(r.path, path); ok {
		return filepath.Join(r.real, rel)
	}
	return path
}

// isModule reports whether r holds a go.mod or go.work.
func (r root) isModule() bool {
	for _, name := range []string{"go.mod", "go.work"} {
		if fi, err := os.Stat(filepath.Join(r.path, name)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// relIn returns path relative to dir when path is dir or lies below it.
func relIn(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

// errNotFile is returned by pathOf for URIs that name no local file.
var errNotFile = errors.New("not a file: URI")

// pathOf returns the local path a file: URI names. Unlike uri.URI.Filename it
// does not panic on other schemes.
func pathOf(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("lsp: uri %q: %w", s, err)
	}
	if u.Scheme != uri.FileScheme || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
		return "", fmt.Errorf("lsp: uri %q: %w", s, errNotFile)
	}
	p := u.Path
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // /C:/x on Windows
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("lsp: uri %q: %w", s, errNotFile)
	}
	return filepath.Clean(p), nil
}
