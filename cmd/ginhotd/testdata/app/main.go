// Command app is a plain net/http fixture that imports (a stand-in for) Gin.
// It listens on $PORT, or on fd 3 when started with LISTEN_FDS=1 (socket
// activation), and shuts down gracefully on SIGTERM unless IGNORE_TERM is set.
// With EXIT_AT_START set it exits at once, as a misconfigured app does; with
// HARDCODED_ADDR it listens there and ignores PORT.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

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
	drained := make(chan struct{})
	if os.Getenv("IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		go func() {
			<-ctx.Done()
			srv.Shutdown(context.Background())
			close(drained)
		}()
	}
	fmt.Println("listening on", ln.Addr(), "mode", gin.Mode())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		panic(err)
	}
	<-drained
	// Serve has returned, so every connection it accepted is tracked now:
	// wait for those too (the first Shutdown may have seen none of them).
	srv.Shutdown(context.Background())
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
