package session

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCacheDirs: two sessions on one workspace get run dirs of their own,
// neither prunes the other's, each removes its own on close, and a run dir
// left by a killed daemon (no lock held) goes at the next start.
func TestCacheDirs(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ws := t.TempDir()
	a, err := openCache(ws)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(a.bin, "app-1")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := openCache(ws)
	if err != nil {
		t.Fatal(err)
	}
	if a.bin == b.bin || a.shared != b.shared {
		t.Fatalf("run dirs %s and %s: want two run dirs under one workspace dir", a.bin, b.bin)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the second session pruned the first one's binary: %v", err)
	}
	b.close()
	if _, err := os.Stat(b.bin); !os.IsNotExist(err) {
		t.Fatalf("run dir %s still there after close (err %v)", b.bin, err)
	}

	// A daemon killed with SIGKILL leaves its run dir, unlocked.
	stale := filepath.Join(a.shared, "run-stale")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := openCache(ws)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale run dir not pruned (err %v)", err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("a live session's binary was pruned: %v", err)
	}
	a.close()
}
