//go:build unix

package lsp

import "syscall"

// probe reports whether a process pid exists: nil if so, syscall.ESRCH if not.
func probe(pid int) error { return syscall.Kill(pid, 0) }
