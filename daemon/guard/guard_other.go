//go:build !unix && !windows

package guard

// Guard is never made here; a nil Guard's methods do nothing.
type Guard struct{}

// Start reports [ErrUnsupported]: without a watchdog, processes the daemon
// starts may outlive it when it is killed.
func Start(func(format string, args ...any)) (*Guard, error) { return nil, ErrUnsupported }

// Add does nothing.
func (g *Guard) Add(int) {}

// Remove does nothing.
func (g *Guard) Remove(int) {}

// Close does nothing.
func (g *Guard) Close() error { return nil }
