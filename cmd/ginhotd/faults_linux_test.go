package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
		ps := procs(t)
		goPID = 0
		for _, p := range ps {
			if p.ppid == daemonPID && p.pgrp == p.pid && p.comm == "go" && p.state != 'Z' {
				goPID = p.pid
			}
		}
		compiling := false
		for _, p := range ps {
			compiling = compiling || goPID != 0 && p.pgrp == goPID && p.comm == "compile" && p.state != 'Z'
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
	var left []proc
	for time.Since(start) < 3*time.Second {
		left = left[:0]
		for _, p := range procs(t) {
			if p.state != 'Z' && (p.pgrp == goPID || p.pgrp == app || strings.Contains(p.cmdline, d.dir)) {
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

// proc is what the test reads of /proc/PID.
type proc struct {
	pid, ppid, pgrp int
	state           byte
	comm, cmdline   string
}

// procs lists the processes of the machine.
func procs(t *testing.T) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var ps []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// "pid (comm) state ppid pgrp ..."; comm may hold spaces and parens.
		s := string(b)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		f := strings.Fields(s[closing+1:])
		if open < 0 || len(f) < 3 {
			continue
		}
		p := proc{pid: pid, comm: s[open+1 : closing], state: f[0][0]}
		p.ppid, _ = strconv.Atoi(f[1])
		p.pgrp, _ = strconv.Atoi(f[2])
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		p.cmdline = strings.ReplaceAll(string(cmdline), "\x00", " ")
		ps = append(ps, p)
	}
	return ps
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
