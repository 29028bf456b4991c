//go:build !linux

package term

import (
	"context"
	"os"
)

// Keys reads no keys on this platform: it returns a nil channel.
func Keys(ctx context.Context, f *os.File) (<-chan byte, func()) {
	return nil, func() {}
}
