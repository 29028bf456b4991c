//go:build !linux

package run

import (
	"errors"
	"fmt"
)

// ListeningPorts is only implemented on Linux, where it reads /proc.
func ListeningPorts(pid int) ([]int, error) {
	return nil, fmt.Errorf("run: listening ports of %d: %w", pid, errors.ErrUnsupported)
}
