package build

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testEnv keeps fixture builds hermetic: no workspace file from above, no
// network, no toolchain switch.
func testEnv(extra ...string) []string {
	return append([]string{"GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local"}, extra...)
}

// fixture returns the absolute path of testdata/name.
func fixture(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunOK(t *testing.T) {
	dir := fixture(t, "ok")
	out := filepath.Join(t.TempDir(), "bin")
	opts := Options{Dir: dir, OutDir: out, Strip: true, Env: testEnv()}

	first, err := Run(t.Context(), opts, ".")
	if err != nil {
		t.Fatal(err)
	}
	if !first.OK || len(first.Diags) != 0 {
		t.Fatalf("first build: OK=%v diags=%v output=%q", first.OK, first.Diags, first.Output)
	}
	second, err := Run(t.Context(), opts, ".")
	if err != nil {
		t.Fatal(err)
	}
	if !second.OK {
		t.Fatalf("second build failed: %q", second.Output)
	}
	if first.Binary == second.Binary {
		t.Fatalf("both builds wrote %s; want fresh files", first.Binary)
	}
	for _, bin := range []string{first.Binary, second.Binary} {
		if filepath.Dir(bin) != out || !strings.HasPrefix(filepath.Base(bin), "ok-") {
			t.Errorf("binary %s: want a file named ok-* in %s", bin, out)
		}
		fi, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&0o111 == 0 || fi.Size() == 0 {
			t.Errorf("binary %s: mode %v size %d; want a non-empty executable", bin, fi.Mode(), fi.Size())
		}
	}
	got, err := exec.Command(first.Binary).Output()
	if err != nil || string(got) != "ok\n" {
		t.Fatalf("running %s: %q, %v; want \"ok\\n\"", first.Binary, got, err)
	}
	if first.Target != "." || first.Duration <= 0 {
		t.Errorf("Target=%q Duration=%v", first.Target, first.Duration)
	}

	if err := Prune(out, second.Binary); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(first.Binary); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Prune kept %s (stat: %v)", first.Binary, err)
	}
	if _, err := os.Stat(second.Binary); err != nil {
		t.Errorf("Prune removed the kept binary: %v", err)
	}
}

func TestRunFailures(t *testing.T) {
	tests := []struct {
		fixture string
		want    []Diagnostic // File relative to the fixture
		output  string       // a part of Result.Output
	}{
		{
			fixture: "compile",
			want: []Diagnostic{{
				File: "handlers/h.go", Line: 12, Col: 3, Message: "undefined: x",
				Package: "example.com/compile/handlers", Kind: KindCompile,
			}},
			output: "# example.com/compile/handlers\nhandlers/h.go:12:3: undefined: x\n",
		},
		{
			fixture: "twoerrs",
			want: []Diagnostic{{
				File: "a/a.go", Line: 4, Col: 19, Message: "too many return values\nhave (number)\nwant ()",
				Package: "example.com/twoerrs/a", Kind: KindCompile,
			}, {
				File: "b/b.go", Line: 4, Col: 12, Message: "undefined: undefinedInB",
				Package: "example.com/twoerrs/b", Kind: KindCompile,
			}},
			output: "\thave (number)\n\twant ()\n",
		},
		{
			fixture: "embed",
			want: []Diagnostic{{
				File: "web/web.go", Line: 8, Col: 12, Message: "pattern static/*.css: no matching files found",
				Package: "example.com/embed/web", Kind: KindEmbed,
			}},
			output: "web/web.go:8:12: pattern static/*.css",
		},
		{
			fixture: "link",
			want: []Diagnostic{{
				Message: "main.main: relocation target example.com/link/nowhere.nothere not defined",
				Package: "example.com/link", Kind: KindLink,
			}},
			output: "# example.com/link\n",
		},
		{
			fixture: "missing",
			want: []Diagnostic{{
				File: "main.go", Line: 3, Col: 8,
				Message: "no required module provides package example.com/notamodule/pkg; to add it:\ngo get example.com/notamodule/pkg",
				Package: "example.com/notamodule/pkg", Kind: KindOther,
			}},
			output: "\tgo get example.com/notamodule/pkg\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			dir := fixture(t, tt.fixture)
			out := t.TempDir()
			res, err := Run(t.Context(), Options{Dir: dir, OutDir: out, Env: testEnv()}, ".")
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || res.Binary != "" {
				t.Fatalf("OK=%v Binary=%q; want a failed build", res.OK, res.Binary)
			}
			want := make([]Diagnostic, len(tt.want))
			for i, d := range tt.want {
				if d.File != "" {
					d.File = filepath.Join(dir, d.File)
				}
				want[i] = d
			}
			if !reflect.DeepEqual(res.Diags, want) {
				t.Errorf("Diags:\n got %#v\nwant %#v\noutput:\n%s", res.Diags, want, res.Output)
			}
			if !strings.Contains(res.Output, tt.output) || strings.Contains(res.Output, `"Action"`) {
				t.Errorf("Output = %q; want the plain text containing %q", res.Output, tt.output)
			}
			if left, _ := os.ReadDir(out); len(left) != 0 {
				t.Errorf("failed build left %v in OutDir", left)
			}
		})
	}
}

func TestRunCgo(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc in PATH")
	}
	dir := t.TempDir()
	write(t, dir, "go.mod", "module example.com/cgo\n\ngo 1.24\n")
	write(t, dir, "main.go", "package main\n\n/*\n#include \"nothere.h\"\n*/\nimport \"C\"\n\nfunc main() {}\n")
	res, err := Run(t.Context(), Options{Dir: dir, OutDir: t.TempDir(), Env: testEnv("CGO_ENABLED=1", "CC=gcc")}, ".")
	if err != nil {
		t.Fatal(err)
	}
	want := []Diagnostic{{
		File: filepath.Join(dir, "main.go"), Line: 4, Col: 10,
		Message: "fatal error: nothere.h: No such file or directory",
		Package: "example.com/cgo", Kind: KindCgo,
	}}
	if res.OK || !reflect.DeepEqual(res.Diags, want) {
		t.Errorf("OK=%v Diags:\n got %#v\nwant %#v\noutput:\n%s", res.OK, res.Diags, want, res.Output)
	}
}

// TestRunUnreadableFile: a .go file with a NUL byte makes the go command
// blame an import line or no file at all; the diagnostic must land on the
// broken file, at the NUL.
func TestRunUnreadableFile(t *testing.T) {
	for _, pkg := range []string{"store", "main"} {
		t.Run(pkg, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "go.mod", "module example.com/nulbyte\n\ngo 1.24\n")
			if err := os.Mkdir(filepath.Join(dir, "store"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, dir, "store/store.go", "package store\n\n// N is one.\nfunc N() int { return 1 }\n")
			write(t, dir, "main.go", "package main\n\nimport \"example.com/nulbyte/store\"\n\nfunc main() { println(store.N()) }\n")
			bad := filepath.Join(dir, "x.go")
			if pkg == "store" {
				bad = filepath.Join(dir, "store", "x.go")
			}
			write(t, filepath.Dir(bad), "x.go", "package "+pkg+"\n\n  \x00\n")
			res, err := Run(t.Context(), Options{Dir: dir, OutDir: t.TempDir(), Env: testEnv()}, ".")
			if err != nil {
				t.Fatal(err)
			}
			want := Diagnostic{File: bad, Line: 3, Col: 3, Message: "unexpected NUL in input", Kind: KindCompile}
			for _, d := range res.Diags {
				if d.File == bad {
					d.Package = ""
					if d != want {
						t.Errorf("diagnostic on x.go = %#v; want %#v", d, want)
					}
					return
				}
			}
			t.Errorf("OK=%v, no diagnostic on %s; got %#v\noutput:\n%s", res.OK, bad, res.Diags, res.Output)
		})
	}
}

func TestRunBrokenGoMod(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "go.mod", "module example.com/broken\n\ngo 1.24\n\nnonsense here\n")
	write(t, dir, "main.go", "package main\n\nfunc main() {}\n")
	res, err := Run(t.Context(), Options{Dir: dir, OutDir: t.TempDir(), Env: testEnv()}, ".")
	if err != nil {
		t.Fatal(err)
	}
	want := []Diagnostic{
		{Message: "go: errors parsing go.mod:", Kind: KindOther},
		{File: filepath.Join(dir, "go.mod"), Line: 5, Message: "unknown directive: nonsense", Kind: KindOther},
	}
	if res.OK || !reflect.DeepEqual(res.Diags, want) {
		t.Errorf("OK=%v Diags:\n got %#v\nwant %#v\noutput:\n%s", res.OK, res.Diags, want, res.Output)
	}
}

func TestRunGoNotFound(t *testing.T) {
	opts := Options{Dir: fixture(t, "ok"), OutDir: t.TempDir(), Go: "/nonexistent/go"}
	if _, err := Run(t.Context(), opts, "."); !errors.Is(err, ErrGoNotFound) {
		t.Errorf("Go=/nonexistent/go: err = %v; want ErrGoNotFound", err)
	}
	t.Setenv("PATH", t.TempDir())
	opts.Go = ""
	if _, err := Run(t.Context(), opts, "."); !errors.Is(err, ErrGoNotFound) {
		t.Errorf("no go in PATH: err = %v; want ErrGoNotFound", err)
	}
}

func TestRunOutDirError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	write(t, filepath.Dir(file), "file", "")
	opts := Options{Dir: fixture(t, "ok"), OutDir: filepath.Join(file, "bin"), Env: testEnv()}
	if _, err := Run(t.Context(), opts, "."); err == nil || errors.Is(err, ErrGoNotFound) {
		t.Errorf("OutDir under a file: err = %v; want an OutDir error", err)
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"defaults", Options{}, []string{"build", "-json", "-buildvcs=false", "-o", "OUT", "./cmd/api"}},
		{"all", Options{Tags: []string{"dev", "x"}, LDFlags: "-X main.v=1", Strip: true, Flags: []string{"-race"}},
			[]string{"build", "-json", "-buildvcs=false", "-tags", "dev,x", "-ldflags", "-X main.v=1 -s -w", "-race", "-o", "OUT", "./cmd/api"}},
		{"user buildvcs", Options{Flags: []string{"--buildvcs=true"}, Strip: true},
			[]string{"build", "-json", "-ldflags", "-s -w", "--buildvcs=true", "-o", "OUT", "./cmd/api"}},
		{"debug", Options{Debug: true, Strip: true, LDFlags: "-s -X main.v=1 -w", Flags: []string{"-race", "-trimpath"}, Modules: []string{"example.com/a", "example.com/b"}},
			[]string{"build", "-json", "-buildvcs=false", "-ldflags", "-X main.v=1", "-race",
				"-gcflags=example.com/a/...=-N -l", "-gcflags=example.com/b/...=-N -l", "-o", "OUT", "./cmd/api"}},
		{"debug without modules", Options{Debug: true, Strip: true},
			[]string{"build", "-json", "-buildvcs=false", "-gcflags=-N -l", "-o", "OUT", "./cmd/api"}},
	}
	for _, tt := range tests {
		if got := args(tt.opts, "OUT", "./cmd/api"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: args = %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestRunDebug builds the same fixture stripped and for a debugger, and
// checks what Delve needs: DWARF, -N -l on the module's packages only, no
// -trimpath.
func TestRunDebug(t *testing.T) {
	dir := fixture(t, "ok")
	out := t.TempDir()
	opts := Options{Dir: dir, OutDir: out, Strip: true, Env: testEnv()}
	plain, err := Run(t.Context(), opts, ".")
	if err != nil || !plain.OK {
		t.Fatalf("stripped build: %v %q", err, plain.Output)
	}
	opts.Debug, opts.Modules, opts.Flags = true, []string{"example.com/ok"}, []string{"-trimpath"}
	dbg, err := Run(t.Context(), opts, ".")
	if err != nil || !dbg.OK {
		t.Fatalf("debug build: %v %q", err, dbg.Output)
	}
	t.Logf("stripped build %v, debug build %v", plain.Duration, dbg.Duration)

	if hasDWARF(t, plain.Binary) {
		t.Errorf("stripped build has DWARF")
	}
	if !hasDWARF(t, dbg.Binary) {
		t.Fatalf("debug build has no DWARF")
	}
	info, err := buildinfo.ReadFile(dbg.Binary)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if got, want := settings["-gcflags"], "example.com/ok/...=-N -l"; got != want {
		t.Errorf("-gcflags recorded %q; want %q (settings %v)", got, want, settings)
	}
	if v, ok := settings["-trimpath"]; ok {
		t.Errorf("debug build has -trimpath=%s", v)
	}
	if strings.Contains(settings["-ldflags"], "-s") || strings.Contains(settings["-ldflags"], "-w") {
		t.Errorf("debug build linked with -ldflags %q", settings["-ldflags"])
	}
}

// hasDWARF reports whether the executable bin carries DWARF line tables.
func hasDWARF(t *testing.T, bin string) bool {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Skipf("not an ELF binary: %v", err)
	}
	defer f.Close()
	return f.Section(".debug_line") != nil || f.Section(".zdebug_line") != nil
}

// write creates dir/name with content, and the directories it needs.
func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// poll calls cond until it returns true, failing the test after timeout.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A package of the workspace's own modules that has no Go files (a main
// package deleted, an imported package moved) gets no "go get" advice: go
// get cannot add it. A package of another module keeps it (TestRunFailures).
func TestOwnPackageHasNoGoGetAdvice(t *testing.T) {
	ws := t.TempDir()
	write(t, ws, "go.work", "go 1.24\n\nuse (\n\t./shop\n\t./lib\n)\n")
	write(t, ws, "shop/go.mod", "module example.com/shop\n\ngo 1.24\n")
	write(t, ws, "shop/cmd/web/main.go", "package main\n\nimport _ \"example.com/lib/gone\"\n\nfunc main() {}\n")
	write(t, ws, "lib/go.mod", "module example.com/lib\n\ngo 1.24\n")
	write(t, ws, "lib/lib.go", "package lib\n")
	shop := filepath.Join(ws, "shop")
	tests := []struct {
		name, target, file, want string
	}{
		{"deleted main", "example.com/shop/cmd/api", "",
			"no required module provides package example.com/shop/cmd/api: it is in your module example.com/shop, but cmd/api/ holds no Go files (deleted, moved or not written yet)"},
		{"package of another workspace module", "./cmd/web", filepath.Join(shop, "cmd", "web", "main.go"),
			"no required module provides package example.com/lib/gone: it is in your module example.com/lib, but gone/ holds no Go files (deleted, moved or not written yet)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"GOWORK=" + filepath.Join(ws, "go.work"), "GOPROXY=off", "GOTOOLCHAIN=local"}
			res, err := Run(t.Context(), Options{Dir: shop, OutDir: t.TempDir(), Env: env}, tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || len(res.Diags) != 1 {
				t.Fatalf("OK=%v, diagnostics %v; want one failure\n%s", res.OK, res.Diags, res.Output)
			}
			if d := res.Diags[0]; d.Message != tt.want || d.File != tt.file {
				t.Errorf("diagnostic %s: %q\nwant %s: %q", d.File, d.Message, tt.file, tt.want)
			}
			if strings.Contains(res.Output, "go get") {
				t.Errorf("output still has go get advice:\n%s", res.Output)
			}
		})
	}
}
