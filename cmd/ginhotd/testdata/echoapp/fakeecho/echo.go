// Package echo stands in for github.com/labstack/echo/v4 in ginhotd's
// tests: init recognises an Echo app by this import path, and the fixture
// must load without the network.
package echo

import "net/http"

// Echo is the stand-in server.
type Echo struct{}

// New returns an Echo.
func New() *Echo { return &Echo{} }

// Start listens on address.
func (e *Echo) Start(address string) error { return http.ListenAndServe(address, nil) }
