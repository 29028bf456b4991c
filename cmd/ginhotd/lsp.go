package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/lsp"
)

// stdio joins stdin and stdout into the connection of --stdio mode.
type stdio struct {
	io.Reader
	io.Writer
}

// Close closes stdin, which ends the connection's reader.
func (s stdio) Close() error {
	if c, ok := s.Reader.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// serveLSP runs --stdio or --listen. Only protocol frames go to stdout;
// daemon logs go to stderr. The exit code follows LSP: 0 after shutdown and
// exit, 1 otherwise.
func serveLSP(ctx context.Context, f *flags, stdin *os.File, stdout, stderr io.Writer) int {
	opts := lsp.Options{
		Logf:       func(format string, a ...any) { fmt.Fprintf(stderr, "ginhotd: "+format+"\n", a...) },
		ConfigFile: f.config,
		Overrides:  f.overrides,
		Container:  config.DetectContainer(),
	}
	var err error
	if f.listen != "" {
		err = lsp.Listen(ctx, f.listen, f.remote, opts)
	} else {
		err = lsp.Serve(ctx, stdio{stdin, stdout}, opts)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, lsp.ErrExitWithoutShutdown):
		return 1
	}
	fmt.Fprintln(stderr, "ginhotd:", err)
	return 1
}
