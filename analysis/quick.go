package analysis

import (
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// QuickTargets guesses, in milliseconds and without the go command, the
// directories of the targets [Load] will find with opts: the main packages
// of the module at opts.Dir that import Gin directly, or the explicit
// targets given as ./dir. It lets a caller start the first build while Load runs. The guess
// may be wrong or empty (a main that reaches Gin through another package, a
// go.work workspace, import-path targets); the caller must check it against
// Load's targets. It returns absolute directories, sorted.
func QuickTargets(opts Options) []string {
	dir, explicit, bctx := opts.Dir, opts.Targets, buildContext(opts.Tags, opts.Env)
	if len(explicit) > 0 {
		var dirs []string
		for _, t := range explicit {
			if !strings.HasPrefix(t, "./") && t != "." {
				return nil // an import path: only Load can resolve it
			}
			dirs = append(dirs, filepath.Join(dir, filepath.FromSlash(t)))
		}
		slices.Sort(dirs)
		return dirs
	}
	if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
		return nil
	}
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		name := d.Name()
		if p != dir {
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" || name == "node_modules" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		if mainImportsGin(p, bctx) {
			dirs = append(dirs, p)
		}
		return nil
	})
	return dirs
}

// mainImportsGin reports whether the package in dir is a main package with
// a file in the build that imports Gin.
func mainImportsGin(dir string, bctx build.Context) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || !e.Type().IsRegular() {
			continue
		}
		if ok, err := bctx.MatchFile(dir, name); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil || f.Name.Name != "main" {
			continue
		}
		for _, imp := range f.Imports {
			if path, err := strconv.Unquote(imp.Path.Value); err == nil && path == ginPath {
				return true
			}
		}
	}
	return false
}
