// Package web serves the app.
package web

import (
	"net/http"
	"os"
)

// Serve listens on PORT.
func Serve() error {
	return http.ListenAndServe(":"+os.Getenv("PORT"), http.NotFoundHandler())
}
