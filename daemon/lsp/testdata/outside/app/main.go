// Command chatty prints a burst of coloured lines at start-up, then serves
// on 127.0.0.1:$PORT. Its Gin stand-in lives outside the workspace folder.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
)

func main() {
	for i := range 3000 {
		fmt.Printf("\x1b[31mchatty line %d\x1b[0m\n", i)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, gin.Mode()) })
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
