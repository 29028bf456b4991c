// Package unused is imported by nothing: saving it needs no rebuild.
package unused

// Nothing does nothing.
func Nothing() {}
