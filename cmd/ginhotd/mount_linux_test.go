package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/daemon/watch"
	"github.com/ginhotd/ginhotd/internal/testkit"
)

// TestRunServesEditsBehindAFUSEMount runs ginhotd, with no flag, on a
// bindfs mount of the app and edits the files in the backing directory,
// as a host editor does behind a container's bind mount: inotify on the
// mount sees nothing, yet the edit is served, an unreachable edit builds
// nothing, and the daemon says once why it polls.
func TestRunServesEditsBehindAFUSEMount(t *testing.T) {
	back := copyFixture(t, "app")
	mnt := testkit.Bindfs(t, back)
	d := startDaemonIn(t, mnt)
	want := "polling ./ every ~1.25s: fuse delivers no events for changes made outside this machine"
	d.await("the polling line", 5*time.Second, func(e event) bool { return e.Event == "warn" && e.Message == want })
	d.await("the watch mode in the status", 5*time.Second, func(e event) bool {
		return e.Status != nil && e.Status.Watch == "inotify + polling ./ (fuse) every ~1.25s"
	})
	pid := d.get("/pid")

	m := d.mark()
	writeBehind(t, back, "msg/msg.go", msgSource("v2"))
	d.awaitAfter(m, "ready after an edit behind the mount", 60*time.Second, func(e event) bool { return e.Event == "ready" })
	if got := d.get("/"); got != "v2" {
		t.Fatalf("after the edit GET / = %q, want v2", got)
	}
	if d.get("/pid") == pid {
		t.Fatal("the PID did not change after an edit behind the mount")
	}

	pid = d.get("/pid")
	m = d.mark()
	writeBehind(t, back, "unused/unused.go", "package unused\n\n// edited behind the mount\n")
	// The poller does not even stat a file no target reaches; give it two
	// of its cycles to prove that nothing happens.
	time.Sleep(2 * watch.PollCycle)
	for _, e := range d.since(m) {
		if e.Event == "build_start" || e.Event == "start" {
			t.Fatalf("an unreachable edit behind the mount caused %s", e.Event)
		}
	}
	if got := d.get("/pid"); got != pid {
		t.Fatalf("PID changed from %s to %s after an unreachable edit", pid, got)
	}
}

// writeBehind writes rel in the backing directory of a mount.
func writeBehind(t *testing.T, back, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(back, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
