// Command templapp is a templ + net/http app whose *_templ.go files are
// not committed: templ generate writes them.
package main

import (
	"log"
	"net/http"
	"os"

	"example.com/templapp/views"
	"github.com/a-h/templ"
)

func main() {
	http.Handle("/", templ.Handler(views.Page()))
	log.Fatal(http.ListenAndServe(":"+os.Getenv("PORT"), nil))
}
