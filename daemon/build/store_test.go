package build

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// binary writes a fake binary of size bytes and returns its path.
func binary(t *testing.T, dir, name string, size int) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, make([]byte, size), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStoreGetPut(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "store")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := binary(t, dir, "stale", 1)
	s, err := NewStore(dir, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a binary of an earlier run survived NewStore: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("store dir mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	if _, ok := s.Get("k1"); ok {
		t.Fatal("Get on an empty store found something")
	}
	src := binary(t, tmp, "app-1", 10)
	p1, err := s.Put("k1", src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(src); err != nil { // build.Prune of OutDir
		t.Fatal(err)
	}
	got, ok := s.Get("k1")
	if !ok || got != p1 {
		t.Fatalf("Get(k1) = %q, %v; want %q", got, ok, p1)
	}
	if fi, err := os.Stat(got); err != nil || fi.Mode()&0o111 == 0 || fi.Size() != 10 {
		t.Fatalf("stored binary: %v, %v; want an executable of 10 bytes", fi, err)
	}
	// Putting the same key again replaces the entry.
	p1b, err := s.Put("k1", binary(t, tmp, "app-1b", 11))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get("k1"); got != p1b {
		t.Fatalf("after re-put Get(k1) = %q, want %q", got, p1b)
	}
	if _, err := os.Stat(p1); !os.IsNotExist(err) {
		t.Errorf("the replaced binary is still stored")
	}
}

func TestStorePrunesLeastRecentlyUsed(t *testing.T) {
	tmp := t.TempDir()
	s, err := NewStore(filepath.Join(tmp, "store"), 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	put := func(k string, size int) {
		t.Helper()
		p, err := s.Put(k, binary(t, tmp, k, size))
		if err != nil {
			t.Fatal(err)
		}
		paths[k] = p
	}
	put("a", 1)
	put("b", 1)
	put("c", 1)
	s.Get("a") // a is now the most recently used
	s.Keep(paths["b"])
	put("d", 1) // over 3 entries: c goes (b is kept)
	for k, want := range map[string]bool{"a": true, "b": true, "c": false, "d": true} {
		_, ok := s.Get(k)
		if _, err := os.Stat(paths[k]); ok != want || (err == nil) != want {
			t.Errorf("%s: stored %v (stat err %v), want %v", k, ok, err, want)
		}
	}

	// The byte bound: 100 bytes hold two 40-byte binaries, not three.
	s2, err := NewStore(filepath.Join(tmp, "store2"), 16, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s2.Put(fmt.Sprint(i), binary(t, tmp, fmt.Sprint("big", i), 40)); err != nil {
			t.Fatal(err)
		}
	}
	_, ok0 := s2.Get("0")
	_, ok2 := s2.Get("2")
	if ok0 || !ok2 {
		t.Errorf("byte bound: oldest kept %v, newest kept %v; want the oldest dropped", ok0, ok2)
	}
}
