package testkit

import (
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// fuseMagic is FUSE's statfs(2) magic number.
const fuseMagic = 0x65735546

// Bindfs mounts the directory back at a new temporary directory with
// bindfs, a FUSE file system, and returns the mount point. A write made in
// back is seen through the mount but produces no inotify event there, as
// with a container's bind mount written by a host editor. Cleanup
// unmounts it, after the cleanups registered later (the processes using
// it) have run. Bindfs skips t where /dev/fuse, the bindfs command or root
// is missing, except under CI (any value of $CI), where it fails.
func Bindfs(t testing.TB, back string) string {
	t.Helper()
	missing := ""
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missing = "/dev/fuse"
	} else if _, err := exec.LookPath("bindfs"); err != nil {
		missing = "bindfs (apt-get install bindfs)"
	} else if os.Geteuid() != 0 {
		missing = "root"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("a FUSE mount test needs %s, and CI must run it", missing)
		}
		t.Skipf("a FUSE mount test needs %s", missing)
	}
	mnt := t.TempDir()
	if out, err := exec.Command("bindfs", back, mnt).CombinedOutput(); err != nil {
		t.Fatalf("bindfs %s %s: %v\n%s", back, mnt, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("fusermount", "-u", mnt).CombinedOutput(); err != nil {
			if out2, err2 := exec.Command("umount", "-l", mnt).CombinedOutput(); err2 != nil {
				t.Errorf("unmounting %s: %v: %s; %v: %s", mnt, err, out, err2, out2)
			}
		}
	})
	var st unix.Statfs_t
	if err := unix.Statfs(mnt, &st); err != nil || st.Type != fuseMagic {
		t.Fatalf("bindfs returned but %s is not a FUSE mount (statfs: %v, type %#x)", mnt, err, st.Type)
	}
	return mnt
}
