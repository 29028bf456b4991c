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

// PortHolder is only implemented on Linux, where it reads /proc.
func PortHolder(port int) (int, string, error) {
	return 0, "", fmt.Errorf("run: holder of port %d: %w", port, errors.ErrUnsupported)
}
