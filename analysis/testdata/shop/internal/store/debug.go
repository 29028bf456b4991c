//go:build debug

package store

func init() { n = 0 }
