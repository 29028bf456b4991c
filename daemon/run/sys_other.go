//go:build !unix

package run

import (
	"errors"
	"os"
	"syscall"
)

// sysProcAttr has nothing to set outside Unix.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup kills proc: there are no process groups or stop signals to use.
func signalGroup(proc *os.Process, _ syscall.Signal) error {
	err := proc.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// shim reports that socket activation needs a Unix shell.
func shim(string, []string) (string, []string, error) {
	return "", nil, errors.New("socket activation is only supported on Unix")
}

// waitExit reports false: waiting without reaping is not implemented here,
// so the caller reaps first.
func waitExit(int) bool { return false }
