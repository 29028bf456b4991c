// Package echo stands in for github.com/labstack/echo/v4 in ginhotd's
// tests: init recognises an Echo app by this import path, and the fixture
// must build without the network. Start serves, as Echo's does.
package echo

import (
	"log"
	"net/http"
)

// Echo is the stand-in server.
type Echo struct {
	mux    *http.ServeMux
	Logger *log.Logger
}

// Context is what a handler answers with.
type Context interface {
	String(code int, s string) error
}

// HandlerFunc handles a request.
type HandlerFunc func(Context) error

type context struct{ w http.ResponseWriter }

func (c context) String(code int, s string) error {
	c.w.WriteHeader(code)
	_, err := c.w.Write([]byte(s))
	return err
}

// New returns an Echo.
func New() *Echo { return &Echo{mux: http.NewServeMux(), Logger: log.Default()} }

// GET routes GET requests for path to h.
func (e *Echo) GET(path string, h HandlerFunc) {
	e.mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) { _ = h(context{w}) })
}

// Start listens on address.
func (e *Echo) Start(address string) error { return http.ListenAndServe(address, e.mux) }
