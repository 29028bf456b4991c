// Command app is a plain net/http fixture that imports (a stand-in for) Gin.
package main

import (
	"fmt"
	"net/http"
	"os"

	"example.com/app/msg"
	"github.com/gin-gonic/gin"
)

func main() {
	page, err := os.ReadFile("templates/page.tmpl")
	if err != nil {
		panic(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, msg.Text)
	})
	http.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})
	http.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Write(page)
	})
	fmt.Println("listening, mode", gin.Mode())
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		panic(err)
	}
}
