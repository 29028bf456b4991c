// Command envport is a net/http app that listens on $APP_PORT, set in
// .env, and never reads PORT.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"example.com/envport/msg"
)

func main() {
	port := os.Getenv("APP_PORT")
	if port == "" {
		log.Fatal("APP_PORT is not set")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, msg.Text) })
	srv := &http.Server{Addr: ":" + port, Handler: mux}
	log.Fatal(srv.ListenAndServe())
}
