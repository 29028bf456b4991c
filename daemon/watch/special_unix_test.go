//go:build unix

package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFiles checks that FIFOs (which block a reader) and unreadable
// files neither hang nor crash the watcher, with fsnotify and with polling.
func TestSpecialFiles(t *testing.T) {
	t.Parallel()
	for _, poll := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run(fmt.Sprintf("poll=%v", poll), func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			must(t, syscall.Mkfifo(filepath.Join(root, "fifo0"), 0o644))
			w := start(t, Options{Roots: []string{root}, Poll: poll, MaxWait: time.Minute})

			must(t, syscall.Mkfifo(filepath.Join(root, "fifo1"), 0o644))
			locked := filepath.Join(root, "locked.go")
			must(t, os.WriteFile(locked, []byte("package locked\n"), 0o000))
			expect(t, w, locked) // new, whether or not it can be read

			x := filepath.Join(root, "x.go")
			write(t, x, "package x\n")
			expect(t, w, x)
		})
	}
}
