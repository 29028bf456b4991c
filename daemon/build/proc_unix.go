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
