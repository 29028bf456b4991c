// Package gin is a stand-in for github.com/gin-gonic/gin so that the
// fixtures load without the network.
package gin

// Engine is the stand-in router.
type Engine struct{}

// New returns an Engine.
func New() *Engine { return &Engine{} }

// Run does nothing.
func (e *Engine) Run(addr ...string) error { return nil }
