package watch

import (
	"time"

	"golang.org/x/sys/unix"
)

// pollStat returns the size and modification time of p for the poller.
// It asks with AT_STATX_FORCE_SYNC, so that a FUSE or network file system
// asks its server instead of answering from the kernel's attribute cache
// (bindfs keeps attributes for a second): a hot file is then seen changed
// on the next tick.
func pollStat(p string) (int64, time.Time, error) {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_STATX_FORCE_SYNC, unix.STATX_SIZE|unix.STATX_MTIME, &st); err != nil {
		return 0, time.Time{}, err
	}
	return int64(st.Size), time.Unix(st.Mtime.Sec, int64(st.Mtime.Nsec)), nil
}
