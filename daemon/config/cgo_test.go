package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCgoKey(t *testing.T) {
	dir := t.TempDir()
	if c, err := Load(dir, "", nil); err != nil || c.Cgo {
		t.Fatalf("default: Cgo=%v err=%v; want false", c.Cgo, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ginhot.toml"), []byte("cgo = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(dir, "", nil); err != nil || !c.Cgo {
		t.Fatalf("cgo = true: Cgo=%v err=%v", c.Cgo, err)
	}
	if c, err := Load(dir, "", map[string]any{"cgo": false}); err != nil || c.Cgo {
		t.Fatalf("override cgo=false: Cgo=%v err=%v", c.Cgo, err)
	}
}
