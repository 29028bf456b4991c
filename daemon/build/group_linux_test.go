//go:build linux

package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunCancelKillsGroup builds through a -toolexec script that sleeps, so
// the go command has a long-lived child; it cancels, and checks that Run
// returns promptly and that nothing of the process group survives.
func TestRunCancelKillsGroup(t *testing.T) {
	sleeper := filepath.Join(t.TempDir(), "sleeper.sh")
	if err := os.WriteFile(sleeper, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started, exited := make(chan int, 1), make(chan int, 1)
	opts := Options{
		Dir: fixture(t, "ok"), OutDir: t.TempDir(), Flags: []string{"-toolexec=" + sleeper}, Env: testEnv(),
		OnStart: func(pgid int) { started <- pgid },
		OnExit:  func(pgid int) { exited <- pgid },
	}
	type ret struct {
		res Result
		err error
	}
	done := make(chan ret, 1)
	go func() {
		res, err := Run(ctx, opts, ".")
		done <- ret{res, err}
	}()

	pgid := 0
	poll(t, 10*time.Second, "the go command and its -toolexec child", func() bool {
		for _, p := range procs(t) {
			if p.ppid == os.Getpid() && p.pgrp == p.pid && p.state != 'Z' {
				pgid = p.pid
			}
		}
		return pgid != 0 && len(alive(t, pgid)) > 1
	})
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	start := time.Now()
	cancel()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("err = %v; want context.Canceled", r.err)
		}
		if r.res.OK {
			t.Error("cancelled build reported OK")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancellation")
	}
	if got := <-started; got != pgid {
		t.Errorf("OnStart(%d); want the go command's group %d", got, pgid)
	}
	select {
	case got := <-exited:
		if got != pgid {
			t.Errorf("OnExit(%d); want %d", got, pgid)
		}
	default:
		t.Error("OnExit was not called before Run returned")
	}
	poll(t, 2*time.Second, "the process group to be gone", func() bool {
		return len(alive(t, pgid)) == 0
	})
	t.Logf("group %d gone %v after cancel", pgid, time.Since(start))
	if left, _ := os.ReadDir(opts.OutDir); len(left) != 0 {
		t.Errorf("cancelled build left %v in OutDir", left)
	}
}

// proc is the part of /proc/PID/stat the tests read.
type proc struct {
	pid, ppid, pgrp int
	state           byte
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
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		ps = append(ps, proc{pid: pid, ppid: ppid, pgrp: pgrp, state: f[0][0]})
	}
	return ps
}

// alive returns the processes of group pgid that are not zombies.
func alive(t *testing.T, pgid int) []proc {
	t.Helper()
	var ps []proc
	for _, p := range procs(t) {
		if p.pgrp == pgid && p.state != 'Z' {
			ps = append(ps, p)
		}
	}
	return ps
}
