//go:build !unix

package build

import "os/exec"

// setGroup keeps exec's default cancellation (kill the go command only):
// process groups are a Unix notion.
func setGroup(*exec.Cmd) {}

// lowerPriority does nothing: without process groups the go command's
// children cannot be reached (Windows builds run at normal priority).
func lowerPriority(*exec.Cmd) {}
