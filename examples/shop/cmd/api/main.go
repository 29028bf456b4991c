// Command api is the shop's Gin web server: the target ginhotd rebuilds.
package main

import (
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"example.com/shop/internal/handlers"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	r.LoadHTMLGlob("templates/*.tmpl")
	handlers.Register(r)
	// Socket activation (ginhotd --socket-activation, or systemd): serve on
	// the listening socket passed as fd 3, and finish in-flight requests on
	// SIGTERM while the next version takes over the socket.
	if os.Getenv("LISTEN_FDS") == "1" {
		ln, err := net.FileListener(os.NewFile(3, "activation"))
		if err != nil {
			log.Fatal(err)
		}
		serveGracefully(&http.Server{Handler: r}, ln)
		return
	}
	// r.Run() with no address listens on $PORT (default 8080), which is what
	// ginhotd's proxy hands the app.
	if err := r.Run(); err != nil {
		log.Fatal(err)
	}
}

// serveGracefully serves on ln until SIGTERM or SIGINT, then stops accepting
// and waits for the requests in flight.
func serveGracefully(srv *http.Server, ln net.Listener) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-ctx.Done()
	// Every connection Serve accepted is tracked once it has returned.
	srv.Shutdown(context.Background())
}
