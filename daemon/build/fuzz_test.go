package build

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary go command output to the parser, as the build
// would after `go build -json` in dir. Every diagnostic must have a file or
// a message, and a known kind; one with a file must have an absolute file and a line
// (and column, if any) of at least 1, one without a file no position; and
// the diagnostics come sorted by file and position.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"ImportPath":"example.com/compile/handlers","Action":"build-output","Output":"# example.com/compile/handlers\n"}` + "\n" +
			`{"ImportPath":"example.com/compile/handlers","Action":"build-output","Output":"handlers/h.go:12:3: undefined: x\n"}` + "\n" +
			`{"ImportPath":"example.com/compile/handlers","Action":"build-fail"}`,
		"# example.com/twoerrs/a\na/a.go:4:19: too many return values\n\thave (number)\n\twant ()\n# example.com/twoerrs/b\nb/b.go:4:12: undefined: undefinedInB\n",
		"go: errors parsing go.mod:\n/w/go.mod:5: unknown directive: nonsense\n",
		"# example.com/link\nmain.main: relocation target example.com/link/nowhere.nothere not defined\n",
		"# example.com/cgo\n./main.go:4:10: fatal error: nothere.h: No such file or directory\n    4 | #include \"nothere.h\"\n      |          ^~~~~~~~~~~\ncompilation terminated.\n",
		"main.go:3:8: no required module provides package example.com/notamodule/pkg; to add it:\n\tgo get example.com/notamodule/pkg\n",
		`{"ImportPath":"example.com/m/internal/store","Action":"build-output","Output":"cmd/api/main.go:3:8: read /tmp/m/internal/store/x.go: unexpected NUL in input\n"}`,
		"read /tmp/m/x.go: unexpected NUL in input\n",
		"web/web.go:8:12: pattern static/*.css: no matching files found\n",
		"C:\\w\\main.go:1:2: expected 'package', found garbage\n",
		"/usr/bin/ld: cannot find -lfoo\ncollect2: error: ld returned 1 exit status\n",
		"x.go:1:1: too many errors\n",
	} {
		f.Add(seed)
	}
	dir := filepath.Join(f.TempDir(), "w")
	kinds := []Kind{KindCompile, KindLink, KindCgo, KindEmbed, KindOther}
	f.Fuzz(func(t *testing.T, out string) {
		_, diags := parse(out, dir)
		for _, d := range diags {
			if d.Message == "" && d.File == "" {
				t.Errorf("diagnostic with neither file nor message: %#v", d)
			}
			if !slices.Contains(kinds, d.Kind) {
				t.Errorf("unknown kind %q: %#v", d.Kind, d)
			}
			if d.File == "" {
				if d.Line != 0 || d.Col != 0 {
					t.Errorf("position without a file: %#v", d)
				}
				continue
			}
			if !filepath.IsAbs(d.File) || d.Line < 1 || d.Col < 0 {
				t.Errorf("bad position: %#v; want an absolute file, line ≥ 1, column ≥ 0", d)
			}
		}
		if !slices.IsSortedFunc(diags, func(a, b Diagnostic) int {
			if c := strings.Compare(a.File, b.File); c != 0 {
				return c
			}
			return a.Line - b.Line
		}) {
			t.Errorf("diagnostics not sorted by file and line: %#v", diags)
		}
	})
}
