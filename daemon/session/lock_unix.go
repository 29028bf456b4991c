//go:build unix

package session

import (
	"os"
	"syscall"
)

// lockFile creates path and holds an exclusive lock on it until the file is
// closed (or the process dies).
func lockFile(path string) (*os.File, error) {
	return flock(path, os.O_RDWR|os.O_CREATE)
}

// tryLock locks an existing lock file; it fails while another process holds
// the lock, or when there is no such file (a run dir being created).
func tryLock(path string) (*os.File, error) {
	return flock(path, os.O_RDWR)
}

// flock opens path with flag and takes an exclusive lock without waiting.
func flock(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}
