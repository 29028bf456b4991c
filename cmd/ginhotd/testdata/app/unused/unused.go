// Package unused is imported by nothing.
package unused

// N is a number.
const N = 1
