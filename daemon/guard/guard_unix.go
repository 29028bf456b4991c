//go:build unix

package guard

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// script is the watchdog. It ignores SIGHUP and SIGINT, which a terminal
// sends to the daemon's group, and accepts only positive decimal ids, so a
// stray line can never make it signal group 0 or every process (-1).
const script = `trap '' HUP INT
set -f
groups=
while read -r op pg; do
	case $pg in ''|0*|*[!0-9]*) continue ;; esac
	case $op in
	add) groups="$groups $pg" ;;
	del)
		rest=
		for g in $groups; do [ "$g" = "$pg" ] || rest="$rest $g"; done
		groups=$rest ;;
	esac
done
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
`

const (
	// writeTimeout bounds a write to a watchdog that does not read.
	writeTimeout = time.Second
	// closeTimeout bounds the wait for the watchdog to exit on Close.
	closeTimeout = 5 * time.Second
)

// Guard is a running watchdog. Its methods are safe for concurrent use and
// do nothing on a nil Guard.
type Guard struct {
	logf func(format string, args ...any)
	cmd  *exec.Cmd
	done chan struct{} // closed when the watchdog has exited

	mu     sync.Mutex
	w      *os.File // nil once closed or broken
	closed bool
}

// Start starts the watchdog. logf, if not nil, is told once if the watchdog
// goes away while the daemon runs.
func Start(logf func(format string, args ...any)) (*Guard, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdin = r
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("guard: start watchdog: %w", err)
	}
	g := &Guard{logf: logf, cmd: cmd, w: w, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(g.done)
	}()
	return g, nil
}

// Add registers the process group pgid: the watchdog kills it if the daemon
// dies before [Guard.Remove] is called for it.
func (g *Guard) Add(pgid int) { g.send("add", pgid) }

// Remove unregisters the process group pgid. Call it once the group is
// gone, before or right after its leader is reaped.
func (g *Guard) Remove(pgid int) { g.send("del", pgid) }

// send writes one line to the watchdog.
func (g *Guard) send(op string, pgid int) {
	if g == nil || pgid <= 1 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.w == nil {
		return
	}
	_ = g.w.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := g.w.WriteString(op + " " + strconv.Itoa(pgid) + "\n"); err != nil {
		g.w.Close()
		g.w = nil
		if g.logf != nil && !g.closed {
			g.logf("guard: the watchdog is gone (%v): processes started from now on may outlive a killed daemon", err)
		}
	}
}

// Close ends the watchdog as the daemon's death would: it kills every group
// still registered, and Close waits (a bounded time) for it to exit.
func (g *Guard) Close() error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	g.closed = true
	if g.w != nil {
		g.w.Close()
		g.w = nil
	}
	g.mu.Unlock()
	select {
	case <-g.done:
		return nil
	case <-time.After(closeTimeout):
		err := g.cmd.Process.Kill()
		<-g.done
		return errors.Join(fmt.Errorf("guard: close: watchdog did not exit within %v", closeTimeout), err)
	}
}
