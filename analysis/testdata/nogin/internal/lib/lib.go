package lib

import "net/http"

// Handler serves nothing.
func Handler() http.Handler { return http.NotFoundHandler() }
