package guard

import "errors"

// ErrUnsupported is returned by [Start] on platforms without a watchdog.
var ErrUnsupported = errors.New("guard: not supported on this platform")
