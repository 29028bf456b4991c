// Command debugapp is a fixture the debug tests run under Delve.
package main

import (
	"net/http"
	"os"
)

func hello(w http.ResponseWriter, _ *http.Request) {
	msg := "v1" // breakpoint
	w.Write([]byte(msg))
}

func main() {
	http.HandleFunc("/", hello)
	http.HandleFunc("/exit", func(http.ResponseWriter, *http.Request) { os.Exit(3) })
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		panic(err)
	}
}
