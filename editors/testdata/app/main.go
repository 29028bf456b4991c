// Command app is the editor tests' fixture: a net/http server that imports
// (a stand-in for) Gin, so ginhotd takes it for a target.
package main

import (
	"fmt"
	"net/http"
	"os"

	"example.com/app/msg"
	"github.com/gin-gonic/gin"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, msg.Text)
	})
	fmt.Println("fixture app listening, mode", gin.Mode())
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		panic(err)
	}
}
