package store

// Count returns the number of items.
func Count() int { return n }

var n = 3
