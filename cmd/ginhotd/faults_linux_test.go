package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/internal/testkit"
)

// TestKilledDaemonLeavesNoBuildBehind SIGKILLs the daemon while `go build`
// compiles a large file and expects the go command, the compiler and the
// app to be gone within 3 seconds.
func TestKilledDaemonLeavesNoBuildBehind(t *testing.T) {
	d := startDaemon(t)
	var app int
	fmt.Sscan(d.get("/pid"), &app)
	daemonPID := d.cmd.Process.Pid

	m := d.mark()
	d.write("msg/big.go", bigSource(15000))
	d.awaitAfter(m, "build_start", 30*time.Second, func(e event) bool { return e.Event == "build_start" })
	var goPID int
	deadline := time.Now().Add(60 * time.Second)
	for {
		ps := testkit.Procs(t)
		goPID = 0
		for _, p := range ps {
			if p.PPID == daemonPID && p.PGID == p.PID && p.Comm == "go" && p.State != 'Z' {
				goPID = p.PID
			}
		}
		compiling := false
		for _, p := range ps {
			compiling = compiling || goPID != 0 && p.PGID == goPID && p.Comm == "compile" && p.State != 'Z'
		}
		if compiling {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no go command compiling under ginhotd (pid %d) within 60s; events: %+v", daemonPID, d.since(m))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(func() { _ = syscall.Kill(-goPID, syscall.SIGKILL) })

	start := time.Now()
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Wait()
	var left []testkit.Proc
	for time.Since(start) < 3*time.Second {
		left = left[:0]
		for _, p := range testkit.Procs(t) {
			if p.State != 'Z' && (p.PGID == goPID || p.PGID == app || strings.Contains(p.Cmdline, d.dir)) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			t.Logf("build and app gone %v after SIGKILL", time.Since(start))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("3s after SIGKILL of the daemon, its build or app still runs: %+v", left)
}

// bigSource returns a file of package msg with n functions, slow to compile,
// and a nonce that keeps it out of the build cache.
func bigSource(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package msg\n\nvar nonce = %d\n\n", time.Now().UnixNano())
	for i := range n {
		fmt.Fprintf(&b, "// F%d is filler.\nfunc F%d(x int) int {\n\tif x > %d {\n\t\treturn x * %d\n\t}\n\treturn x + F%d(x+1)\n}\n\n", i, i, i, i+1, max(i-1, 0))
	}
	return b.String()
}

// TestUnreadableFileIsReported: a new file of a reached package with a NUL
// byte must cause a build whose diagnostic is on that file.
func TestUnreadableFileIsReported(t *testing.T) {
	d := startDaemon(t)
	m := d.mark()
	d.write("msg/x.go", "package msg\n\x00\n")
	e := d.awaitAfter(m, "build_fail", 60*time.Second, func(e event) bool { return e.Event == "build_fail" })
	want := filepath.Join(d.dir, "msg", "x.go")
	for _, dg := range e.Diagnostics {
		if dg.File == want && dg.Line == 2 {
			return
		}
	}
	t.Fatalf("build_fail without a diagnostic at msg/x.go:2: %+v", e.Diagnostics)
}
