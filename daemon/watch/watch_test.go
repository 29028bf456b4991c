package watch

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/internal/testkit"
)

// wait bounds every wait for something that should happen.
const wait = 5 * time.Second

// silence is how long a test waits to conclude that nothing happens.
const silence = 300 * time.Millisecond

func start(t *testing.T, opts Options) *Watcher {
	t.Helper()
	w, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return w
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// next returns the next batch, failing the test if none arrives in time.
func next(t *testing.T, w *Watcher) Batch {
	t.Helper()
	select {
	case b, ok := <-w.Batches():
		if !ok {
			t.Fatal("Batches closed")
		}
		return b
	case <-time.After(wait):
		t.Fatal("no batch within", wait)
	}
	return Batch{}
}

// expect asserts that the next batch holds exactly want.
func expect(t *testing.T, w *Watcher, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := next(t, w); !slices.Equal(got.Paths, want) {
		t.Fatalf("batch = %q, want %q", got.Paths, want)
	}
}

// none asserts that no batch arrives for a while.
func none(t *testing.T, w *Watcher) {
	t.Helper()
	select {
	case b := <-w.Batches():
		t.Fatalf("unexpected batch %q", b.Paths)
	case <-time.After(silence):
	}
}

func TestSingleWrite(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a := filepath.Join(root, "a.go")
	write(t, a, "package a\n")
	w := start(t, Options{Roots: []string{root}})
	if w.Polling() || w.Watches() != 1 {
		t.Fatalf("Polling() = %v, Watches() = %d; want false, 1", w.Polling(), w.Watches())
	}
	write(t, a, "package a // edited\n")
	expect(t, w, a)
	none(t, w)
}

// TestEditorSaves replays how editors save: each save must yield one batch
// holding only the real file, whatever temporaries the editor used.
func TestEditorSaves(t *testing.T) {
	t.Parallel()
	saves := map[string]func(t *testing.T, dir, file string){
		"vim": func(t *testing.T, dir, file string) {
			probe := filepath.Join(dir, "4913")
			write(t, probe, "")
			must(t, os.Remove(probe))
			write(t, filepath.Join(dir, ".a.go.swp"), "swap")
			must(t, os.Rename(file, file+"~"))
			write(t, file, "package a // vim\n")
			must(t, os.Remove(file+"~"))
		},
		"write temp then rename": func(t *testing.T, dir, file string) {
			write(t, file+".tmp", "package a // atomic\n")
			must(t, os.Rename(file+".tmp", file))
		},
		"jetbrains safe write": func(t *testing.T, dir, file string) {
			write(t, file+"___jb_tmp___", "package a // idea\n")
			must(t, os.Rename(file, file+"___jb_old___"))
			must(t, os.Rename(file+"___jb_tmp___", file))
			must(t, os.Remove(file+"___jb_old___"))
		},
		"emacs": func(t *testing.T, dir, file string) {
			must(t, os.Symlink("user@host.123", filepath.Join(dir, ".#a.go")))
			write(t, filepath.Join(dir, "#a.go#"), "autosave")
			must(t, os.Rename(file, file+"~"))
			write(t, file, "package a // emacs\n")
			must(t, os.Remove(filepath.Join(dir, "#a.go#")))
		},
	}
	for name, save := range saves {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			a := filepath.Join(root, "a.go")
			write(t, a, "package a\n")
			w := start(t, Options{Roots: []string{root}})
			save(t, root, a)
			expect(t, w, a)
			// Swap and backup files that linger or change are never reported.
			write(t, filepath.Join(root, ".a.go.swp"), "swap again")
			write(t, filepath.Join(root, "b.go~"), "backup")
			none(t, w)
		})
	}
}

func TestSameContentSave(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a := filepath.Join(root, "a.go")
	write(t, a, "package a\n")
	w := start(t, Options{Roots: []string{root}})

	write(t, a, "package a\n")
	later := time.Now().Add(time.Hour)
	must(t, os.Chtimes(a, later, later))
	w.Notify("test", a)
	none(t, w)

	write(t, a, "package b\n")
	expect(t, w, a)
}

func TestManyFilesOneBatch(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	w := start(t, Options{Roots: []string{root}})
	var want []string
	for i := range 300 {
		p := filepath.Join(root, "pkg", fmt.Sprintf("f%03d.go", i))
		write(t, p, "package pkg\n")
		want = append(want, p)
	}
	seen := map[string]bool{}
	batches := 0
	for len(seen) < len(want) {
		b := next(t, w)
		batches++
		for _, p := range b.Paths {
			if seen[p] {
				t.Fatalf("%s reported twice", p)
			}
			seen[p] = true
		}
	}
	for _, p := range want {
		if !seen[p] {
			t.Fatalf("%s not reported", p)
		}
	}
	// One batch normally; a heavily loaded machine may stall the writes
	// past the quiet window once or twice.
	if batches > 3 {
		t.Fatalf("300 files came in %d batches", batches)
	}
	t.Logf("300 files in %d batch(es)", batches)
	none(t, w)
}

func TestMaxWaitCapsDebounce(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a := filepath.Join(root, "a.go")
	write(t, a, "package a\n")
	w := start(t, Options{Roots: []string{root}, Debounce: 100 * time.Millisecond, MaxWait: 300 * time.Millisecond})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if err := os.WriteFile(a, fmt.Appendf(nil, "package a // %d\n", i), 0o644); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(stop)

	begin := time.Now()
	expect(t, w, a)
	// Writes every 20ms never leave a 100ms quiet window: only MaxWait can
	// have ended this batch.
	if d := time.Since(begin); d > 2*time.Second {
		t.Fatalf("first batch after %v despite MaxWait 300ms", d)
	}
}

func TestNewDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	w := start(t, Options{Roots: []string{root}})
	c := filepath.Join(root, "a", "b", "c.go")
	d := filepath.Join(root, "a", "d.go")
	write(t, c, "package b\n") // mkdir -p a/b && echo > a/b/c.go
	write(t, d, "package a\n")
	expect(t, w, c, d)
	testkit.Eventually(t, wait, "3 watches", func() bool { return w.Watches() == 3 })

	write(t, c, "package b // edited\n")
	expect(t, w, c)
}

func TestRemovedDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	x := filepath.Join(root, "pkg", "x.go")
	y := filepath.Join(root, "pkg", "sub", "y.go")
	write(t, x, "package pkg\n")
	write(t, y, "package sub\n")
	w := start(t, Options{Roots: []string{root}})
	if w.Watches() != 3 {
		t.Fatalf("Watches() = %d, want 3", w.Watches())
	}
	must(t, os.RemoveAll(filepath.Join(root, "pkg")))
	expect(t, w, x, y)
	testkit.Eventually(t, wait, "1 watch", func() bool { return w.Watches() == 1 })

	z := filepath.Join(root, "z.go")
	write(t, z, "package z\n")
	expect(t, w, z)
}

func TestRenamedDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	x := filepath.Join(root, "pkg", "x.go")
	write(t, x, "package pkg\n")
	w := start(t, Options{Roots: []string{root}})
	must(t, os.Rename(filepath.Join(root, "pkg"), filepath.Join(root, "pkg2")))
	x2 := filepath.Join(root, "pkg2", "x.go")
	expect(t, w, x, x2)

	// The moved directory's old watch must not hide edits in its new place.
	write(t, x2, "package pkg // edited\n")
	expect(t, w, x2)
	if w.Watches() != 2 {
		t.Fatalf("Watches() = %d, want 2", w.Watches())
	}
}

func TestRenameOver(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a := filepath.Join(root, "a.go")
	b := filepath.Join(root, "b.go")
	write(t, a, "package a\n")
	write(t, b, "package b\n")
	w := start(t, Options{Roots: []string{root}})
	must(t, os.Rename(b, a))
	expect(t, w, a, b)
}

// TestIncludeOverridesGitignore: generated code and .env files that git
// ignores are still reported when Include names them.
func TestIncludeOverridesGitignore(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, filepath.Join(root, ".gitignore"), "*_templ.go\n.env\n*.gen.go\n")
	w := start(t, Options{Roots: []string{root}, Include: []string{"**/*_templ.go", ".env"}})
	gen := filepath.Join(root, "views", "index_templ.go")
	env := filepath.Join(root, ".env")
	write(t, gen, "package views\n")
	write(t, env, "A=1\n")
	write(t, filepath.Join(root, "x.gen.go"), "package x\n")
	expect(t, w, env, gen)
	none(t, w)
}

func TestIgnored(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	out := filepath.Join(root, "out")
	write(t, filepath.Join(root, ".gitignore"), "build/\n*.gen.go\n!keep.gen.go\n")
	write(t, filepath.Join(root, "sub", ".gitignore"), "local.txt\n")
	for _, d := range []string{"build", "node_modules/x", "vendor/y", ".hidden", ".git", "tmp/deep", "out", "testdata"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	w := start(t, Options{
		Roots:      []string{root},
		Exclude:    []string{"tmp/**", "**/*.log"},
		IgnoreDirs: []string{out},
	})
	// root, sub and testdata; testdata is analysis's business, not ours.
	if w.Watches() != 3 {
		t.Fatalf("Watches() = %d, want 3", w.Watches())
	}

	for _, p := range []string{
		"build/app", "x.gen.go", "sub/local.txt", "node_modules/x/i.js", "vendor/y/y.go",
		".hidden/h.go", ".git/HEAD", "tmp/deep/t.go", "sub/debug.log", "out/app",
		"newdir/.cache/c.go", "node_modules/new/n.js",
	} {
		write(t, filepath.Join(root, p), "x")
	}
	keep := filepath.Join(root, "keep.gen.go")
	td := filepath.Join(root, "testdata", "in.txt")
	hidden := filepath.Join(root, "sub", ".env")
	write(t, keep, "package keep\n")
	write(t, td, "data")
	write(t, hidden, "A=1")
	expect(t, w, hidden, keep, td)
	none(t, w)
}

// TestRepositoryIgnoresAboveTheRoot: with the module in server/ of a
// repository, the repository's .gitignore files above the module and its
// .git/info/exclude apply, as git applies them.
func TestRepositoryIgnoresAboveTheRoot(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	root := filepath.Join(repo, "apps", "server")
	write(t, filepath.Join(repo, ".gitignore"), "apps/server/log/\n*.tmp\n")
	write(t, filepath.Join(repo, "apps", ".gitignore"), "*.bak\n")
	write(t, filepath.Join(repo, ".git", "info", "exclude"), "secret/\n")
	for _, d := range []string{"log", "secret"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	w := start(t, Options{Roots: []string{root}})
	for _, p := range []string{"log/app.log", "a.tmp", "b.bak", "secret/key"} {
		write(t, filepath.Join(root, p), "x")
	}
	code := filepath.Join(root, "main.go")
	write(t, code, "package main\n")
	expect(t, w, code)
	none(t, w)
}

// TestGitignoreAboveTheRoot: a root in a subdirectory of a repository
// (the module in server/) gets the .gitignore files above it up to the
// directory holding .git, as git applies them; above that, none.
func TestGitignoreAboveTheRoot(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	repo := filepath.Join(top, "repo")
	root := filepath.Join(repo, "apps", "server")
	must(t, os.MkdirAll(filepath.Join(repo, ".git"), 0o755))
	must(t, os.MkdirAll(root, 0o755))
	write(t, filepath.Join(top, ".gitignore"), "*.go\n")
	write(t, filepath.Join(repo, ".gitignore"), "logs/\n/apps/server/tmp/\n*.gen.go\n")
	write(t, filepath.Join(repo, "apps", ".gitignore"), "local.txt\n")
	w := start(t, Options{Roots: []string{root}})
	for _, p := range []string{"logs/access.log", "tmp/main", "x.gen.go", "local.txt", "sub/logs/a.log"} {
		write(t, filepath.Join(root, p), "x")
	}
	main := filepath.Join(root, "main.go")
	write(t, main, "package main\n")
	expect(t, w, main)
	none(t, w)
}

func TestGitignoreChange(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	gi := filepath.Join(root, ".gitignore")
	g := filepath.Join(root, "gen", "a.go")
	write(t, gi, "gen/\n")
	write(t, g, "package gen\n")
	w := start(t, Options{Roots: []string{root}})
	if w.Watches() != 1 {
		t.Fatalf("Watches() = %d, want 1", w.Watches())
	}

	write(t, gi, "# nothing ignored\n")
	expect(t, w, gi, g)
	write(t, g, "package gen // edited\n")
	expect(t, w, g)

	write(t, gi, "gen/\n")
	expect(t, w, gi, g) // gen/a.go left the visible set
	write(t, g, "package gen // hidden\n")
	none(t, w)
}

func TestNotify(t *testing.T) {
	t.Parallel()
	t.Run("same save from editor and fsnotify", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		a := filepath.Join(root, "a.go")
		b := filepath.Join(root, "b.go")
		write(t, a, "package a\n")
		write(t, b, "package a\n")
		w := start(t, Options{Roots: []string{root}})
		write(t, a, "package a // saved\n")
		w.Notify("test", a)
		expect(t, w, a)
		w.Notify("test", a, b, "relative.go", filepath.Join(t.TempDir(), "elsewhere.go"))
		none(t, w)
	})
	t.Run("the tag travels with its path", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		a := filepath.Join(root, "a.go")
		b := filepath.Join(root, "b.go")
		write(t, a, "package a\n")
		write(t, b, "package a\n")
		w := start(t, Options{Roots: []string{root}})
		write(t, a, "package a // saved\n")
		write(t, b, "package a // changed on disk\n")
		w.Notify("editor save", a)
		got := next(t, w)
		if !slices.Equal(got.Paths, []string{a, b}) {
			got2 := next(t, w) // fsnotify may have flushed b first
			got.Paths = append(got.Paths, got2.Paths...)
			tags := map[string]string{}
			maps.Copy(tags, got.Tags)
			maps.Copy(tags, got2.Tags)
			got.Tags = tags
		}
		if got.Tags[a] != "editor save" || got.Tags[b] != "" {
			t.Fatalf("tags = %q, want only %s tagged \"editor save\"", got.Tags, a)
		}
	})
	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		a := filepath.Join(root, "a.go")
		write(t, a, "package a\n")
		// A poll interval this long means only Notify can report in time.
		w := start(t, Options{Roots: []string{root}, Poll: time.Hour})
		write(t, a, "package a // saved\n")
		w.Notify("test", a)
		expect(t, w, a)

		n := filepath.Join(root, "new", "deep", "n.go")
		write(t, n, "package deep\n")
		w.Notify("test", n)
		expect(t, w, n)

		// A directory (here the root) is rescanned.
		r := filepath.Join(root, "r.go")
		write(t, r, "package a\n")
		w.Notify("test", root)
		expect(t, w, r)
	})
}

func TestPolling(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a := filepath.Join(root, "a.go")
	b := filepath.Join(root, "b.go")
	write(t, a, "package a\n")
	write(t, b, "package a\n")
	must(t, os.Symlink("missing", filepath.Join(root, "broken")))
	// With MaxWait out of reach, a batch only comes if polling lets the
	// quiet window end: ticks must not re-mark pending or non-file entries.
	w := start(t, Options{Roots: []string{root}, Poll: 20 * time.Millisecond, MaxWait: time.Minute})
	if !w.Polling() || w.Watches() != 0 {
		t.Fatalf("Polling() = %v, Watches() = %d; want true, 0", w.Polling(), w.Watches())
	}

	write(t, a, "package a // edited\n")
	expect(t, w, a)

	n := filepath.Join(root, "dir", "n.go")
	write(t, n, "package dir\n")
	must(t, os.Remove(b))
	expect(t, w, b, n)

	// Same bytes, new modification time: hashed, not reported.
	later := time.Now().Add(time.Hour)
	must(t, os.Chtimes(a, later, later))
	none(t, w)
}

func TestSymlinkLoop(t *testing.T) {
	t.Parallel()
	for _, poll := range []time.Duration{0, 50 * time.Millisecond} {
		t.Run(fmt.Sprintf("poll=%v", poll), func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			must(t, os.MkdirAll(filepath.Join(root, "a"), 0o755))
			must(t, os.Symlink(root, filepath.Join(root, "a", "loop")))
			must(t, os.Symlink(filepath.Join(root, "self"), filepath.Join(root, "self")))
			must(t, os.Symlink("a", filepath.Join(root, "b")))

			type result struct {
				w   *Watcher
				err error
			}
			done := make(chan result, 1)
			go func() {
				w, err := New(Options{Roots: []string{root}, Poll: poll, MaxWait: time.Minute})
				done <- result{w, err}
			}()
			var w *Watcher
			select {
			case r := <-done:
				must(t, r.err)
				w = r.w
			case <-time.After(wait):
				t.Fatal("New did not return: symlink loop followed?")
			}
			t.Cleanup(func() { must(t, w.Close()) })
			if !w.Polling() && w.Watches() != 2 {
				t.Fatalf("Watches() = %d, want 2", w.Watches())
			}

			must(t, os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "a", "loop2")))
			x := filepath.Join(root, "a", "x.go")
			write(t, x, "package a\n")
			expect(t, w, x)
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "f")
	write(t, file, "")
	for name, opts := range map[string]Options{
		"no roots":      {},
		"relative root": {Roots: []string{"rel"}},
		"missing root":  {Roots: []string{filepath.Join(t.TempDir(), "missing")}},
		"file root":     {Roots: []string{file}},
		"bad exclude":   {Roots: []string{t.TempDir()}, Exclude: []string{"[a"}},
	} {
		if w, err := New(opts); err == nil {
			w.Close()
			t.Errorf("%s: New succeeded", name)
		} else if !strings.HasPrefix(err.Error(), "watch: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}

func TestNestedRoots(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	inner := filepath.Join(root, "inner")
	must(t, os.MkdirAll(inner, 0o755))
	w := start(t, Options{Roots: []string{inner, root, root + "/"}})
	if w.Watches() != 2 {
		t.Fatalf("Watches() = %d, want 2", w.Watches())
	}
	x := filepath.Join(inner, "x.go")
	write(t, x, "package inner\n")
	expect(t, w, x)
}

// TestClose runs alone (not in parallel) so the goroutine count is its own.
func TestClose(t *testing.T) {
	for _, poll := range []time.Duration{0, 20 * time.Millisecond} {
		before := runtime.NumGoroutine()
		root := t.TempDir()
		w, err := New(Options{Roots: []string{root}, Poll: poll})
		must(t, err)
		// Events in flight and a batch nobody receives must not block Close.
		write(t, filepath.Join(root, "a.go"), "package a\n")
		must(t, w.Close())
		must(t, w.Close())
		select {
		case _, ok := <-w.Batches():
			for ok {
				_, ok = <-w.Batches()
			}
		case <-time.After(wait):
			t.Fatal("Batches not closed")
		}
		w.Notify("test", filepath.Join(root, "a.go")) // must not block
		testkit.Eventually(t, wait, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
	}
}

func TestIsTemp(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"main.go": false, "4913": true, "5036": true, "4914": false, "123": false,
		".main.go.swp": true, ".main.go.swo": true, ".swx": true, "main.swift": false,
		"main.go~": true, ".#main.go": true, "#main.go#": true, "#": false,
		"main.go.tmp": true, "main.go___jb_tmp___": true, "main.go___jb_old___": true,
		".goutputstream-ABC123": true, "main.go.kate-swp": true, ".env": false, ".gitignore": false,
	} {
		if got := isTemp(name); got != want {
			t.Errorf("isTemp(%q) = %v, want %v", name, got, want)
		}
	}
}
