package session

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ginhotd/ginhotd/daemon/build"
)

// publishDiagnostics emits the complete current set of diagnostics of the
// workspace, filtered by the diagnostics setting.
func (s *Session) publishDiagnostics() {
	all := []build.Diagnostic{}
	for _, t := range s.targets {
		if s.cfg.Diagnostics == "complement" {
			all = append(all, s.complement(t)...)
		} else {
			all = append(all, t.buildDiags...)
		}
		all = append(all, t.runDiags...)
	}
	s.emit(Event{Kind: KindDiagnostics, Diagnostics: dedupe(all)})
}

// complement keeps what gopls cannot see: everything but plain compile
// errors in ordinary workspace files. Those are summarised once, on the
// target's main file, so the user still knows the app is stale.
func (s *Session) complement(t *target) []build.Diagnostic {
	var out []build.Diagnostic
	hidden := false
	for _, d := range t.buildDiags {
		if d.Kind == "compile" && d.File != "" && s.inWorkspace(d.File) && !specialFile(d.File) {
			hidden = true
			continue
		}
		out = append(out, d)
	}
	if hidden {
		out = append(out, build.Diagnostic{
			File:    mainFile(t.t.Dir),
			Line:    1,
			Col:     1,
			Message: fmt.Sprintf("build failed, still serving generation %d (the errors are in the files gopls marks)", t.gen),
			Package: t.t.Path,
			Kind:    "summary",
		})
	}
	return out
}

// inWorkspace reports whether file lies under the workspace or one of its
// local modules.
func (s *Session) inWorkspace(file string) bool {
	roots := []string{s.cfg.Dir}
	if g := s.graph.Load(); g != nil {
		roots = append(roots, g.Roots()...)
	}
	for _, r := range roots {
		if rel, err := filepath.Rel(r, file); err == nil && !strings.HasPrefix(rel, "..") {
			return true
		}
	}
	return false
}

// specialFile reports whether gopls is likely blind to errors in file:
// generated files and files behind a build constraint.
func specialFile(file string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	if i := bytes.Index(b, []byte("\npackage ")); i >= 0 {
		b = b[:i]
	}
	return bytes.Contains(b, []byte("Code generated")) && bytes.Contains(b, []byte("DO NOT EDIT")) ||
		bytes.Contains(b, []byte("//go:build"))
}

// mainFile returns the file of the main package in dir that declares main,
// or the first Go file.
func mainFile(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	sort.Strings(files)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte("func main()")) {
			return f
		}
	}
	if len(files) > 0 {
		return files[0]
	}
	return filepath.Join(dir, "main.go")
}

func dedupe(ds []build.Diagnostic) []build.Diagnostic {
	seen := map[build.Diagnostic]bool{}
	out := ds[:0]
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
