package run

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// setDeathSignal makes the kernel SIGKILL the child when the thread that
// forked it exits. See the package documentation about golang/go#27505.
func setDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}

// waitExit blocks until the process pid has exited, without reaping it, so
// that its pid (and process group id) stay reserved while the rest of the
// group is killed. It reports whether it did so.
func waitExit(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err == nil
		}
	}
}
