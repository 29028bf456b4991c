package build

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// recorder collects the calls of [Options.Progress].
type recorder struct {
	mu    sync.Mutex
	calls []Progress
	times []time.Time
}

func (r *recorder) progress(p Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, p)
	r.times = append(r.times, time.Now())
}

// TestProgressColdBuild builds a small module with an empty build cache, so
// that the runtime and its dependencies compile too: progress must count
// up, name each package, reach a total from go list, and leave the -v
// lines out of the output.
func TestProgressColdBuild(t *testing.T) {
	dir := fixture(t, "progress")
	rec := &recorder{}
	opts := Options{
		Dir:      dir,
		OutDir:   filepath.Join(t.TempDir(), "bin"),
		Env:      testEnv("GOCACHE=" + t.TempDir()),
		Progress: rec.progress,
	}
	res, err := Run(t.Context(), opts, ".")
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK {
		t.Fatalf("build failed: %q", res.Output)
	}
	if strings.Contains(res.Output, "runtime") {
		t.Errorf("output has the -v lines: %q", res.Output)
	}
	if len(rec.calls) < 2 {
		t.Fatalf("progress calls: %v; want several for a cold build", rec.calls)
	}
	for i, p := range rec.calls {
		if p.Phase != PhaseCompile || p.What == "" {
			t.Errorf("call %d: %+v; want a compile phase naming a package", i, p)
		}
		if p.Total != 0 && p.Total < p.Done {
			t.Errorf("call %d: %+v; total below done", i, p)
		}
		if i > 0 {
			if prev := rec.calls[i-1]; p.Done < prev.Done {
				t.Errorf("call %d: done went down from %d to %d", i, prev.Done, p.Done)
			}
			if gap := rec.times[i].Sub(rec.times[i-1]); gap < progressInterval-10*time.Millisecond {
				t.Errorf("calls %d and %d only %v apart", i-1, i, gap)
			}
		}
	}
	last := rec.calls[len(rec.calls)-1]
	// The module's three packages and the runtime's dozens.
	if last.Done < 10 || last.Total < last.Done {
		t.Errorf("last call %+v; want ten packages or more out of a known total", last)
	}
	if first := rec.calls[0]; first.Done >= last.Done {
		t.Errorf("done did not increase: first %+v, last %+v", first, last)
	}

	// Now everything is in the build cache: no package compiles.
	warm := &recorder{}
	opts.Progress = warm.progress
	if res, err := Run(t.Context(), opts, "."); err != nil || !res.OK {
		t.Fatalf("warm build: %v %q", err, res.Output)
	}
	if len(warm.calls) > 1 {
		t.Errorf("warm build made progress calls %v; want at most one", warm.calls)
	}
}

// TestProgressKeepsDiagnostics checks that a failed build reads the same
// with progress as without: the -v lines are no diagnostics.
func TestProgressKeepsDiagnostics(t *testing.T) {
	for _, name := range []string{"compile", "twoerrs", "missing"} {
		t.Run(name, func(t *testing.T) {
			opts := Options{Dir: fixture(t, name), OutDir: filepath.Join(t.TempDir(), "bin"), Env: testEnv()}
			plain, err := Run(t.Context(), opts, ".")
			if err != nil {
				t.Fatal(err)
			}
			opts.Progress = func(Progress) {}
			with, err := Run(t.Context(), opts, ".")
			if err != nil {
				t.Fatal(err)
			}
			if with.OK || plain.OK {
				t.Fatalf("OK: %v with progress, %v without; want failures", with.OK, plain.OK)
			}
			// Packages compile in parallel: the output's order may differ.
			if !reflect.DeepEqual(sortedLines(with.Output), sortedLines(plain.Output)) || !reflect.DeepEqual(with.Diags, plain.Diags) {
				t.Errorf("with progress:\n%q\n%v\nwithout:\n%q\n%v", with.Output, with.Diags, plain.Output, plain.Diags)
			}
		})
	}
}

// sortedLines returns the lines of s, sorted.
func sortedLines(s string) []string {
	lines := strings.Split(s, "\n")
	slices.Sort(lines)
	return lines
}

// TestProgressDownload builds a module whose one dependency comes from a
// file:// module proxy into an empty module cache.
func TestProgressDownload(t *testing.T) {
	proxy := t.TempDir()
	v := filepath.Join(proxy, "example.com", "dep", "@v")
	if err := os.MkdirAll(v, 0o755); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(fixture(t, "progress-dep"), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"list": "v1.0.0\n", "v1.0.0.info": `{"Version":"v1.0.0"}`, "v1.0.0.mod": string(mod)} {
		if err := os.WriteFile(filepath.Join(v, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	z, err := os.Create(filepath.Join(v, "v1.0.0.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := zip.CreateFromDir(z, module.Version{Path: "example.com/dep", Version: "v1.0.0"}, fixture(t, "progress-dep")); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	// A copy, since -mod=mod writes the go.sum.
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture(t, "progress-use"))); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{}
	opts := Options{
		Dir:    dir,
		OutDir: filepath.Join(t.TempDir(), "bin"),
		Flags:  []string{"-mod=mod", "-modcacherw"},
		Env: []string{"GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=", "GOSUMDB=off",
			"GOPROXY=file://" + filepath.ToSlash(proxy), "GOMODCACHE=" + t.TempDir()},
		Progress: rec.progress,
	}
	res, err := Run(t.Context(), opts, ".")
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK {
		t.Fatalf("build failed: %q", res.Output)
	}
	if !strings.Contains(res.Output, "go: downloading example.com/dep v1.0.0") {
		t.Errorf("output %q lost the download line", res.Output)
	}
	want := Progress{Phase: PhaseDownload, Done: 1, Total: 1, What: "example.com/dep v1.0.0"}
	if len(rec.calls) == 0 || rec.calls[0] != want {
		t.Fatalf("progress calls %+v; want %+v first", rec.calls, want)
	}
}

func TestCompiledLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		pkg  string
		ok   bool
	}{
		{`{"ImportPath":"runtime","Action":"build-output","Output":"runtime\n"}`, "runtime", true},
		{`{"ImportPath":"example.com/a [example.com/cmd]","Action":"build-output","Output":"example.com/a\n"}`, "example.com/a", true},
		{`{"ImportPath":"example.com/a","Action":"build-output","Output":"# example.com/a\n"}`, "", false},
		{`{"ImportPath":"example.com/a","Action":"build-output","Output":"./a.go:3:1: syntax error\n"}`, "", false},
		{`{"ImportPath":"example.com/a","Action":"build-fail"}`, "", false},
		{"example.com/a", "", false},
	} {
		pkg, ok := compiled(tc.line)
		if pkg != tc.pkg || ok != tc.ok {
			t.Errorf("compiled(%s) = %q, %v; want %q, %v", tc.line, pkg, ok, tc.pkg, tc.ok)
		}
	}
}
