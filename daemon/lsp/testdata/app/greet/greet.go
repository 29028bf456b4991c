// Package greet holds the greeting the tests change.
package greet

// Hello is the greeting.
func Hello() string { return "hello v1" }
