//go:build unix && !linux

package run

import "syscall"

// setDeathSignal does nothing: only Linux has a parent-death signal.
func setDeathSignal(*syscall.SysProcAttr) {}

// waitExit reports false: waiting without reaping is not implemented here,
// so the caller reaps first.
func waitExit(int) bool { return false }
