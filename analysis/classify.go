package analysis

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Action is what a target needs after a change. Actions are ordered: a
// stronger action includes the weaker ones.
type Action int

// The actions, weakest first.
const (
	None    Action = iota // nothing to do
	Restart               // restart the running binary, no build
	Rebuild               // build and swap in the new binary
)

// String returns "none", "restart" or "rebuild".
func (a Action) String() string {
	switch a {
	case None:
		return "none"
	case Restart:
		return "restart"
	case Rebuild:
		return "rebuild"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Decision is what one target needs after a change, and why.
type Decision struct {
	Target Target
	Action Action
	// Reason says why, for a person: for a rebuild the shortest import
	// chain from the target to the changed package and the file, e.g.
	// "./cmd/api → ./internal/store (internal/store/store.go changed)".
	Reason string
}

// String renders d as "ACTION TARGET: REASON".
func (d Decision) String() string {
	return fmt.Sprintf("%s %s: %s", d.Action, d.Target.Name, d.Reason)
}

// Result is the outcome of [Graph.Classify].
type Result struct {
	// Decisions holds one decision per target, in the order of
	// [Graph.Targets].
	Decisions []Decision
	// Reload reports that the graph is out of date (a module file changed,
	// a file of a package came or went, or a file's imports, package
	// clause, embed directives or build constraints changed): the caller
	// should Load again after acting on the decisions.
	Reload bool
}

// Action returns the strongest action over all decisions.
func (r Result) Action() Action {
	a := None
	for _, d := range r.Decisions {
		a = max(a, d.Action)
	}
	return a
}

// maxReasons caps how many reasons one decision lists.
const maxReasons = 3

// Classify decides what each target needs after the files at paths changed.
// Paths are absolute (relative ones are taken from the workspace root);
// the files may exist or have been deleted. Classify reads at most the
// changed files themselves and never runs go list.
func (g *Graph) Classify(paths []string) Result {
	actions := make([]Action, len(g.targets))
	reasons := make([][]string, len(g.targets))
	reload := false
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(g.dir, p)
		}
		v := g.classifyPath(filepath.Clean(p))
		reload = reload || v.reload
		for i := range g.targets {
			switch {
			case v.actions[i] > actions[i] || len(reasons[i]) == 0:
				actions[i] = v.actions[i]
				reasons[i] = []string{v.reasons[i]}
			case v.actions[i] == actions[i] && !slices.Contains(reasons[i], v.reasons[i]):
				reasons[i] = append(reasons[i], v.reasons[i])
			}
		}
	}
	res := Result{Reload: reload, Decisions: make([]Decision, len(g.targets))}
	for i, t := range g.targets {
		rs := reasons[i]
		if len(rs) > maxReasons {
			rs = append(rs[:maxReasons:maxReasons], fmt.Sprintf("and %d more", len(rs)-maxReasons))
		}
		reason := strings.Join(rs, "; ")
		if reason == "" {
			reason = "no change"
		}
		res.Decisions[i] = Decision{Target: t, Action: actions[i], Reason: reason}
	}
	return res
}

// Explain classifies the single path and renders the decisions, one line
// per target, e.g. "rebuild ./cmd/api: ./cmd/api → ./internal/store
// (internal/store/store.go changed)".
func (g *Graph) Explain(path string) string {
	res := g.Classify([]string{path})
	lines := make([]string, len(res.Decisions))
	for i, d := range res.Decisions {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// verdict is the outcome of one path, per target.
type verdict struct {
	actions []Action
	reasons []string
	reload  bool
}

// isSourceExt reports whether ext is a non-Go source file the go command
// builds into a package (cgo, C++, Objective-C, Fortran, assembly, SWIG,
// system objects).
func isSourceExt(ext string) bool {
	switch ext {
	case ".c", ".cc", ".cpp", ".cxx", ".m", ".h", ".hh", ".hpp", ".hxx",
		".f", ".F", ".for", ".f90", ".s", ".S", ".sx", ".swig", ".swigcxx", ".syso":
		return true
	}
	return false
}

// isModuleFile reports whether base names a file that changes module
// resolution.
func isModuleFile(base string) bool {
	switch base {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	return false
}

// classifyPath applies the decision table to one clean absolute path.
func (g *Graph) classifyPath(p string) verdict {
	base, dir, rel := filepath.Base(p), filepath.Dir(p), g.relPath(p)
	if isModuleFile(base) && slices.Contains(g.roots, dir) {
		return g.all(Rebuild, rel+" changed", true)
	}
	root := g.rootOf(p)
	if root == "" {
		return g.all(None, rel+" is outside the workspace", false)
	}
	info, statErr := os.Stat(p)
	exists := statErr == nil
	_, known := g.files[p]
	embedders, embedded := g.embeds[p]
	if exists && info.IsDir() || !exists && !known && !embedded {
		if v, ok := g.classifyDir(p, rel, exists); ok {
			return v
		}
	}
	if embedded {
		if exists {
			return g.affect(embedders, rel+" changed", false)
		}
		return g.affect(embedders, rel+" deleted", true)
	}
	if exists {
		if pis := g.embedMatches(p, root); len(pis) > 0 {
			return g.affect(pis, rel+" added", true)
		}
	}
	if strings.HasSuffix(base, "_test.go") {
		return g.all(None, rel+" is a test file", false)
	}
	if d := ignoredDir(root, dir); d != "" {
		return g.all(None, rel+" is in "+d+", which the go command ignores", false)
	}
	ext := filepath.Ext(base)
	if known || ext == ".go" || isSourceExt(ext) {
		return g.classifySource(p, rel, exists)
	}
	if g.restartMatch(p, root) {
		return g.all(Restart, rel+" is loaded at run time", false)
	}
	return g.all(None, rel+" is not part of any build", false)
}

// classifyDir handles a path that is a directory, or a deleted path that
// may have been one. ok is false when the graph knows nothing below p and
// p may as well have been a file.
func (g *Graph) classifyDir(p, rel string, exists bool) (verdict, bool) {
	var pis []*pkgInfo
	for _, pi := range g.byDir {
		if within(pi.dir, p) {
			pis = append(pis, pi)
		}
	}
	for f, embedders := range g.embeds {
		if within(f, p) {
			pis = append(pis, embedders...)
		}
	}
	what := rel + "/ deleted"
	if exists {
		what = rel + "/ changed"
	}
	switch {
	case len(pis) > 0:
		slices.SortFunc(pis, func(a, b *pkgInfo) int { return strings.Compare(a.path, b.path) })
		return g.affect(slices.Compact(pis), what, true), true
	case exists:
		return g.all(None, rel+"/ holds no package of the graph", false), true
	}
	return verdict{}, false
}

// classifySource handles a .go, cgo, assembly or .syso file.
func (g *Graph) classifySource(p, rel string, exists bool) verdict {
	base, dir := filepath.Base(p), filepath.Dir(p)
	e, known := g.files[p]
	pi := e.pkg
	if !known {
		pi = g.byDir[dir]
	}
	active := known && e.kind != kindIgnored
	if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
		return g.all(None, rel+" is ignored by the go command (name starts with _ or .)", false)
	}
	if pi == nil {
		pkgDir := "./" + g.relPath(dir)
		if g.auto && filepath.Ext(base) == ".go" && exists {
			if sig, err := readSignature(p); err == nil && sig.pkg == "main" {
				return g.all(None, pkgDir+" is a new main package, not a target yet ("+rel+" added)", true)
			}
		}
		return g.all(None, pkgDir+" is not imported by any target ("+rel+")", false)
	}
	var match, unreadable bool
	if exists {
		var err error
		match, err = g.bctx.MatchFile(dir, base)
		if err != nil {
			// A file that still exists but whose header the go command
			// cannot read (a NUL byte, bad encoding) breaks the package's
			// build: rebuild, so the compiler reports it on this file.
			_, statErr := os.Stat(p)
			unreadable = statErr == nil
			exists = unreadable
		}
	}
	switch {
	case unreadable:
		return g.affect([]*pkgInfo{pi}, rel+" does not parse", true)
	case !exists && active:
		return g.affect([]*pkgInfo{pi}, rel+" deleted", true)
	case !exists && known:
		return g.all(None, rel+" is excluded by build constraints", false)
	case !exists:
		return g.all(None, rel+" was never part of the build", false)
	case !match && active:
		return g.affect([]*pkgInfo{pi}, rel+" is now excluded by build constraints", true)
	case !match:
		return g.all(None, rel+" is excluded by build constraints", false)
	case known && e.kind == kindGo:
		sig, err := readSignature(p)
		if err == nil && sig != e.sig {
			return g.affect([]*pkgInfo{pi}, rel+" changed its imports, package clause or embeds", true)
		}
		return g.affect([]*pkgInfo{pi}, rel+" changed", false)
	case active:
		return g.affect([]*pkgInfo{pi}, rel+" changed", false)
	case known:
		return g.affect([]*pkgInfo{pi}, rel+" is now included by build constraints", true)
	}
	return g.affect([]*pkgInfo{pi}, rel+" added", true)
}

// all gives every target the same action and reason.
func (g *Graph) all(a Action, reason string, reload bool) verdict {
	v := verdict{reload: reload, actions: make([]Action, len(g.targets)), reasons: make([]string, len(g.targets))}
	for i := range g.targets {
		v.actions[i] = a
		v.reasons[i] = reason
	}
	return v
}

// affect rebuilds the targets that reach any of pis; what names the file
// and how it changed.
func (g *Graph) affect(pis []*pkgInfo, what string, reload bool) verdict {
	v := g.all(None, "", reload)
	names := make([]string, len(pis))
	for j, pi := range pis {
		names[j] = g.pkgName(pi.path)
	}
	reached := false
	for i := range g.targets {
		for _, pi := range pis {
			if _, ok := g.reach[i][pi.path]; ok {
				v.actions[i] = Rebuild
				v.reasons[i] = g.chain(i, pi.path) + " (" + what + ")"
				reached = true
				break
			}
		}
	}
	for i, t := range g.targets {
		switch {
		case v.actions[i] == Rebuild:
		case reached:
			v.reasons[i] = strings.Join(names, ", ") + " is not imported by " + t.Name + " (" + what + ")"
		default:
			v.reasons[i] = strings.Join(names, ", ") + " is not imported by any target (" + what + ")"
		}
	}
	return v
}

// embedMatches returns the packages in p's ancestor directories (up to
// root) with an embed pattern that matches p.
func (g *Graph) embedMatches(p, root string) []*pkgInfo {
	var pis []*pkgInfo
	for dir := filepath.Dir(p); within(dir, root); dir = filepath.Dir(dir) {
		if pi := g.byDir[dir]; pi != nil {
			rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
			for _, pat := range pi.embedPatterns {
				if embedMatch(pat, rel) {
					pis = append(pis, pi)
					break
				}
			}
		}
		if dir == root {
			break
		}
	}
	return pis
}

// embedMatch reports whether the //go:embed pattern pat (relative to the
// package directory) covers the file rel: directly, or through a directory
// it names, which covers the files below except those in or named by an
// element starting with . or _ (unless pat has the all: prefix).
func embedMatch(pat, rel string) bool {
	pat, all := strings.CutPrefix(pat, "all:")
	if ok, _ := path.Match(pat, rel); ok {
		return true
	}
	elems := strings.Split(rel, "/")
	for i := 1; i < len(elems); i++ {
		if ok, _ := path.Match(pat, strings.Join(elems[:i], "/")); !ok {
			continue
		}
		if all {
			return true
		}
		for _, e := range elems[i:] {
			if strings.HasPrefix(e, ".") || strings.HasPrefix(e, "_") {
				return false
			}
		}
		return true
	}
	return false
}

// ignoredDir returns the first directory between root and dir that the go
// command ignores (testdata, or a name starting with . or _), or "".
func ignoredDir(root, dir string) string {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." {
		return ""
	}
	for _, e := range strings.Split(filepath.ToSlash(rel), "/") {
		if e == "testdata" || strings.HasPrefix(e, ".") || strings.HasPrefix(e, "_") {
			return e + "/"
		}
	}
	return ""
}

// restartMatch reports whether p matches a restart glob, relative to the
// workspace root, or to its own root if it lies outside the workspace root.
func (g *Graph) restartMatch(p, root string) bool {
	base := g.dir
	if !within(p, g.dir) {
		base = root
	}
	rel, err := filepath.Rel(base, p)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	for _, glob := range g.globs {
		if doublestar.MatchUnvalidated(glob, rel) {
			return true
		}
	}
	return false
}
