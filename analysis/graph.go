package analysis

import (
	"go/build"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Graph is the package graph of a workspace as loaded by [Load], with its
// targets. It never changes after Load: when [Graph.Classify] reports
// [Result.Reload], the caller loads a new Graph. A Graph is safe for
// concurrent use.
type Graph struct {
	dir     string
	roots   []string
	modules []string // module paths of the local modules, sorted
	globs   []string
	bctx    build.Context
	targets []Target
	auto    bool                // targets were found, not named: a new main may become one
	notice  string              // how the targets were chosen, when the user should know
	missing []string            // why named targets, or any target, could not be found (Options.KeepGoing)
	reach   []map[string]string // per target: package → importer on a shortest chain
	mains   []string            // import paths of all main packages
	imports map[string][]string // package → sorted imported packages (all packages)
	pkgs    map[string]*pkgInfo // local packages by import path
	byDir   map[string]*pkgInfo // local packages by directory
	files   map[string]fileEntry
	embeds  map[string][]*pkgInfo // embedded file → packages embedding it
	cgo     map[string]bool       // non-standard packages that use cgo
}

// Target is a main package that ginhotd builds and runs.
type Target struct {
	// Path is the import path.
	Path string
	// Dir is the absolute directory.
	Dir string
	// Name is the directory relative to the workspace root ("./cmd/api"),
	// or the import path if the package lies outside it.
	Name string
	// Cgo is the import path of a package in the target's graph that uses
	// cgo (imports "C", or runtime/cgo or plugin), the first in sorted
	// order; "" when none does, so the target links with CGO_ENABLED=0.
	// Standard library packages do not count: they have pure-Go fallbacks
	// (the DNS resolver in net, os/user). Files excluded by the build
	// environment (CGO_ENABLED=0 already, no C compiler) do not count
	// either.
	Cgo string
}

// pkgInfo is what the graph keeps of a local package.
type pkgInfo struct {
	path          string
	dir           string
	main          bool
	missing       bool     // imported but not there yet: dir is where it would live
	embedPatterns []string // relative to dir, "all:" prefix kept
}

// fileKind tells how a package uses one of its files.
type fileKind int

const (
	kindGo      fileKind = iota // a .go file in the build
	kindOther                   // a cgo, assembly or .syso file in the build
	kindIgnored                 // excluded by build constraints
)

// fileEntry is what the graph keeps of a file of a local package.
type fileEntry struct {
	pkg  *pkgInfo
	kind fileKind
	sig  signature // kindGo only
}

// signature is what of a .go file, besides its build constraints, can
// change the package graph.
type signature struct {
	pkg     string // package clause
	imports string // sorted quoted import paths
	embeds  string // //go:embed lines
}

// Targets returns the targets: the explicit ones in the order given, or the
// Gin mains (else the one net/http main) sorted by name.
func (g *Graph) Targets() []Target {
	return slices.Clone(g.targets)
}

// Notice returns a sentence for the user about how the targets were chosen,
// or "" when there is nothing to say. Today it is set when no main package
// imports Gin and the only net/http main was taken; it names the --target
// flag and the ginhot.toml line that pin the choice. The same workspace
// yields the same notice on every Load.
func (g *Graph) Notice() string {
	return g.notice
}

// Missing returns, for a graph loaded with [Options.KeepGoing], why each
// named target that is not there was left out, or why no target was found;
// nil when every target is there.
func (g *Graph) Missing() []string {
	return slices.Clone(g.missing)
}

// Roots returns the absolute directories of every local module: the
// workspace root, the modules of go.work, and modules replaced by a local
// directory. A root may lie inside another.
func (g *Graph) Roots() []string {
	return slices.Clone(g.roots)
}

// Modules returns the module paths of the local modules, the ones whose
// directories [Graph.Roots] lists: the workspace's modules and modules
// replaced by a local directory, sorted. A debug build compiles their
// packages without optimisations.
func (g *Graph) Modules() []string {
	return slices.Clone(g.modules)
}

// pkgName returns the display name of an import path: its directory
// relative to the workspace root ("./internal/store"), or the import path.
func (g *Graph) pkgName(path string) string {
	pi := g.pkgs[path]
	if pi == nil {
		return path
	}
	rel, err := filepath.Rel(g.dir, pi.dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	if rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

// relPath returns path relative to the workspace root, slash-separated.
func (g *Graph) relPath(path string) string {
	rel, err := filepath.Rel(g.dir, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// chain renders the shortest import chain from target i to pkg.
func (g *Graph) chain(i int, pkg string) string {
	var names []string
	for p := pkg; p != ""; p = g.reach[i][p] {
		names = append(names, g.pkgName(p))
	}
	slices.Reverse(names)
	return strings.Join(names, " → ")
}

// rootOf returns the deepest root that holds path, or "".
func (g *Graph) rootOf(path string) string {
	best := ""
	for _, r := range g.roots {
		if within(path, r) && len(r) > len(best) {
			best = r
		}
	}
	return best
}

// DependsOn reports whether the target with import path target imports,
// directly or through other packages, the package prefix or a package below
// it: "github.com/labstack/echo" matches "github.com/labstack/echo/v4". It
// is false for a path that is no target.
func (g *Graph) DependsOn(target, prefix string) bool {
	for i, t := range g.targets {
		if t.Path != target {
			continue
		}
		for pkg := range g.reach[i] {
			if pkg == prefix || strings.HasPrefix(pkg, prefix+"/") {
				return true
			}
		}
	}
	return false
}

// within reports whether path is dir or lies below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}

// Inputs returns the sorted absolute paths of the local files that the
// build of the target with import path target reads (nil for no target): the Go, cgo, assembly and .syso files of the
// local packages it reaches, the files they embed, and the module files
// (go.mod, go.sum, go.work) of the workspace. Two builds whose inputs have
// the same content, with the same settings, make the same binary.
func (g *Graph) Inputs(target string) []string {
	i := slices.IndexFunc(g.targets, func(t Target) bool { return t.Path == target })
	if i < 0 {
		return nil
	}
	reach := g.reach[i]
	seen := map[string]bool{}
	for f, e := range g.files {
		if e.kind != kindIgnored {
			if _, ok := reach[e.pkg.path]; ok {
				seen[f] = true
			}
		}
	}
	for f, pkgs := range g.embeds {
		for _, pi := range pkgs {
			if _, ok := reach[pi.path]; ok {
				seen[f] = true
			}
		}
	}
	for _, dir := range append([]string{g.dir}, g.roots...) {
		for _, name := range []string{"go.mod", "go.sum", "go.work", "go.work.sum"} {
			if p := filepath.Join(dir, name); fileExists(p) {
				seen[p] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
