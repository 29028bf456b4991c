package run

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// appProc is the app Delve started: Delve's child, the leader of a process
// group of its own (Delve sets Setpgid), so outside the group of the dlv
// process that [Start] leads. start (the start time from /proc/PID/stat)
// tells it apart from a later process that reuses the pid.
type appProc struct {
	pid   int
	start string
}

// procStat returns the state, process group and start time of pid.
func procStat(pid int) (state string, pgrp int, start string, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", 0, "", false
	}
	// "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice threads
	// itrealvalue starttime …"; comm may hold spaces and parens.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return "", 0, "", false
	}
	pgrp, _ = strconv.Atoi(f[2])
	return f[0], pgrp, f[19], true
}

// alive reports whether the app still runs (a zombie does not).
func (a *appProc) alive() bool {
	state, _, start, ok := procStat(a.pid)
	return ok && start == a.start && state != "Z" && state != "X"
}

// signal sends sig to the app's process group, or to the app alone if it
// left the group; nothing once the app is gone.
func (a *appProc) signal(sig syscall.Signal) error {
	state, pgrp, start, ok := procStat(a.pid)
	if !ok || start != a.start || state == "Z" || state == "X" {
		return nil
	}
	target := a.pid
	if pgrp == a.pid {
		target = -a.pid
	}
	err := syscall.Kill(target, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// waitGone blocks until the app has exited or done is closed. It uses a
// pidfd where the kernel has them (Linux 5.3) and polls /proc otherwise.
func (a *appProc) waitGone(done <-chan struct{}) {
	if fd, err := unix.PidfdOpen(a.pid, 0); err == nil {
		defer unix.Close(fd)
		if !a.alive() { // the pid was reused before the pidfd was opened
			return
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			select {
			case <-done:
				return
			default:
			}
			n, err := unix.Poll(fds, 200)
			if n > 0 || (err != nil && !errors.Is(err, unix.EINTR)) {
				return
			}
		}
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for a.alive() {
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}

// findApp returns the child of process dlv that runs bin, or nil.
func findApp(dlv int, bin string) *appProc {
	want, err := os.Stat(bin)
	if err != nil {
		return nil
	}
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(dlv), "task", "*", "children"))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			fi, err := os.Stat(filepath.Join("/proc", f, "exe"))
			if err != nil || !os.SameFile(fi, want) {
				continue // not exec'd yet, or Delve's telemetry child
			}
			if _, _, start, ok := procStat(pid); ok {
				return &appProc{pid: pid, start: start}
			}
		}
	}
	return nil
}

// connectedClients counts the established TCP connections that process pid
// (Delve) holds on the local port of addr.
func connectedClients(pid int, addr string) (int, error) {
	_, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	if err := addSockets(inodes, pid); err != nil {
		return 0, err
	}
	n := 0
	for _, name := range []string{"tcp", "tcp6"} {
		ports, err := localPorts(filepath.Join("/proc", strconv.Itoa(pid), "net", name), inodes, tcpEstablished)
		if err != nil && !os.IsNotExist(err) {
			return 0, err
		}
		for _, p := range ports {
			if p == port {
				n++
			}
		}
	}
	return n, nil
}

// debugSupported: Delve runs here and /proc tells its child.
const debugSupported = true
