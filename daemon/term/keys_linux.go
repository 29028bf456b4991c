//go:build linux

package term

import (
	"context"
	"os"

	"golang.org/x/sys/unix"
)

// Keys puts the terminal f into character mode (no line buffering, no echo;
// output processing untouched) and sends each byte read to the returned
// channel until ctx is done. The restore function puts the terminal back; it
// must be called. When f is not a terminal, Keys returns a nil channel.
func Keys(ctx context.Context, f *os.File) (<-chan byte, func()) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, func() {}
	}
	raw := *old
	raw.Lflag &^= unix.ICANON | unix.ECHO
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, func() {}
	}
	ch := make(chan byte)
	go func() {
		buf := make([]byte, 1)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			if n == 1 {
				select {
				case ch <- buf[0]:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }
}
