package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/internal/testkit"
)

// logs collects what a watcher logs.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// TestBindfsEditBehindTheMount mounts a directory with bindfs (FUSE) and
// edits, creates and removes files in the backing directory, where inotify
// on the mount sees nothing: the watcher finds the mount, says so once,
// and reports every change through the mount's paths.
func TestBindfsEditBehindTheMount(t *testing.T) {
	back := t.TempDir()
	write(t, filepath.Join(back, "go.mod"), "module example.com/m\n")
	write(t, filepath.Join(back, "msg", "msg.go"), "package msg\n")
	write(t, filepath.Join(back, "static", "app.css"), "body{}\n")
	mnt := testkit.Bindfs(t, back)

	var l logs
	w := start(t, Options{Roots: []string{mnt}, Logf: l.logf})
	if got, want := w.Subtrees(), []Subtree{{Dir: mnt, FSType: "fuse"}}; !slices.Equal(got, want) {
		t.Fatalf("Subtrees() = %v, want %v", got, want)
	}
	if got, want := w.Mode(), "inotify + polling ./ (fuse) every ~1.25s"; got != want {
		t.Errorf("Mode() = %q, want %q", got, want)
	}
	want := "polling ./ every ~1.25s: fuse delivers no events for changes made outside this machine"
	if got := l.all(); !slices.Equal(got, []string{want}) {
		t.Errorf("logged %q, want one line %q", got, want)
	}
	w.SetInterest([]string{filepath.Join(mnt, "msg", "msg.go")}, []string{"static/**"})

	// A hot file is seen on the next tick even within the second bindfs
	// keeps attributes for.
	for i, state := range []string{"cold", "hot", "hot", "hot"} {
		t0 := time.Now()
		write(t, filepath.Join(back, "msg", "msg.go"), fmt.Sprintf("package msg // edit %d behind the mount\n", i))
		expect(t, w, filepath.Join(mnt, "msg", "msg.go"))
		t.Logf("edit of a %s file reported after %v", state, time.Since(t0).Round(time.Millisecond))
	}
	write(t, filepath.Join(back, "msg", "new.go"), "package msg\n")
	expect(t, w, filepath.Join(mnt, "msg", "new.go"))
	write(t, filepath.Join(back, "web", "page", "index.html"), "<p>\n")
	expect(t, w, filepath.Join(mnt, "web", "page", "index.html"))
	css := filepath.Join(mnt, "static", "app.css")
	must(t, os.Remove(filepath.Join(back, "static", "app.css")))
	expect(t, w, css)
	write(t, filepath.Join(back, "go.mod"), "module example.com/m\n\ngo 1.25\n")
	// Under load the directory's listing may report the removal once more
	// (the session drops a repeat by its content); nothing else may come.
	got := next(t, w).Paths
	if got = slices.DeleteFunc(got, func(p string) bool { return p == css }); !slices.Equal(got, []string{filepath.Join(mnt, "go.mod")}) {
		t.Fatalf("batch = %q, want go.mod", got)
	}
}

// TestBindfsPollOff checks that PollOff keeps the watcher on inotify
// alone and that it says what that costs.
func TestBindfsPollOff(t *testing.T) {
	back := t.TempDir()
	mnt := testkit.Bindfs(t, back)
	var l logs
	w := start(t, Options{Roots: []string{mnt}, PollOff: true, Logf: l.logf})
	if got := w.Subtrees(); len(got) != 0 {
		t.Errorf("Subtrees() = %v with PollOff", got)
	}
	if got := l.all(); len(got) != 1 || !strings.HasPrefix(got[0], "not polling ./ although fuse delivers no events") {
		t.Errorf("logged %q, want one line saying polling is off", got)
	}
	if got := w.Mode(); !strings.Contains(got, "poll is off") {
		t.Errorf("Mode() = %q, want it to say poll is off", got)
	}
	// What the poller is for: inotify on the mount misses a write behind it.
	write(t, filepath.Join(back, "a.go"), "package a\n")
	none(t, w)
	write(t, filepath.Join(mnt, "b.go"), "package a\n")
	expect(t, w, filepath.Join(mnt, "b.go"))
}
