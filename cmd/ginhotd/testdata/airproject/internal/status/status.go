// Package status holds the app's status codes.
package status

//go:generate stringer -type=Status

// Status is a request status.
type Status int

// OK is the good status.
const OK Status = 0
