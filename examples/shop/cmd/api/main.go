// Command api is the shop's Gin web server: the target ginhotd rebuilds.
package main

import (
	"log"
	"net"
	"os"

	"example.com/shop/internal/handlers"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	r.LoadHTMLGlob("templates/*.tmpl")
	handlers.Register(r)
	// Socket activation (ginhotd --socket-activation, or systemd): serve on
	// the listening socket passed as fd 3.
	if os.Getenv("LISTEN_FDS") == "1" {
		ln, err := net.FileListener(os.NewFile(3, "activation"))
		if err != nil {
			log.Fatal(err)
		}
		log.Fatal(r.RunListener(ln))
	}
	// r.Run() with no address listens on $PORT (default 8080), which is what
	// ginhotd's proxy hands the app.
	if err := r.Run(); err != nil {
		log.Fatal(err)
	}
}
