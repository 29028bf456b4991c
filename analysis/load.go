package analysis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/tools/go/packages"
)

// ginPath is the import path whose presence in a main package's dependency
// closure makes that package a target.
const ginPath = "github.com/gin-gonic/gin"

// httpPath is the import path that makes a main package a target when no
// main package depends on Gin and it is the only one depending on it.
const httpPath = "net/http"

// ErrNoTarget is returned (wrapped, with the candidate main packages and the
// --target flag or ginhot.toml line that picks each) by [Load] when no
// target was named, no main package depends on Gin, and not exactly one
// depends on net/http.
var ErrNoTarget = errors.New("analysis: no Gin main package")

// Options says what to load and how to judge changes.
type Options struct {
	// Dir is the workspace root: the directory holding go.mod or go.work.
	Dir string
	// Targets are explicit targets: import paths, or directories relative
	// to Dir written as "./cmd/api". Empty means every main package that
	// depends on github.com/gin-gonic/gin or, when there is none, the only
	// main package that depends on net/http (see [Graph.Notice]).
	Targets []string
	// RestartGlobs are doublestar globs, relative to Dir, of files the app
	// loads at run time. Nil means [DefaultRestartGlobs].
	RestartGlobs []string
	// Tags are build tags, passed to go list as -tags and used to judge
	// the build constraints of new files.
	Tags []string
	// Env is appended to os.Environ() for go list and for judging build
	// constraints (GOOS, GOARCH, CGO_ENABLED).
	Env []string
	// KeepGoing makes a named target that is not there, and a workspace
	// with no target at all, no error: the graph has the targets it found,
	// and [Graph.Missing] says what it could not find. A session reloading
	// the graph while mains come and go sets it.
	KeepGoing bool
}

// DefaultRestartGlobs returns the globs used when [Options.RestartGlobs] is
// nil: HTML templates anywhere in the workspace.
func DefaultRestartGlobs() []string {
	return []string{"**/*.tmpl", "**/*.gohtml", "**/*.html"}
}

// Load runs go list (through go/packages) once in opts.Dir and returns the
// immutable package graph with its targets. Packages with errors are kept:
// broken user code is the build's business, not the loader's.
func Load(ctx context.Context, opts Options) (*Graph, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	if _, err := exec.LookPath("go"); err != nil {
		return nil, fmt.Errorf("analysis: go command not found in PATH: %w", err)
	}
	globs := opts.RestartGlobs
	if globs == nil {
		globs = DefaultRestartGlobs()
	}
	for _, g := range globs {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("analysis: invalid restart glob %q", g)
		}
	}
	env := append(os.Environ(), "GOPACKAGESDRIVER=off")
	env = append(env, opts.Env...)

	patterns, uses, err := loadPatterns(dir, env)
	if err != nil {
		return nil, err
	}
	cfg := &packages.Config{
		Context: ctx,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedDeps |
			packages.NeedEmbedFiles | packages.NeedEmbedPatterns | packages.NeedModule,
		Dir: dir,
		Env: env,
	}
	if len(opts.Tags) > 0 {
		cfg.BuildFlags = []string{"-tags=" + strings.Join(opts.Tags, ",")}
	}
	roots, err := packages.Load(cfg, patterns...)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("analysis: go command not found in PATH: %w", err)
		}
		return nil, fmt.Errorf("analysis: load %s: %w", dir, err)
	}

	g := &Graph{
		dir:     dir,
		globs:   globs,
		bctx:    buildContext(opts.Tags, env),
		pkgs:    map[string]*pkgInfo{},
		byDir:   map[string]*pkgInfo{},
		files:   map[string]fileEntry{},
		embeds:  map[string][]*pkgInfo{},
		imports: map[string][]string{},
		cgo:     map[string]bool{},
	}
	g.index(roots, uses)
	if err := g.pickTargets(opts.Targets, opts.KeepGoing); err != nil {
		return nil, err
	}
	return g, nil
}

// loadPatterns returns the go list patterns for dir and, in workspace mode,
// the absolute directories of go.work's use directives. At a go.work root
// "./..." matches nothing unless the root is itself a module, so each used
// module gets its own pattern.
func loadPatterns(dir string, env []string) ([]string, []string, error) {
	work := filepath.Join(dir, "go.work")
	_, werr := os.Stat(work)
	_, merr := os.Stat(filepath.Join(dir, "go.mod"))
	if werr == nil && lastEnv(env, "GOWORK") != "off" {
		uses, err := parseUses(work)
		if err != nil {
			return nil, nil, err
		}
		var patterns []string
		for _, u := range uses {
			rel, err := filepath.Rel(dir, u)
			if err != nil {
				return nil, nil, fmt.Errorf("analysis: go.work use %s: %w", u, err)
			}
			patterns = append(patterns, "./"+filepath.ToSlash(filepath.Join(rel, "...")))
		}
		if len(patterns) == 0 {
			return nil, nil, fmt.Errorf("analysis: %s has no use directives", work)
		}
		return patterns, uses, nil
	}
	if merr != nil {
		return nil, nil, fmt.Errorf("analysis: not a Go module: no go.mod or go.work in %s", dir)
	}
	return []string{"./..."}, nil, nil
}

// parseUses returns the absolute directories named by the use directives of
// the go.work file at path.
func parseUses(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("analysis: read go.work: %w", err)
	}
	wf, err := modfile.ParseWork(path, data, nil)
	if err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	var uses []string
	for _, u := range wf.Use {
		dir := u.Path
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(filepath.Dir(path), dir)
		}
		uses = append(uses, filepath.Clean(dir))
	}
	return uses, nil
}

// lastEnv returns the value of the last KEY=value entry in env.
func lastEnv(env []string, key string) string {
	val := ""
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			val = v
		}
	}
	return val
}

// buildContext returns the go/build context that judges the build
// constraints of files the graph has not seen, matching go list's view.
func buildContext(tags, env []string) build.Context {
	c := build.Default
	c.BuildTags = slices.Clone(tags)
	if v := lastEnv(env, "GOOS"); v != "" {
		c.GOOS = v
	}
	if v := lastEnv(env, "GOARCH"); v != "" {
		c.GOARCH = v
	}
	switch lastEnv(env, "CGO_ENABLED") {
	case "1":
		c.CgoEnabled = true
	case "0":
		c.CgoEnabled = false
	case "":
		if c.GOOS != runtime.GOOS || c.GOARCH != runtime.GOARCH {
			c.CgoEnabled = false
		}
	}
	return c
}

// index fills the graph's maps from the loaded packages.
func (g *Graph) index(roots []*packages.Package, uses []string) {
	rootSet := map[string]bool{g.dir: true}
	for _, u := range uses {
		rootSet[u] = true
	}
	modules := map[string]string{} // local module path → dir
	var missing []*packages.Package
	packages.Visit(roots, nil, func(p *packages.Package) {
		for _, imp := range p.Imports {
			g.imports[p.PkgPath] = append(g.imports[p.PkgPath], imp.PkgPath)
		}
		slices.Sort(g.imports[p.PkgPath])
		if p.Name == "main" {
			g.mains = append(g.mains, p.PkgPath)
		}
		modDir := localModuleDir(p.Module)
		if p.Module != nil && (p.Imports["runtime/cgo"] != nil || p.Imports["plugin"] != nil || modDir == "" && usesCgo(p)) {
			g.cgo[p.PkgPath] = true
		}
		if modDir == "" || p.Dir == "" {
			if p.Dir == "" && len(p.Errors) > 0 {
				missing = append(missing, p)
			}
			return
		}
		rootSet[modDir] = true
		modules[p.Module.Path] = modDir
		pi := &pkgInfo{path: p.PkgPath, dir: p.Dir, main: p.Name == "main"}
		for _, pat := range p.EmbedPatterns {
			pi.embedPatterns = append(pi.embedPatterns, strings.TrimPrefix(pat, p.Dir+string(filepath.Separator)))
		}
		g.pkgs[p.PkgPath] = pi
		g.byDir[p.Dir] = pi
		for _, f := range p.GoFiles {
			sig, _ := readSignature(f)
			if strings.Contains(sig.imports, `"C"`) {
				// go list included a cgo file, so cgo is on for this build.
				g.bctx.CgoEnabled = true
				g.cgo[p.PkgPath] = true
			}
			g.files[f] = fileEntry{pkg: pi, kind: kindGo, sig: sig}
		}
		for _, f := range p.OtherFiles {
			g.files[f] = fileEntry{pkg: pi, kind: kindOther}
		}
		for _, f := range p.IgnoredFiles {
			g.files[f] = fileEntry{pkg: pi, kind: kindIgnored}
		}
		for _, f := range p.EmbedFiles {
			g.embeds[f] = append(g.embeds[f], pi)
		}
	})
	// An imported package that does not exist yet but would live in a local
	// module gets its future directory, so creating it triggers a build.
	for _, p := range missing {
		if dir := pendingDir(p.PkgPath, modules); dir != "" {
			if _, taken := g.byDir[dir]; !taken {
				pi := &pkgInfo{path: p.PkgPath, dir: dir, missing: true}
				g.pkgs[p.PkgPath] = pi
				g.byDir[dir] = pi
			}
		}
	}
	for r := range rootSet {
		g.roots = append(g.roots, r)
	}
	slices.Sort(g.roots)
	for m := range modules {
		g.modules = append(g.modules, m)
	}
	slices.Sort(g.modules)
	slices.Sort(g.mains)
}

// usesCgo reports whether one of the files of p, a package from the module
// cache, imports "C". Only files that mention "C" at all are parsed.
func usesCgo(p *packages.Package) bool {
	for _, f := range p.GoFiles {
		src, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(src, []byte(`"C"`)) {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, imp := range af.Imports {
			if imp.Path.Value == `"C"` {
				return true
			}
		}
	}
	return false
}

// localModuleDir returns the directory of m if it is edited locally: a
// workspace (main) module or a module replaced by a directory. Modules from
// the module cache and the standard library return "".
func localModuleDir(m *packages.Module) string {
	switch {
	case m == nil:
		return ""
	case m.Main:
		return m.Dir
	case m.Replace != nil && m.Replace.Version == "":
		if m.Replace.Dir != "" {
			return m.Replace.Dir
		}
		return m.Dir
	}
	return ""
}

// pendingDir returns the directory that import path p would have inside the
// local module with the longest matching path, or "".
func pendingDir(p string, modules map[string]string) string {
	best, dir := "", ""
	for mod, mdir := range modules {
		if (p == mod || strings.HasPrefix(p, mod+"/")) && len(mod) > len(best) {
			best = mod
			dir = filepath.Join(mdir, filepath.FromSlash(strings.TrimPrefix(p, mod)))
		}
	}
	return dir
}

// readSignature reads what of a .go file can change the graph: its package
// clause, import set and //go:embed directives.
func readSignature(path string) (signature, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return signature{}, err
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
	if err != nil {
		return signature{}, err
	}
	imps := make([]string, 0, len(f.Imports))
	for _, s := range f.Imports {
		imps = append(imps, s.Path.Value)
	}
	slices.Sort(imps)
	imps = slices.Compact(imps)
	var embeds []string
	for line := range bytes.Lines(src) {
		line = bytes.TrimSpace(line)
		if bytes.HasPrefix(line, []byte("//go:embed")) {
			embeds = append(embeds, string(line))
		}
	}
	return signature{
		pkg:     f.Name.Name,
		imports: strings.Join(imps, " "),
		embeds:  strings.Join(embeds, "\n"),
	}, nil
}

// pickTargets resolves explicit targets, or finds the Gin (else net/http) mains, and
// computes each target's reach. With keepGoing, what cannot be found goes to
// g.missing instead of failing the load.
func (g *Graph) pickTargets(explicit []string, keepGoing bool) error {
	var picked []*pkgInfo
	if len(explicit) > 0 {
		for _, t := range explicit {
			pi, err := g.resolveTarget(t)
			switch {
			case err != nil && keepGoing:
				g.missing = append(g.missing, err.Error())
			case err != nil:
				return err
			case !slices.Contains(picked, pi):
				picked = append(picked, pi)
			}
		}
	} else {
		g.auto = true
		var err error
		picked, err = g.autoTargets()
		switch {
		case err != nil && keepGoing:
			g.missing = append(g.missing, err.Error())
		case err != nil:
			return err
		}
	}
	for _, pi := range picked {
		g.targets = append(g.targets, Target{Path: pi.path, Dir: pi.dir, Name: g.pkgName(pi.path)})
	}
	if len(explicit) == 0 {
		slices.SortFunc(g.targets, func(a, b Target) int { return strings.Compare(a.Name, b.Name) })
	}
	for i, t := range g.targets {
		reach := g.bfs(t.Path)
		g.reach = append(g.reach, reach)
		var cgo []string
		for pkg := range reach {
			if g.cgo[pkg] {
				cgo = append(cgo, pkg)
			}
		}
		if len(cgo) > 0 {
			g.targets[i].Cgo = slices.Min(cgo)
		}
	}
	return nil
}

// autoTargets returns the main packages that depend on Gin or, when there
// are none, the single main package that depends on net/http (setting the
// graph's notice to say so). Several net/http mains, or none, are an error
// that lists the candidates with the line that picks each.
func (g *Graph) autoTargets() ([]*pkgInfo, error) {
	var mains, gin, web []*pkgInfo
	for _, m := range g.mains {
		pi := g.pkgs[m]
		if pi == nil {
			continue
		}
		mains = append(mains, pi)
		deps := g.bfs(m)
		if _, ok := deps[ginPath]; ok {
			gin = append(gin, pi)
		}
		if _, ok := deps[httpPath]; ok {
			web = append(web, pi)
		}
	}
	switch {
	case len(gin) > 0:
		return gin, nil
	case len(mains) == 0:
		return nil, fmt.Errorf("%w in %s: no main packages found", ErrNoTarget, g.dir)
	case len(web) == 1:
		name := g.pkgName(web[0].path)
		g.notice = fmt.Sprintf("no main package imports Gin: running %s, the only one that imports net/http; "+
			"to pin it, pass --target %s or put targets = [%q] in ginhot.toml", name, name, name)
		return web, nil
	case len(web) > 1:
		all := make([]string, len(web))
		for i, pi := range web {
			all[i] = strconv.Quote(g.pkgName(pi.path))
		}
		return nil, fmt.Errorf("%w in %s, and %d main packages import net/http; pick the one to run:\n%s\n  (to run all of them: targets = [%s] in ginhot.toml)",
			ErrNoTarget, g.dir, len(web), g.pickLines(web), strings.Join(all, ", "))
	}
	return nil, fmt.Errorf("%w in %s, and no main package imports net/http; if one of these serves HTTP, pick it:\n%s",
		ErrNoTarget, g.dir, g.pickLines(mains))
}

// pickLines renders, for each package, the flag and the ginhot.toml line
// that make it the target, one indented line each.
func (g *Graph) pickLines(pkgs []*pkgInfo) string {
	var b strings.Builder
	for i, pi := range pkgs {
		if i > 0 {
			b.WriteByte('\n')
		}
		name := g.pkgName(pi.path)
		fmt.Fprintf(&b, "  %s: --target %s   or   targets = [%q] in ginhot.toml", name, name, name)
	}
	return b.String()
}

// resolveTarget finds the local main package named by t. A directory that
// holds no package ("./cmd", or the pattern "./cmd/...") names the only main
// package below it, as air users write `go build ./cmd/...`; with several
// below it, the error lists each with the line that picks it.
func (g *Graph) resolveTarget(t string) (*pkgInfo, error) {
	var pi *pkgInfo
	if t == "." || strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../") || filepath.IsAbs(t) {
		pattern := strings.HasSuffix(t, "/...")
		dir := strings.TrimSuffix(t, "/...")
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(g.dir, filepath.FromSlash(dir))
		}
		dir = filepath.Clean(dir)
		if pi = g.byDir[dir]; pi == nil || pi.missing || pattern && !pi.main {
			if below, err := g.mainBelow(t, dir); below != nil || err != nil {
				return below, err
			}
		}
	} else {
		pi = g.pkgs[t]
	}
	switch {
	case pi == nil || pi.missing:
		return nil, fmt.Errorf("analysis: target %s: no such package in %s", t, g.dir)
	case !pi.main:
		return nil, fmt.Errorf("analysis: target %s: %s is not a main package", t, pi.path)
	}
	return pi, nil
}

// mainBelow returns the only main package in a directory below dir, for the
// target t that names dir; nil if there is none. Choosing one says so in the
// graph's notice; several are an error that lists them.
func (g *Graph) mainBelow(t, dir string) (*pkgInfo, error) {
	var below []*pkgInfo
	for _, m := range g.mains {
		if pi := g.pkgs[m]; pi != nil && pi.dir != dir && within(pi.dir, dir) {
			below = append(below, pi)
		}
	}
	slices.SortFunc(below, func(a, b *pkgInfo) int { return strings.Compare(a.dir, b.dir) })
	switch len(below) {
	case 0:
		return nil, nil
	case 1:
		name := g.pkgName(below[0].path)
		msg := fmt.Sprintf("target %s holds no package: running %s, the only main package below it; to pin it, put targets = [%q] in ginhot.toml", t, name, name)
		if g.notice != "" {
			msg = g.notice + "; " + msg
		}
		g.notice = msg
		return below[0], nil
	}
	all := make([]string, len(below))
	for i, pi := range below {
		all[i] = strconv.Quote(g.pkgName(pi.path))
	}
	return nil, fmt.Errorf("analysis: target %s holds no package, and %d main packages lie below it; pick the one to run:\n%s\n  (to run all of them: targets = [%s] in ginhot.toml)",
		t, len(below), g.pickLines(below), strings.Join(all, ", "))
}

// bfs returns, for every package reachable from root, the package that
// imports it on a shortest import chain from root (root maps to "").
func (g *Graph) bfs(root string) map[string]string {
	parent := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range g.imports[p] {
			if _, ok := parent[imp]; !ok {
				parent[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return parent
}
