// Command app is a plain net/http fixture that imports (a stand-in for) Gin.
// It listens on $PORT, or on fd 3 when started with LISTEN_FDS=1 (socket
// activation), and shuts down gracefully on SIGTERM unless IGNORE_TERM is set.
// With EXIT_AT_START set it exits at once, as a misconfigured app does; with
// HARDCODED_ADDR it listens there and ignores PORT.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"example.com/app/msg"
	"github.com/gin-gonic/gin"
)

func main() {
	if os.Getenv("EXIT_AT_START") != "" {
		fmt.Println("DATABASE_URL is not set")
		os.Exit(2)
	}
	page, err := os.ReadFile("templates/page.tmpl")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, msg.Text)
	})
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Write(page)
	})

	ln, err := listener()
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: mux}
	var conns connStates
	srv.ConnState = conns.track
	drained := make(chan struct{})
	if os.Getenv("IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		go func() {
			<-ctx.Done()
			// Stop accepting first: connections still queued on a shared
			// socket go to the next version. Answer the connections
			// already accepted, then shut down (Shutdown drops a request
			// it reads after it began).
			srv.SetKeepAlivesEnabled(false)
			ln.Close()
			conns.waitQuiet(5 * time.Second)
			srv.Shutdown(context.Background())
			close(drained)
		}()
	}
	fmt.Println("listening on", ln.Addr(), "mode", gin.Mode())
	if err := srv.Serve(ln); !errors.Is(err, net.ErrClosed) && err != http.ErrServerClosed {
		panic(err)
	}
	<-drained
}

// connStates tracks the server's connections, to tell when none is waiting
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

func listener() (net.Listener, error) {
	if os.Getenv("LISTEN_FDS") == "1" {
		return net.FileListener(os.NewFile(3, "socket"))
	}
	if addr := os.Getenv("HARDCODED_ADDR"); addr != "" {
		return net.Listen("tcp", addr) // an app that ignores PORT
	}
	return net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
}
