//go:build !linux

package watch

import (
	"os"
	"time"
)

// pollStat returns the size and modification time of p for the poller.
func pollStat(p string) (int64, time.Time, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return 0, time.Time{}, err
	}
	return fi.Size(), fi.ModTime(), nil
}
