//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// procs tracks every process the harness starts, so that each is ended by
// its PID and process group.
type procs struct {
	mu   sync.Mutex
	live map[int]chan struct{} // pid → closed when exec's Wait returned
	apps map[int]bool          // app PIDs seen on /pid
}

func newProcs() (*procs, error) {
	// Orphans (an app whose tool was killed) are re-parented to us, so that
	// sweep can find and end them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("procs: subreaper: %w", err)
	}
	return &procs{live: map[int]chan struct{}{}, apps: map[int]bool{}}, nil
}

// start starts c as the leader of a new process group.
func (p *procs) start(c *exec.Cmd) error {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.WaitDelay = 2 * time.Second
	if err := c.Start(); err != nil {
		return fmt.Errorf("procs: start %s: %w", c.Path, err)
	}
	done := make(chan struct{})
	go func() {
		_ = c.Wait()
		close(done)
	}()
	p.mu.Lock()
	p.live[c.Process.Pid] = done
	p.mu.Unlock()
	return nil
}

// exited returns a channel closed when the process pid started by start
// has been waited for.
func (p *procs) exited(pid int) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d, ok := p.live[pid]; ok {
		return d
	}
	d := make(chan struct{})
	close(d)
	return d
}

// sawApp records an app PID served on /pid, to be swept at the end.
func (p *procs) sawApp(pid int) {
	if pid <= 0 {
		return
	}
	p.mu.Lock()
	p.apps[pid] = true
	p.mu.Unlock()
}

// stop sends sig to pid, waits up to grace for it to exit, then kills its
// whole process group; it reports whether the process exited in time.
func (p *procs) stop(pid int, sig syscall.Signal, grace time.Duration) bool {
	done := p.exited(pid)
	_ = syscall.Kill(pid, sig)
	graceful := true
	select {
	case <-done:
	case <-time.After(grace):
		graceful = false
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		graceful = false
	}
	// SIGKILL is delivered asynchronously: wait until the group is gone.
	for deadline := time.Now().Add(2 * time.Second); groupAlive(pid) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	p.mu.Lock()
	delete(p.live, pid)
	p.mu.Unlock()
	return graceful
}

// sweep ends everything still alive below the harness: app PIDs seen on
// /pid (with their process groups) and any descendant, adopted orphans
// included. It returns a line per process it had to end.
func (p *procs) sweep() []string {
	var left []string
	p.mu.Lock()
	apps := make([]int, 0, len(p.apps))
	for pid := range p.apps {
		apps = append(apps, pid)
	}
	live := make([]int, 0, len(p.live))
	for pid := range p.live {
		live = append(live, pid)
	}
	p.mu.Unlock()
	sort.Ints(apps)
	for _, pid := range live {
		left = append(left, fmt.Sprintf("pid %d (%s): still running at the end", pid, comm(pid)))
		p.stop(pid, syscall.SIGKILL, time.Second)
	}
	for _, pid := range apps {
		if !alive(pid) {
			continue
		}
		left = append(left, fmt.Sprintf("app pid %d (%s): still running after its tool stopped", pid, comm(pid)))
		if pg, err := syscall.Getpgid(pid); err == nil && pg > 1 {
			_ = syscall.Kill(-pg, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range descendants(os.Getpid()) {
		if !alive(pid) {
			continue // a zombie, reaped below
		}
		left = append(left, fmt.Sprintf("pid %d (%s): left below the harness", pid, comm(pid)))
		if pg, err := syscall.Getpgid(pid); err == nil && pg > 1 && pg != syscall.Getpgrp() {
			_ = syscall.Kill(-pg, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	p.reapOrphans()
	return left
}

// reapOrphans waits for adopted children that exec does not wait for.
func (p *procs) reapOrphans() {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		var orphans []int
		for _, pid := range children(os.Getpid()) {
			if _, ours := p.live[pid]; !ours {
				orphans = append(orphans, pid)
			}
		}
		p.mu.Unlock()
		if len(orphans) == 0 {
			return
		}
		for _, pid := range orphans {
			var ws unix.WaitStatus
			_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	st, err := readStat(pid)
	return err == nil && st.state != "Z"
}

// groupAlive reports whether a live process is in process group pgid.
func groupAlive(pgid int) bool {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.pgrp == pgid && st.state != "Z" {
			return true
		}
	}
	return false
}

// comm returns the command name of pid, or "?".
func comm(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// procStat is the part of /proc/PID/stat the harness uses.
type procStat struct {
	state        string
	ppid, pgrp   int
	utime, stime uint64
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, fmt.Errorf("stat %d: %w", pid, err)
	}
	return parseStat(string(b))
}

// parseStat parses a /proc/PID/stat line; the command name, in
// parentheses, may hold spaces and parentheses itself.
func parseStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, errors.New("stat: no command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return procStat{}, errors.New("stat: short line")
	}
	var st procStat
	var err0, err1, err2, err3 error
	st.state = f[0]
	st.ppid, err1 = strconv.Atoi(f[1])
	st.pgrp, err0 = strconv.Atoi(f[2])
	st.utime, err2 = strconv.ParseUint(f[11], 10, 64)
	st.stime, err3 = strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err0, err1, err2, err3); err != nil {
		return procStat{}, fmt.Errorf("stat: %w", err)
	}
	return st, nil
}

// cpuSeconds returns the user plus system CPU time pid has used.
func cpuSeconds(pid int) (float64, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return float64(st.utime+st.stime) / clockTicks, nil
}

// rssKB returns VmRSS of pid in kB.
func rssKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return 0, fmt.Errorf("rss: %w", err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("rss: no VmRSS for pid %d", pid)
}

// inotifyWatches counts the watches held by pid's inotify instances: one
// "inotify wd:" line per watch in /proc/PID/fdinfo/FD.
func inotifyWatches(pid int) (int, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("watches: %w", err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err != nil || target != "anon_inode:inotify" {
			continue
		}
		info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if strings.HasPrefix(line, "inotify wd:") {
				n++
			}
		}
	}
	return n, nil
}

// parents maps every process to its parent.
func parents() map[int]int {
	m := map[int]int{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return m
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.state != "Z" {
			m[pid] = st.ppid
		}
	}
	return m
}

// children returns the direct children of pid, zombies included.
func children(pid int) []int {
	var out []int
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(c); err == nil && st.ppid == pid {
			out = append(out, c)
		}
	}
	return out
}

// descendants returns every live process below pid.
func descendants(pid int) []int {
	kids := map[int][]int{}
	for c, pp := range parents() {
		kids[pp] = append(kids[pp], c)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range kids[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	sort.Ints(out)
	return out
}

// idleCost samples pid's CPU time over d without edits, then its RSS and
// inotify watches.
func idleCost(pid int, d time.Duration, sleep func(time.Duration) error) (Idle, error) {
	c0, err := cpuSeconds(pid)
	if err != nil {
		return Idle{}, err
	}
	start := time.Now()
	if err := sleep(d); err != nil {
		return Idle{}, err
	}
	c1, err := cpuSeconds(pid)
	if err != nil {
		return Idle{}, err
	}
	rss, err := rssKB(pid)
	if err != nil {
		return Idle{}, err
	}
	w, err := inotifyWatches(pid)
	if err != nil {
		return Idle{}, err
	}
	return Idle{Seconds: time.Since(start).Seconds(), CPUSeconds: c1 - c0, RSSKB: rss, Watches: w}, nil
}

// buildCPU samples the CPU time of the builds in a build log that are
// running, every interval until stopped: the go command of each and every
// process below it. It is for builds that are killed (a cancelled
// speculative build), whose CPU time the wrapper cannot log; /proc counts
// in 10 ms ticks and a process's last interval is missed, so it counts
// low by up to about 20 ms per process.
type buildCPU struct {
	mu    sync.Mutex
	ticks map[int]uint64 // pid → most utime+stime seen
	build map[int]string // pid → the build (wrapper id) it belongs to
	stop  chan struct{}
	done  chan struct{}
}

func sampleBuildCPU(log buildLog, interval time.Duration) *buildCPU {
	s := &buildCPU{ticks: map[int]uint64{}, build: map[int]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			for _, r := range log.read() {
				if r.ended {
					continue
				}
				for _, pid := range append([]int{r.pid}, tree(r.pid)...) {
					st, err := readStat(pid)
					if err != nil {
						continue
					}
					s.mu.Lock()
					if v := st.utime + st.stime; v > s.ticks[pid] {
						s.ticks[pid] = v
					}
					s.build[pid] = r.id
					s.mu.Unlock()
				}
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// end stops sampling and returns the sampled CPU time per build id.
func (s *buildCPU) end() map[string]time.Duration {
	close(s.stop)
	<-s.done
	out := map[string]time.Duration{}
	for pid, id := range s.build {
		out[id] += time.Duration(s.ticks[pid]) * time.Second / clockTicks
	}
	return out
}

// tree returns the processes below pid from the children lists of its
// threads (a child belongs to the thread that started it).
func tree(pid int) []int {
	var out []int
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
				out = append(out, tree(c)...)
			}
		}
	}
	return out
}
