// Command hardport is a net/http app that listens on a hard-coded :8080.
package main

import (
	"log"
	"net/http"

	"example.com/hardport/msg"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(msg.Text)) })
	log.Fatal(http.ListenAndServe(":8080", nil))
}
