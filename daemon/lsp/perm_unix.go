//go:build unix

package lsp

import (
	"fmt"
	"os"
	"syscall"
)

// privateDir returns an error unless dir is a directory of the user that
// group and others cannot open.
func privateDir(dir string) error {
	fi, uid, err := ownerOf(dir)
	if err != nil {
		return fmt.Errorf("lsp: socket directory: %w", err)
	}
	switch me := os.Getuid(); {
	case !fi.IsDir():
		return fmt.Errorf("lsp: socket directory %s is not a directory", dir)
	case uid != me:
		return fmt.Errorf("lsp: socket directory %s belongs to uid %d, not to you (uid %d); put the socket in a directory of your own", dir, uid, me)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("lsp: socket directory %s has mode %04o, so other users could reach the socket; run chmod 700 %s, or put the socket in a directory only you can open such as $XDG_RUNTIME_DIR", dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// ownedFolder returns an error unless dir belongs to the user and group and
// others cannot write to it: over TCP, where any local user can connect,
// ginhotd builds and runs only code that the user's own files hold.
func ownedFolder(dir string) error {
	fi, uid, err := ownerOf(dir)
	if err != nil {
		return err
	}
	switch me := os.Getuid(); {
	case uid != me:
		return fmt.Errorf("it belongs to uid %d, not to the user running ginhotd (uid %d)", uid, me)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("group or others can write to it (mode %04o)", fi.Mode().Perm())
	}
	return nil
}

// ownerOf stats path, following symbolic links, and returns its owner.
func ownerOf(path string) (os.FileInfo, int, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, 0, fmt.Errorf("%s: no owner information", path)
	}
	return fi, int(st.Uid), nil
}
