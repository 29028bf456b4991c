// Package unused is imported by nothing: saving it does nothing.
package unused

// N is a number.
const N = 1
