//go:build unix

package run

import (
	"errors"
	"os"
	"syscall"
)

// activationShim sets LISTEN_PID to the shell's pid, which exec keeps for
// the app: $0 is the app's path and "$@" its arguments.
const activationShim = `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`

// sysProcAttr puts the child in a new process group and, where the OS has
// it, arranges SIGKILL on the parent's death.
func sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(attr)
	return attr
}

// signalGroup sends sig to the process group led by proc. A group that is
// already gone is not an error.
func signalGroup(proc *os.Process, sig syscall.Signal) error {
	err := syscall.Kill(-proc.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// shim returns the command that starts path with args and sets LISTEN_PID
// to the app's pid.
func shim(path string, args []string) (string, []string, error) {
	return "/bin/sh", append([]string{"-c", activationShim, path}, args...), nil
}
