// Command api is the shop's Gin web server: the target ginhotd rebuilds.
package main

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

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

// serveGracefully serves on ln until SIGTERM or SIGINT. Then it stops
// accepting first, so that connections still queued on a shared socket go to
// the next version, answers the connections it already accepted, and shuts
// down: http.Server.Shutdown alone drops a request it reads after it began.
func serveGracefully(srv *http.Server, ln net.Listener) {
	var conns connStates
	srv.ConnState = conns.track
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		srv.SetKeepAlivesEnabled(false)
		ln.Close()
		conns.waitQuiet(5 * time.Second)
		srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); !errors.Is(err, net.ErrClosed) && err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-done
}

// connStates tracks a server's connections, to tell when none is waiting
// for or serving a request.
type connStates struct {
	mu sync.Mutex
	m  map[net.Conn]http.ConnState
}

func (c *connStates) track(conn net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[net.Conn]http.ConnState{}
	}
	if s == http.StateClosed || s == http.StateHijacked {
		delete(c.m, conn)
		return
	}
	c.m[conn] = s
}

func (c *connStates) busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		if s == http.StateNew || s == http.StateActive {
			return true
		}
	}
	return false
}

// waitQuiet waits until no connection is new or active, at most max.
func (c *connStates) waitQuiet(max time.Duration) {
	for deadline := time.Now().Add(max); c.busy() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}
