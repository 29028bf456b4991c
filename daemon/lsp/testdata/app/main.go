// Command app is the LSP tests' web app: it answers every request with its
// greeting and its pid, on 127.0.0.1:$PORT.
package main

import (
	"fmt"
	"net/http"
	"os"

	"example.com/app/greet"
	"github.com/gin-gonic/gin"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s pid=%d mode=%s\n", greet.Hello(), os.Getpid(), gin.Mode())
	})
	fmt.Println("app listening on port", os.Getenv("PORT"))
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
