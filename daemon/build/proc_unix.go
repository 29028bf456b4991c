//go:build unix

package build

import (
	"os/exec"
	"syscall"
)

// setGroup makes cmd the leader of a new process group and makes cancelling
// its context kill the whole group, compiler and linker children included.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// lowerPriority sets nice 19 on cmd's process group: every thread of the go
// command now, and so every compiler and linker it starts later. It is best
// effort: a failure leaves the build at normal priority.
func lowerPriority(cmd *exec.Cmd) {
	_ = syscall.Setpriority(syscall.PRIO_PGRP, cmd.Process.Pid, 19)
}
