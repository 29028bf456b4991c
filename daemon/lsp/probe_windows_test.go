package lsp

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// probe reports whether a process pid still runs: nil if so, syscall.ESRCH
// if not.
func probe(pid int) error {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return syscall.ESRCH
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil || code != 259 { // STILL_ACTIVE
		return syscall.ESRCH
	}
	return nil
}
