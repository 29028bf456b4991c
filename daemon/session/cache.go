package session

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// cacheDir is where a session keeps its files, under the user cache dir:
//
//	ginhotd/<workspace hash>/app.log        the app output of the last session
//	ginhotd/<workspace hash>/run-XXXX/      this session's binaries, locked
//	                                        while it runs, removed when it ends
//
// Two daemons on one workspace get a run dir each and never prune each
// other's. A run dir left by a daemon that was killed is removed by the next
// session on the workspace, once no process holds its lock.
type cacheDir struct {
	root   string   // <user cache>/ginhotd
	shared string   // root/<workspace hash>
	bin    string   // shared/run-XXXX
	lock   *os.File // bin/lock, locked while the session runs
}

func openCache(workspace string) (*cacheDir, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(workspace))
	c := &cacheDir{root: filepath.Join(base, "ginhotd")}
	c.shared = filepath.Join(c.root, hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(c.shared, 0o755); err != nil {
		return nil, fmt.Errorf("session: cache dir: %w", err)
	}
	pruneStale(c.shared)
	if c.bin, err = os.MkdirTemp(c.shared, "run-"); err != nil {
		return nil, fmt.Errorf("session: cache dir: %w", err)
	}
	if c.lock, err = lockFile(filepath.Join(c.bin, "lock")); err != nil {
		_ = os.RemoveAll(c.bin)
		return nil, fmt.Errorf("session: cache dir: %w", err)
	}
	return c, nil
}

// pruneStale removes the run dirs under shared that no live session holds.
func pruneStale(shared string) {
	dirs, _ := filepath.Glob(filepath.Join(shared, "run-*"))
	for _, d := range dirs {
		if f, err := tryLock(filepath.Join(d, "lock")); err == nil {
			_ = os.RemoveAll(d)
			_ = f.Close()
		}
	}
}

// close removes the session's binaries and releases its lock.
func (c *cacheDir) close() {
	_ = os.RemoveAll(c.bin)
	_ = c.lock.Close()
}
