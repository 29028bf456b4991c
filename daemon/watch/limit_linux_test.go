package watch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// limitEnv marks the re-executed test binary that runs inside a user
// namespace with a tiny inotify watch limit.
const limitEnv = "GINHOTD_WATCH_LIMIT_CHILD"

// watchLimit is the inotify watch limit set inside the child's namespace.
const watchLimit = 3

// TestWatchLimitFallback hits the real inotify watch limit: it re-executes
// the test binary in a new user namespace, where
// /proc/sys/user/max_inotify_watches applies to that namespace only, and
// lowers it there.
func TestWatchLimitFallback(t *testing.T) {
	if os.Getenv(limitEnv) == "1" {
		limitChild(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWatchLimitFallback$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), limitEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot create a user namespace: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.Bytes())
	}
	if strings.Contains(out.String(), "--- SKIP: TestWatchLimitFallback") {
		t.Skipf("child skipped:\n%s", out.Bytes())
	}
	if !strings.Contains(out.String(), "--- PASS: TestWatchLimitFallback/") {
		t.Fatalf("child ran no scenario:\n%s", out.Bytes())
	}
	t.Logf("child:\n%s", out.Bytes())
}

func limitChild(t *testing.T) {
	const sysctl = "/proc/sys/user/max_inotify_watches"
	if err := os.WriteFile(sysctl, []byte(strconv.Itoa(watchLimit)), 0o644); err != nil {
		t.Skipf("cannot lower %s in the user namespace: %v", sysctl, err)
	}

	// logs collects Logf output from the watcher's goroutine.
	type logs struct {
		mu    sync.Mutex
		lines []string
	}
	logf := func(l *logs) func(string, ...any) {
		return func(format string, args ...any) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.lines = append(l.lines, fmt.Sprintf(format, args...))
		}
	}
	warned := func(l *logs) bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, s := range l.lines {
			if s == "inotify watch limit reached (fs.inotify.max_user_watches); falling back to polling every 500ms" {
				return true
			}
		}
		return false
	}

	t.Run("during the initial scan", func(t *testing.T) {
		root := t.TempDir()
		for _, d := range []string{"a/b/c", "d/e"} {
			must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
		}
		var l logs
		w := start(t, Options{Roots: []string{root}, Logf: logf(&l)})
		if !w.Polling() || w.Watches() != 0 || !warned(&l) {
			t.Fatalf("Polling() = %v, Watches() = %d, warned = %v; want true, 0, true", w.Polling(), w.Watches(), warned(&l))
		}
		x := filepath.Join(root, "a", "b", "c", "x.go")
		write(t, x, "package c\n")
		expect(t, w, x)
	})

	t.Run("while running", func(t *testing.T) {
		root := t.TempDir()
		must(t, os.MkdirAll(filepath.Join(root, "a"), 0o755))
		var l logs
		w := start(t, Options{Roots: []string{root}, Logf: logf(&l)})
		if w.Polling() || w.Watches() != 2 {
			t.Fatalf("Polling() = %v, Watches() = %d; want false, 2", w.Polling(), w.Watches())
		}
		x := filepath.Join(root, "b", "c", "d", "x.go")
		write(t, x, "package d\n")
		expect(t, w, x)
		if !w.Polling() || w.Watches() != 0 || !warned(&l) {
			t.Fatalf("Polling() = %v, Watches() = %d, warned = %v; want true, 0, true", w.Polling(), w.Watches(), warned(&l))
		}
		y := filepath.Join(root, "a", "y.go")
		write(t, y, "package a\n")
		expect(t, w, y)
	})
}
