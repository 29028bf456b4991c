//go:build !unix

package session

import (
	"errors"
	"os"
)

// lockFile creates path. Without flock, the run dir is not locked: it is
// still removed when the session ends, but one left by a killed daemon stays
// until removed by hand (see README, Platforms).
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

// tryLock never succeeds: without flock a live session's dir cannot be told
// from a stale one, so nothing is pruned.
func tryLock(string) (*os.File, error) {
	return nil, errors.New("session: no file locks on this platform")
}
