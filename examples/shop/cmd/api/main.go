// Command api is the shop's Gin web server: the target ginhotd rebuilds.
package main

import (
	"log"

	"example.com/shop/internal/handlers"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	r.LoadHTMLGlob("templates/*.tmpl")
	handlers.Register(r)
	// r.Run() with no address listens on $PORT (default 8080), which is what
	// ginhotd's proxy hands the app.
	if err := r.Run(); err != nil {
		log.Fatal(err)
	}
}
