package testkit

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Proc is what tests read of a process in /proc.
type Proc struct {
	PID, PPID, PGID int
	State           byte   // 'R', 'S', 'Z', …
	Comm            string // the command name
	Cmdline         string // the arguments, joined by spaces
}

// Procs lists the processes of the machine; it skips t when there is no
// /proc.
func Procs(t testing.TB) []Proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var ps []Proc
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
		if open < 0 || closing < open {
			continue
		}
		f := strings.Fields(s[closing+1:])
		if len(f) < 3 {
			continue
		}
		p := Proc{PID: pid, Comm: s[open+1 : closing], State: f[0][0]}
		p.PPID, _ = strconv.Atoi(f[1])
		p.PGID, _ = strconv.Atoi(f[2])
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		p.Cmdline = strings.ReplaceAll(string(cmdline), "\x00", " ")
		ps = append(ps, p)
	}
	return ps
}
