package analysis

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ginhotd/ginhotd/internal/testkit"
	"github.com/google/go-cmp/cmp"
)

// testEnv keeps go list offline and on the installed toolchain.
func testEnv(extra ...string) []string {
	return append([]string{"GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly"}, extra...)
}

// load loads dir with opts (Dir and, when empty, Env filled in).
func load(t testing.TB, dir string, opts Options) *Graph {
	t.Helper()
	opts.Dir = dir
	if opts.Env == nil {
		opts.Env = testEnv("GOWORK=off")
	}
	g, err := Load(context.Background(), opts)
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return g
}

// copyFixture copies testdata/name into a fresh temporary directory and
// returns the copy's absolute path.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	return testkit.CopyModule(t, filepath.Join("testdata", name))
}

// write creates or replaces the file rel below dir.
func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// outcome is a Result in a form that diffs well.
type outcome struct {
	Decisions []string
	Reload    bool
}

// classify runs Classify on paths relative to dir.
func classify(g *Graph, dir string, rels ...string) outcome {
	paths := make([]string, len(rels))
	for i, r := range rels {
		paths[i] = filepath.Join(dir, filepath.FromSlash(r))
	}
	res := g.Classify(paths)
	out := outcome{Reload: res.Reload}
	for _, d := range res.Decisions {
		out.Decisions = append(out.Decisions, d.String())
	}
	return out
}

// abs returns the absolute path of rel in this test's copy of its
// fixture (the first element of rel), made on first use.
func abs(t testing.TB, rel string) string {
	t.Helper()
	top, sub, _ := strings.Cut(rel, "/")
	copiesMu.Lock()
	defer copiesMu.Unlock()
	key := t.Name() + "\x00" + top
	dir, ok := copies[key]
	if !ok {
		dir = testkit.CopyModule(t, filepath.Join("testdata", top))
		copies[key] = dir
		t.Cleanup(func() {
			copiesMu.Lock()
			delete(copies, key)
			copiesMu.Unlock()
		})
	}
	return filepath.Join(dir, filepath.FromSlash(sub))
}

// copies holds each test's copies of fixtures, by test name and fixture.
var (
	copiesMu sync.Mutex
	copies   = map[string]string{}
)

func TestShopTargetsAndRoots(t *testing.T) {
	dir := abs(t, "shop")
	g := load(t, dir, Options{})
	// cmd/tool is a main package too, but it does not reach Gin.
	want := []Target{
		{Path: "example.com/shop/cmd/admin", Dir: filepath.Join(dir, "cmd/admin"), Name: "./cmd/admin"},
		{Path: "example.com/shop/cmd/api", Dir: filepath.Join(dir, "cmd/api"), Name: "./cmd/api"},
	}
	if diff := cmp.Diff(want, g.Targets()); diff != "" {
		t.Errorf("Targets() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{dir, filepath.Join(dir, "fakegin")}, g.Roots()); diff != "" {
		t.Errorf("Roots() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"example.com/shop", "github.com/gin-gonic/gin"}, g.Modules()); diff != "" {
		t.Errorf("Modules() mismatch (-want +got):\n%s", diff)
	}
}

// TestShopDecisionTable has one row per line of the decision table, on an
// unmodified fixture with two Gin mains (./cmd/api, ./cmd/admin) and one
// plain main (./cmd/tool).
func TestShopDecisionTable(t *testing.T) {
	dir := abs(t, "shop")
	g := load(t, dir, Options{})
	both := func(s string) []string { return []string{"%s ./cmd/admin: " + s, "%s ./cmd/api: " + s} }
	fill := func(action string, lines []string) []string {
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = strings.Replace(l, "%s", action, 1)
		}
		return out
	}
	tests := []struct {
		name  string
		paths []string
		want  outcome
	}{
		{"go.mod", []string{"go.mod"}, outcome{fill("rebuild", both("go.mod changed")), true}},
		{"go.sum", []string{"go.sum"}, outcome{fill("rebuild", both("go.sum changed")), true}},
		{"go.mod of a replaced local module", []string{"fakegin/go.mod"}, outcome{fill("rebuild", both("fakegin/go.mod changed")), true}},
		{"test file", []string{"internal/handlers/handlers_test.go"}, outcome{fill("none", both("internal/handlers/handlers_test.go is a test file")), false}},
		{"testdata", []string{"internal/handlers/testdata/golden.txt"}, outcome{fill("none", both("internal/handlers/testdata/golden.txt is in testdata/, which the go command ignores")), false}},
		{"underscore dir", []string{"_scratch/scratch.go"}, outcome{fill("none", both("_scratch/scratch.go is in _scratch/, which the go command ignores")), false}},
		{"excluded by build constraints", []string{"internal/store/debug.go"}, outcome{fill("none", both("internal/store/debug.go is excluded by build constraints")), false}},
		{"leaf package reached by one target", []string{"internal/store/store.go"}, outcome{[]string{
			"none ./cmd/admin: ./internal/store is not imported by ./cmd/admin (internal/store/store.go changed)",
			"rebuild ./cmd/api: ./cmd/api → ./internal/handlers → ./internal/store (internal/store/store.go changed)",
		}, false}},
		{"package reached by the other target", []string{"internal/admin/admin.go"}, outcome{[]string{
			"rebuild ./cmd/admin: ./cmd/admin → ./internal/admin (internal/admin/admin.go changed)",
			"none ./cmd/api: ./internal/admin is not imported by ./cmd/api (internal/admin/admin.go changed)",
		}, false}},
		{"package reached by both targets", []string{"fakegin/gin.go"}, outcome{[]string{
			"rebuild ./cmd/admin: ./cmd/admin → ./fakegin (fakegin/gin.go changed)",
			"rebuild ./cmd/api: ./cmd/api → ./fakegin (fakegin/gin.go changed)",
		}, false}},
		{"package of a non-target main only", []string{"cmd/tool/main.go"}, outcome{fill("none", both("./cmd/tool is not imported by any target (cmd/tool/main.go changed)")), false}},
		{"package imported by no one", []string{"internal/unused/unused.go"}, outcome{fill("none", both("./internal/unused is not imported by any target (internal/unused/unused.go changed)")), false}},
		{"directory that is no package", []string{"internal/nopkg/x.go"}, outcome{fill("none", both("./internal/nopkg is not imported by any target (internal/nopkg/x.go)")), false}},
		{"embedded through a directory pattern", []string{"internal/admin/static/app.js"}, outcome{[]string{
			"rebuild ./cmd/admin: ./cmd/admin → ./internal/admin (internal/admin/static/app.js changed)",
			"none ./cmd/api: ./internal/admin is not imported by ./cmd/api (internal/admin/static/app.js changed)",
		}, false}},
		{"embedded through a file glob", []string{"internal/admin/assets/site.css"}, outcome{[]string{
			"rebuild ./cmd/admin: ./cmd/admin → ./internal/admin (internal/admin/assets/site.css changed)",
			"none ./cmd/api: ./internal/admin is not imported by ./cmd/api (internal/admin/assets/site.css changed)",
		}, false}},
		{"embedded template is built, not restarted", []string{"internal/admin/static/index.html"}, outcome{[]string{
			"rebuild ./cmd/admin: ./cmd/admin → ./internal/admin (internal/admin/static/index.html changed)",
			"none ./cmd/api: ./internal/admin is not imported by ./cmd/api (internal/admin/static/index.html changed)",
		}, false}},
		{"file beside an embed glob it does not match", []string{"internal/admin/assets/notes.txt"}, outcome{fill("none", both("internal/admin/assets/notes.txt is not part of any build")), false}},
		{"assembly file", []string{"internal/store/store.s"}, outcome{[]string{
			"none ./cmd/admin: ./internal/store is not imported by ./cmd/admin (internal/store/store.s changed)",
			"rebuild ./cmd/api: ./cmd/api → ./internal/handlers → ./internal/store (internal/store/store.s changed)",
		}, false}},
		{"run-time template", []string{"templates/index.tmpl"}, outcome{fill("restart", both("templates/index.tmpl is loaded at run time")), false}},
		{"anything else", []string{"README.md"}, outcome{fill("none", both("README.md is not part of any build")), false}},
		{"outside the workspace", []string{"../nogin/go.mod"}, outcome{fill("none", both("../nogin/go.mod is outside the workspace")), false}},
		{"strongest action per target", []string{"README.md", "templates/index.tmpl", "internal/store/store.go"}, outcome{[]string{
			"restart ./cmd/admin: templates/index.tmpl is loaded at run time",
			"rebuild ./cmd/api: ./cmd/api → ./internal/handlers → ./internal/store (internal/store/store.go changed)",
		}, false}},
		{"reasons of equal actions are joined", []string{"internal/handlers/handlers.go", "internal/store/store.go"}, outcome{[]string{
			"none ./cmd/admin: ./internal/handlers is not imported by ./cmd/admin (internal/handlers/handlers.go changed); ./internal/store is not imported by ./cmd/admin (internal/store/store.go changed)",
			"rebuild ./cmd/api: ./cmd/api → ./internal/handlers (internal/handlers/handlers.go changed); ./cmd/api → ./internal/handlers → ./internal/store (internal/store/store.go changed)",
		}, false}},
		{"no paths", nil, outcome{fill("none", both("no change")), false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, classify(g, dir, tt.paths...)); diff != "" {
				t.Errorf("Classify(%q) mismatch (-want +got):\n%s", tt.paths, diff)
			}
		})
	}
}

// TestShopEdits changes a copy of the fixture after loading it; each row
// touches its own files, so the rows do not interfere.
func TestShopEdits(t *testing.T) {
	dir := copyFixture(t, "shop")
	g := load(t, dir, Options{})
	apiRebuild := func(what string) []string {
		return []string{
			"none ./cmd/admin: ./internal/store is not imported by ./cmd/admin (" + what + ")",
			"rebuild ./cmd/api: ./cmd/api → ./internal/handlers → ./internal/store (" + what + ")",
		}
	}
	adminRebuild := func(what string) []string {
		return []string{
			"rebuild ./cmd/admin: ./cmd/admin → ./internal/admin (" + what + ")",
			"none ./cmd/api: ./internal/admin is not imported by ./cmd/api (" + what + ")",
		}
	}
	both := func(s string) []string { return []string{"none ./cmd/admin: " + s, "none ./cmd/api: " + s} }
	tests := []struct {
		name string
		edit func(t *testing.T)
		path string
		want outcome
	}{
		{
			name: "save without import change",
			edit: func(t *testing.T) {
				write(t, dir, "internal/store/store.go", "package store\n\n// Count returns the number of items.\nfunc Count() int { return n + 1 }\n\nvar n = 3\n")
			},
			path: "internal/store/store.go",
			want: outcome{apiRebuild("internal/store/store.go changed"), false},
		},
		{
			name: "added import",
			edit: func(t *testing.T) {
				write(t, dir, "cmd/admin/main.go", "package main\n\nimport (\n\t\"strings\"\n\n\t\"example.com/shop/internal/admin\"\n\t\"github.com/gin-gonic/gin\"\n)\n\nfunc main() {\n\tr := gin.New()\n\tadmin.Mount(r)\n\t_ = r.Run(strings.TrimSpace(\":8080\"))\n}\n")
			},
			path: "cmd/admin/main.go",
			want: outcome{[]string{
				"rebuild ./cmd/admin: ./cmd/admin (cmd/admin/main.go changed its imports, package clause or embeds)",
				"none ./cmd/api: ./cmd/admin is not imported by ./cmd/api (cmd/admin/main.go changed its imports, package clause or embeds)",
			}, true},
		},
		{
			name: "added embed directive",
			edit: func(t *testing.T) {
				write(t, dir, "cmd/api/main.go", "package main\n\nimport (\n\t_ \"embed\"\n\n\t\"example.com/shop/internal/handlers\"\n\t\"github.com/gin-gonic/gin\"\n)\n\n//go:embed banner.txt\nvar banner string\n\nfunc main() {\n\tr := gin.New()\n\thandlers.Register(r)\n\t_ = r.Run()\n}\n")
			},
			path: "cmd/api/main.go",
			want: outcome{[]string{
				"none ./cmd/admin: ./cmd/api is not imported by ./cmd/admin (cmd/api/main.go changed its imports, package clause or embeds)",
				"rebuild ./cmd/api: ./cmd/api (cmd/api/main.go changed its imports, package clause or embeds)",
			}, true},
		},
		{
			name: "new file",
			edit: func(t *testing.T) { write(t, dir, "internal/store/extra.go", "package store\n\nfunc extra() {}\n") },
			path: "internal/store/extra.go",
			want: outcome{apiRebuild("internal/store/extra.go added"), true},
		},
		{
			name: "new cgo file",
			edit: func(t *testing.T) { write(t, dir, "internal/store/helper.c", "int helper(void) { return 1; }\n") },
			path: "internal/store/helper.c",
			want: outcome{apiRebuild("internal/store/helper.c added"), true},
		},
		{
			name: "new file excluded by a build tag",
			edit: func(t *testing.T) {
				write(t, dir, "internal/store/trace.go", "//go:build debug\n\npackage store\n")
			},
			path: "internal/store/trace.go",
			want: outcome{both("internal/store/trace.go is excluded by build constraints"), false},
		},
		{
			name: "new file excluded by its name",
			edit: func(t *testing.T) { write(t, dir, "internal/store/store_windows.go", "package store\n") },
			path: "internal/store/store_windows.go",
			want: outcome{both("internal/store/store_windows.go is excluded by build constraints"), false},
		},
		{
			name: "build tag removed",
			edit: func(t *testing.T) {
				write(t, dir, "internal/store/debug.go", "package store\n\nfunc init() { n = 0 }\n")
			},
			path: "internal/store/debug.go",
			want: outcome{apiRebuild("internal/store/debug.go is now included by build constraints"), true},
		},
		{
			name: "new file with a NUL byte",
			edit: func(t *testing.T) { write(t, dir, "internal/store/x.go", "package store\n\x00\n") },
			path: "internal/store/x.go",
			want: outcome{apiRebuild("internal/store/x.go does not parse"), true},
		},
		{
			name: "new file with garbage before the package clause",
			edit: func(t *testing.T) { write(t, dir, "internal/store/y.go", "garbage\npackage store\n") },
			path: "internal/store/y.go",
			want: outcome{apiRebuild("internal/store/y.go added"), true},
		},
		{
			name: "excluded file gains a NUL byte",
			edit: func(t *testing.T) {
				write(t, dir, "internal/store/debug.go", "\x00//go:build debug\n\npackage store\n")
			},
			path: "internal/store/debug.go",
			want: outcome{apiRebuild("internal/store/debug.go does not parse"), true},
		},
		{
			name: "new test file",
			edit: func(t *testing.T) { write(t, dir, "internal/store/store_test.go", "package store\n") },
			path: "internal/store/store_test.go",
			want: outcome{both("internal/store/store_test.go is a test file"), false},
		},
		{
			name: "deleted file",
			edit: func(t *testing.T) {
				if err := os.Remove(filepath.Join(dir, "fakegin/gin.go")); err != nil {
					t.Fatal(err)
				}
			},
			path: "fakegin/gin.go",
			want: outcome{[]string{
				"rebuild ./cmd/admin: ./cmd/admin → ./fakegin (fakegin/gin.go deleted)",
				"rebuild ./cmd/api: ./cmd/api → ./fakegin (fakegin/gin.go deleted)",
			}, true},
		},
		{
			name: "deleted file no target reaches",
			edit: func(t *testing.T) {
				if err := os.Remove(filepath.Join(dir, "internal/unused/unused.go")); err != nil {
					t.Fatal(err)
				}
			},
			path: "internal/unused/unused.go",
			want: outcome{both("./internal/unused is not imported by any target (internal/unused/unused.go deleted)"), true},
		},
		{
			name: "deleted package directory",
			edit: func(t *testing.T) {
				if err := os.RemoveAll(filepath.Join(dir, "internal/handlers")); err != nil {
					t.Fatal(err)
				}
			},
			path: "internal/handlers",
			want: outcome{[]string{
				"none ./cmd/admin: ./internal/handlers is not imported by ./cmd/admin (internal/handlers/ deleted)",
				"rebuild ./cmd/api: ./cmd/api → ./internal/handlers (internal/handlers/ deleted)",
			}, true},
		},
		{
			name: "new file matching an embedded directory",
			edit: func(t *testing.T) { write(t, dir, "internal/admin/static/js/new.js", "1\n") },
			path: "internal/admin/static/js/new.js",
			want: outcome{adminRebuild("internal/admin/static/js/new.js added"), true},
		},
		{
			name: "new file matching an embed glob",
			edit: func(t *testing.T) { write(t, dir, "internal/admin/assets/new.css", "p{}\n") },
			path: "internal/admin/assets/new.css",
			want: outcome{adminRebuild("internal/admin/assets/new.css added"), true},
		},
		{
			name: "new hidden file under an embedded directory",
			edit: func(t *testing.T) { write(t, dir, "internal/admin/static/_draft.js", "1\n") },
			path: "internal/admin/static/_draft.js",
			want: outcome{both("internal/admin/static/_draft.js is not part of any build"), false},
		},
		{
			name: "new hidden file under an all: embedded directory",
			edit: func(t *testing.T) { write(t, dir, "internal/admin/private/_more.txt", "1\n") },
			path: "internal/admin/private/_more.txt",
			want: outcome{adminRebuild("internal/admin/private/_more.txt added"), true},
		},
		{
			name: "deleted embedded file",
			edit: func(t *testing.T) {
				if err := os.Remove(filepath.Join(dir, "internal/admin/assets/site.css")); err != nil {
					t.Fatal(err)
				}
			},
			path: "internal/admin/assets/site.css",
			want: outcome{adminRebuild("internal/admin/assets/site.css deleted"), true},
		},
		{
			name: "new file in a new directory",
			edit: func(t *testing.T) { write(t, dir, "internal/newpkg/newpkg.go", "package newpkg\n") },
			path: "internal/newpkg/newpkg.go",
			want: outcome{both("./internal/newpkg is not imported by any target (internal/newpkg/newpkg.go)"), false},
		},
		{
			name: "new main package",
			edit: func(t *testing.T) { write(t, dir, "cmd/worker/main.go", "package main\n\nfunc main() {}\n") },
			path: "cmd/worker/main.go",
			want: outcome{both("./cmd/worker is a new main package, not a target yet (cmd/worker/main.go added)"), true},
		},
		{
			name: "new template",
			edit: func(t *testing.T) { write(t, dir, "templates/about.gohtml", "about\n") },
			path: "templates/about.gohtml",
			want: outcome{[]string{
				"restart ./cmd/admin: templates/about.gohtml is loaded at run time",
				"restart ./cmd/api: templates/about.gohtml is loaded at run time",
			}, false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.edit(t)
			if diff := cmp.Diff(tt.want, classify(g, dir, tt.path)); diff != "" {
				t.Errorf("Classify(%s) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

// TestMissingPackageAppears: a target imports a package that does not exist
// yet; creating it must rebuild that target, not be ignored as a directory
// outside the graph.
func TestMissingPackageAppears(t *testing.T) {
	dir := copyFixture(t, "shop")
	write(t, dir, "internal/handlers/handlers.go", "package handlers\n\nimport (\n\t\"example.com/shop/internal/future\"\n\t\"github.com/gin-gonic/gin\"\n)\n\n// Register adds the routes.\nfunc Register(r *gin.Engine) { future.Do() }\n")
	g := load(t, dir, Options{})
	write(t, dir, "internal/future/future.go", "package future\n\n// Do does.\nfunc Do() {}\n")
	want := outcome{[]string{
		"none ./cmd/admin: ./internal/future is not imported by ./cmd/admin (internal/future/future.go added)",
		"rebuild ./cmd/api: ./cmd/api → ./internal/handlers → ./internal/future (internal/future/future.go added)",
	}, true}
	if diff := cmp.Diff(want, classify(g, dir, "internal/future/future.go")); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestTags(t *testing.T) {
	dir := copyFixture(t, "shop")
	g := load(t, dir, Options{Tags: []string{"debug"}})
	write(t, dir, "internal/store/trace.go", "//go:build debug\n\npackage store\n")
	want := outcome{[]string{
		"none ./cmd/admin: ./internal/store is not imported by ./cmd/admin (internal/store/debug.go changed); ./internal/store is not imported by ./cmd/admin (internal/store/trace.go added)",
		"rebuild ./cmd/api: ./cmd/api → ./internal/handlers → ./internal/store (internal/store/debug.go changed); ./cmd/api → ./internal/handlers → ./internal/store (internal/store/trace.go added)",
	}, true}
	if diff := cmp.Diff(want, classify(g, dir, "internal/store/debug.go", "internal/store/trace.go")); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestRestartGlobs(t *testing.T) {
	dir := abs(t, "shop")
	g := load(t, dir, Options{RestartGlobs: []string{"docs/*.md"}})
	tests := []struct {
		path string
		want Action
	}{
		{"docs/guide.md", Restart},
		{"templates/index.tmpl", None},
		{"README.md", None},
	}
	for _, tt := range tests {
		if got := g.Classify([]string{filepath.Join(dir, tt.path)}).Action(); got != tt.want {
			t.Errorf("Classify(%s).Action() = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestWorkspace(t *testing.T) {
	dir := abs(t, "work")
	g := load(t, dir, Options{Env: testEnv()})
	wantTargets := []Target{{Path: "example.com/api/cmd/server", Dir: filepath.Join(dir, "api/cmd/server"), Name: "./api/cmd/server"}}
	if diff := cmp.Diff(wantTargets, g.Targets()); diff != "" {
		t.Errorf("Targets() mismatch (-want +got):\n%s", diff)
	}
	wantRoots := []string{dir, filepath.Join(dir, "api"), filepath.Join(dir, "fakegin"), filepath.Join(dir, "lib")}
	if diff := cmp.Diff(wantRoots, g.Roots()); diff != "" {
		t.Errorf("Roots() mismatch (-want +got):\n%s", diff)
	}
	tests := []struct {
		path string
		want outcome
	}{
		{"lib/greet/greet.go", outcome{[]string{"rebuild ./api/cmd/server: ./api/cmd/server → ./lib/greet (lib/greet/greet.go changed)"}, false}},
		{"lib/extra/extra.go", outcome{[]string{"none ./api/cmd/server: ./lib/extra is not imported by any target (lib/extra/extra.go changed)"}, false}},
		{"api/cmd/cli/main.go", outcome{[]string{"none ./api/cmd/server: ./api/cmd/cli is not imported by any target (api/cmd/cli/main.go changed)"}, false}},
		{"lib/go.mod", outcome{[]string{"rebuild ./api/cmd/server: lib/go.mod changed"}, true}},
		{"go.work", outcome{[]string{"rebuild ./api/cmd/server: go.work changed"}, true}},
		{"go.work.sum", outcome{[]string{"rebuild ./api/cmd/server: go.work.sum changed"}, true}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, classify(g, dir, tt.path)); diff != "" {
			t.Errorf("Classify(%s) mismatch (-want +got):\n%s", tt.path, diff)
		}
	}
}

// TestWorkspaceExplicitTarget picks a main of the second module, which
// proves that module's packages were loaded though no target reaches them.
func TestWorkspaceExplicitTarget(t *testing.T) {
	dir := abs(t, "work")
	g := load(t, dir, Options{Env: testEnv(), Targets: []string{"./lib/cmd/libtool"}})
	want := "rebuild ./lib/cmd/libtool: ./lib/cmd/libtool → ./lib/extra (lib/extra/extra.go changed)"
	if got := g.Explain(filepath.Join(dir, "lib/extra/extra.go")); got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
}

func TestReplacedLocalModule(t *testing.T) {
	dir := abs(t, "replaced/app")
	g := load(t, dir, Options{})
	wantRoots := []string{abs(t, "replaced/app"), abs(t, "replaced/fakegin"), abs(t, "replaced/lib")}
	if diff := cmp.Diff(wantRoots, g.Roots()); diff != "" {
		t.Errorf("Roots() mismatch (-want +got):\n%s", diff)
	}
	tests := []struct {
		path string
		want outcome
	}{
		{"../lib/lib.go", outcome{[]string{"rebuild .: . → ./web → example.com/lib (../lib/lib.go changed)"}, false}},
		{"../lib/go.mod", outcome{[]string{"rebuild .: ../lib/go.mod changed"}, true}},
		{"../lib/page.tmpl", outcome{[]string{"restart .: ../lib/page.tmpl is loaded at run time"}, false}},
		{"web/web.go", outcome{[]string{"rebuild .: . → ./web (web/web.go changed)"}, false}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, classify(g, dir, tt.path)); diff != "" {
			t.Errorf("Classify(%s) mismatch (-want +got):\n%s", tt.path, diff)
		}
	}
}

func TestExplicitTargets(t *testing.T) {
	dir := abs(t, "nogin")
	tests := []struct {
		name    string
		targets []string
		want    []string // target names
		wantErr string
	}{
		{"directory", []string{"./cmd/a"}, []string{"./cmd/a"}, ""},
		{"import path", []string{"example.com/nogin/cmd/b"}, []string{"./cmd/b"}, ""},
		{"order kept, duplicates dropped", []string{"./cmd/b", "./cmd/a", "example.com/nogin/cmd/b"}, []string{"./cmd/b", "./cmd/a"}, ""},
		{"not a main package", []string{"./internal/lib"}, nil, "analysis: target ./internal/lib: example.com/nogin/internal/lib is not a main package"},
		{"no such package", []string{"./cmd/nope"}, nil, "analysis: target ./cmd/nope: no such package in " + dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Load(context.Background(), Options{Dir: dir, Targets: tt.targets, Env: testEnv("GOWORK=off")})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Load error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range g.Targets() {
				got = append(got, tg.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlainHTTPMain(t *testing.T) {
	dir := abs(t, "plainhttp")
	g := load(t, dir, Options{})
	if diff := cmp.Diff([]Target{{Path: "example.com/plainhttp/cmd/server", Dir: filepath.Join(dir, "cmd", "server"), Name: "./cmd/server"}}, g.Targets()); diff != "" {
		t.Errorf("targets mismatch (-want +got):\n%s", diff)
	}
	want := "no main package imports Gin: running ./cmd/server, the only one that imports net/http; " +
		`to pin it, pass --target ./cmd/server or put targets = ["./cmd/server"] in ginhot.toml`
	if got := g.Notice(); got != want {
		t.Errorf("Notice() = %q\nwant       %q", got, want)
	}
	// A change to the package that brings in net/http rebuilds the server.
	if diff := cmp.Diff(outcome{[]string{"rebuild ./cmd/server: ./cmd/server → ./internal/web (internal/web/web.go changed)"}, false},
		classify(g, dir, "internal/web/web.go")); diff != "" {
		t.Errorf("Classify mismatch (-want +got):\n%s", diff)
	}
	// Naming the target, or having Gin mains, says nothing.
	if n := load(t, dir, Options{Targets: []string{"./cmd/server"}}).Notice(); n != "" {
		t.Errorf("explicit target: Notice() = %q, want none", n)
	}
	if n := load(t, abs(t, "shop"), Options{}).Notice(); n != "" {
		t.Errorf("Gin workspace: Notice() = %q, want none", n)
	}
}

func TestLoadErrors(t *testing.T) {
	nogin := abs(t, "nogin")
	empty := t.TempDir()
	libOnly := t.TempDir()
	write(t, libOnly, "go.mod", "module example.com/libonly\n\ngo 1.22\n")
	write(t, libOnly, "lib.go", "package libonly\n")
	cliOnly := t.TempDir()
	write(t, cliOnly, "go.mod", "module example.com/clionly\n\ngo 1.22\n")
	write(t, cliOnly, "cmd/tool/main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println() }\n")
	tests := []struct {
		name    string
		opts    Options
		wantErr string
		is      error
	}{
		{"several net/http mains", Options{Dir: nogin}, "analysis: no Gin main package in " + nogin + ", and 2 main packages import net/http; pick the one to run:\n" +
			"  ./cmd/a: --target ./cmd/a   or   targets = [\"./cmd/a\"] in ginhot.toml\n" +
			"  ./cmd/b: --target ./cmd/b   or   targets = [\"./cmd/b\"] in ginhot.toml\n" +
			"  (to run all of them: targets = [\"./cmd/a\", \"./cmd/b\"] in ginhot.toml)", ErrNoTarget},
		{"no net/http main", Options{Dir: cliOnly}, "analysis: no Gin main package in " + cliOnly + ", and no main package imports net/http; if one of these serves HTTP, pick it:\n" +
			"  ./cmd/tool: --target ./cmd/tool   or   targets = [\"./cmd/tool\"] in ginhot.toml", ErrNoTarget},
		{"no main at all", Options{Dir: libOnly}, "analysis: no Gin main package in " + libOnly + ": no main packages found", ErrNoTarget},
		{"not a module", Options{Dir: empty}, "analysis: not a Go module: no go.mod or go.work in " + empty, nil},
		{"bad glob", Options{Dir: nogin, RestartGlobs: []string{"[x"}}, `analysis: invalid restart glob "[x"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Env = testEnv("GOWORK=off")
			_, err := Load(context.Background(), tt.opts)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if tt.wantErr != "" && err.Error() != tt.wantErr {
				t.Errorf("error = %q\nwant    %q", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

func TestGoMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Load(context.Background(), Options{Dir: abs(t, "shop"), Env: testEnv("GOWORK=off")})
	if err == nil || !strings.HasPrefix(err.Error(), "analysis: go command not found in PATH") {
		t.Errorf("error = %v, want one that says go is not in PATH", err)
	}
}

func TestEmbedMatch(t *testing.T) {
	tests := []struct {
		pat, rel string
		want     bool
	}{
		{"static", "static/app.js", true},
		{"static", "static/js/app.js", true},
		{"static", "static/_x.js", false},
		{"static", "static/.git/config", false},
		{"all:static", "static/_x.js", true},
		{"static/*", "static/js/app.js", true},
		{"assets/*.css", "assets/a.css", true},
		{"assets/*.css", "assets/a.txt", false},
		{"_x.txt", "_x.txt", true},
		{"static", "staticfile", false},
		{"static", "other/static/a.js", false},
	}
	for _, tt := range tests {
		if got := embedMatch(tt.pat, tt.rel); got != tt.want {
			t.Errorf("embedMatch(%q, %q) = %v, want %v", tt.pat, tt.rel, got, tt.want)
		}
	}
}

func TestActionString(t *testing.T) {
	got := []string{None.String(), Restart.String(), Rebuild.String(), Action(7).String()}
	if diff := cmp.Diff([]string{"none", "restart", "rebuild", "Action(7)"}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	r := Result{Decisions: []Decision{{Action: Restart}, {Action: Rebuild}, {Action: None}}}
	if r.Action() != Rebuild {
		t.Errorf("Result.Action() = %v, want rebuild", r.Action())
	}
	if (Result{}).Action() != None {
		t.Errorf("empty Result.Action() = %v, want none", (Result{}).Action())
	}
}

func BenchmarkClassify(b *testing.B) {
	dir := abs(b, "shop")
	g := load(b, dir, Options{})
	paths := []string{
		filepath.Join(dir, "internal/store/store.go"),
		filepath.Join(dir, "templates/index.tmpl"),
		filepath.Join(dir, "internal/admin/static/app.js"),
		filepath.Join(dir, "README.md"),
		filepath.Join(dir, "internal/handlers/handlers_test.go"),
	}
	b.ReportAllocs()
	for b.Loop() {
		g.Classify(paths)
	}
}

func TestTargetCgo(t *testing.T) {
	dir := abs(t, "cgo")
	targets := []string{"./cmd/pure", "./cmd/local", "./cmd/dep", "./cmd/plugin"}
	tests := []struct {
		name string
		env  []string
		want map[string]string // target name → Cgo
	}{
		{"cgo on", testEnv("GOWORK=off", "CGO_ENABLED=1", "GOFLAGS=-mod=vendor"), map[string]string{
			"./cmd/pure":   "",
			"./cmd/local":  "example.com/cgo/internal/native",
			"./cmd/dep":    "example.com/cdep",
			"./cmd/plugin": "example.com/cgo/cmd/plugin",
		}},
		{"cgo off in the build environment", testEnv("GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=-mod=vendor"), map[string]string{
			"./cmd/pure":  "",
			"./cmd/local": "",
			"./cmd/dep":   "",
			// plugin.Open fails at run time without cgo, whatever the
			// files say.
			"./cmd/plugin": "example.com/cgo/cmd/plugin",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := load(t, dir, Options{Targets: targets, Env: tt.env})
			got := map[string]string{}
			for _, tg := range g.Targets() {
				got[tg.Name] = tg.Cgo
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Target.Cgo (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKeepGoing: a reload with KeepGoing gets a graph with the targets
// that are there, and Missing names the ones that are not, where a load
// without it fails.
func TestKeepGoing(t *testing.T) {
	dir := abs(t, "nogin")
	g, err := Load(context.Background(), Options{Dir: dir, Targets: []string{"./cmd/nope", "./cmd/a"}, Env: testEnv("GOWORK=off"), KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range g.Targets() {
		got = append(got, tg.Name)
	}
	if diff := cmp.Diff([]string{"./cmd/a"}, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"analysis: target ./cmd/nope: no such package in " + dir}, g.Missing()); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	lib := t.TempDir()
	write(t, lib, "go.mod", "module example.com/libonly\n\ngo 1.22\n")
	write(t, lib, "lib.go", "package libonly\n")
	g, err = Load(context.Background(), Options{Dir: lib, Env: testEnv("GOWORK=off"), KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Targets()) != 0 || len(g.Missing()) != 1 || !strings.Contains(g.Missing()[0], "no Gin main package") {
		t.Errorf("no main at all: targets %v, missing %q", g.Targets(), g.Missing())
	}
}

// TestInputs checks the files a target's build reads: its packages' Go,
// assembly and embedded files and the module files, not test files,
// constrained-out files, packages it does not reach, or non-embedded files.
func TestInputs(t *testing.T) {
	dir := abs(t, "shop")
	g := load(t, dir, Options{})
	rel := func(files []string) []string {
		var out []string
		for _, f := range files {
			r, err := filepath.Rel(dir, f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, filepath.ToSlash(r))
		}
		return out
	}
	want := map[string][]string{
		// debug.go is excluded by its build tag; tests are not built.
		"./cmd/api": {"cmd/api/main.go", "fakegin/gin.go", "fakegin/go.mod", "go.mod", "internal/handlers/handlers.go", "internal/store/store.go", "internal/store/store.s"},
		// Embedded files count; notes.txt matches no pattern.
		"./cmd/admin": {"cmd/admin/main.go", "fakegin/gin.go", "fakegin/go.mod", "go.mod", "internal/admin/admin.go", "internal/admin/assets/site.css",
			"internal/admin/private/_secret.txt", "internal/admin/static/app.js", "internal/admin/static/index.html"},
	}
	byName := map[string]string{}
	for _, tg := range g.Targets() {
		byName[tg.Name] = tg.Path
	}
	for target, w := range want {
		if diff := cmp.Diff(w, rel(g.Inputs(byName[target]))); diff != "" {
			t.Errorf("Inputs(%s) (-want +got):\n%s", target, diff)
		}
	}
}

// TestQuickTargets: the quick guess finds the mains that import Gin
// directly, as Load does for the shop fixture, without the go command.
func TestQuickTargets(t *testing.T) {
	dir := abs(t, "shop")
	g := load(t, dir, Options{})
	var want []string
	for _, tg := range g.Targets() {
		want = append(want, tg.Dir)
	}
	if diff := cmp.Diff(want, QuickTargets(Options{Dir: dir})); diff != "" {
		t.Errorf("QuickTargets (-Load's targets +guess):\n%s", diff)
	}
	if got := QuickTargets(Options{Dir: dir, Targets: []string{"./cmd/api"}}); len(got) != 1 || got[0] != filepath.Join(dir, "cmd/api") {
		t.Errorf("explicit ./cmd/api: got %q", got)
	}
	if got := QuickTargets(Options{Dir: dir, Targets: []string{"example.com/shop/cmd/api"}}); got != nil {
		t.Errorf("an import-path target: got %q, want no guess", got)
	}
}

// TestTargetDirectoryWithoutPackage checks a named directory that holds no
// package: the only main below it is the target, several are listed with
// the lines that pick them, and none is still "no such package".
func TestTargetDirectoryWithoutPackage(t *testing.T) {
	one := t.TempDir()
	write(t, one, "go.mod", "module example.com/one\n\ngo 1.22\n")
	write(t, one, "cmd/server/main.go", "package main\n\nimport _ \"net/http\"\n\nfunc main() {}\n")
	write(t, one, "internal/lib/lib.go", "package lib\n")
	for _, target := range []string{"./cmd", "./cmd/", "./cmd/...", "./..."} {
		g := load(t, one, Options{Targets: []string{target}})
		if diff := cmp.Diff([]Target{{Path: "example.com/one/cmd/server", Dir: filepath.Join(one, "cmd", "server"), Name: "./cmd/server"}}, g.Targets()); diff != "" {
			t.Errorf("target %s (-want +got):\n%s", target, diff)
		}
		want := "target " + target + ` holds no package: running ./cmd/server, the only main package below it; to pin it, put targets = ["./cmd/server"] in ginhot.toml`
		if got := g.Notice(); got != want {
			t.Errorf("target %s: Notice() = %q\nwant %q", target, got, want)
		}
	}
	nogin := abs(t, "nogin")
	_, err := Load(context.Background(), Options{Dir: nogin, Targets: []string{"./cmd"}, Env: testEnv("GOWORK=off")})
	want := "analysis: target ./cmd holds no package, and 2 main packages lie below it; pick the one to run:\n" +
		`  ./cmd/a: --target ./cmd/a   or   targets = ["./cmd/a"] in ginhot.toml` + "\n" +
		`  ./cmd/b: --target ./cmd/b   or   targets = ["./cmd/b"] in ginhot.toml` + "\n" +
		`  (to run all of them: targets = ["./cmd/a", "./cmd/b"] in ginhot.toml)`
	if err == nil || err.Error() != want {
		t.Errorf("two mains below: err = %v\nwant %s", err, want)
	}
	for _, target := range []string{"./internal", "./internal/..."} {
		_, err = Load(context.Background(), Options{Dir: one, Targets: []string{target}, Env: testEnv("GOWORK=off")})
		if err == nil || !strings.Contains(err.Error(), "target "+target+": no such package") {
			t.Errorf("no main below %s: err = %v", target, err)
		}
	}
}

func TestDependsOn(t *testing.T) {
	shop := load(t, abs(t, "shop"), Options{})
	api := shop.Targets()[0].Path
	if !shop.DependsOn(api, "github.com/gin-gonic/gin") || !shop.DependsOn(api, "github.com/gin-gonic") || shop.DependsOn(api, "github.com/gin-gonic/gi") {
		t.Errorf("DependsOn(%s) wrong for Gin", api)
	}
	if shop.DependsOn("example.com/nope", "github.com/gin-gonic/gin") {
		t.Error("DependsOn is true for a path that is no target")
	}
	web := load(t, abs(t, "plainhttp"), Options{})
	server := web.Targets()[0].Path
	if !web.DependsOn(server, "net/http") || web.DependsOn(server, "github.com/gin-gonic/gin") {
		t.Errorf("DependsOn(%s) wrong for net/http", server)
	}
}
