package session

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ginhotd/ginhotd/daemon/build"
)

// publishDiagnostics emits the complete current set of diagnostics of the
// workspace: every target's build errors and start-up problems. What an
// editor shows of them is the presenter's policy.
func (s *Session) publishDiagnostics() {
	all := []build.Diagnostic{}
	for _, t := range s.targets {
		all = append(all, t.buildDiags...)
		all = append(all, t.runDiags...)
	}
	all = append(all, s.stepDiags()...)
	s.emit(Event{Kind: KindDiagnostics, Diagnostics: dedupe(all)})
}

// inWorkspace reports whether file lies under the workspace or one of its
// local modules.
func (s *Session) inWorkspace(file string) bool {
	roots := []string{s.cfg.Dir}
	if s.graph != nil {
		roots = append(roots, s.graph.Roots()...)
	}
	for _, r := range roots {
		if rel, err := filepath.Rel(r, file); err == nil && !strings.HasPrefix(rel, "..") {
			return true
		}
	}
	return false
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
