package lsp

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// pipeConn is one end of a pair of io.Pipes: unlike net.Pipe, the writer
// can signal the end of its input while still reading.
type pipeConn struct {
	io.Reader
	io.Writer
	close func()
}

func (p pipeConn) Close() error { p.close(); return nil }

// FuzzFraming feeds arbitrary bytes to Serve as client input and checks that
// it neither panics nor hangs, that everything it writes is a well-formed
// frame holding a JSON-RPC message, and that it returns once the input
// ends. Folders never start a session: the config file does not exist.
func FuzzFraming(f *testing.F) {
	for _, seed := range []string{
		frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":"file:///nonexistent","capabilities":{"window":{"workDoneProgress":true}}}}`) +
			frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`) +
			frame(`{"jsonrpc":"2.0","id":2,"method":"workspace/executeCommand","params":{"command":"ginhot.status"}}`) +
			frame(`{"jsonrpc":"2.0","method":"textDocument/didSave","params":{"textDocument":{"uri":"file:///nonexistent/a.go"}}}`) +
			frame(`{"jsonrpc":"2.0","id":3,"method":"shutdown"}`) +
			frame(`{"jsonrpc":"2.0","method":"exit"}`),
		"Content-Length: 10\r\n\r\n{}",
		"Content-Length: abc\r\n\r\n{\"id\":1}" + ping(2),
		"Content-Type: x\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"x\"}" + ping(6),
		"Content-Length: 60\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":" + ping(8),
		frame(`[{"jsonrpc":"2.0","id":1,"method":"initialize"}]`),
		frame(`{"jsonrpc":"2.0","id":{"a":1},"method":"x"}`),
		"\x00\xff\r\n\r\nContent-Length:\r\n\r\n",
		frame(`{"jsonrpc":"2.0","id":9,"method":"workspace/didChangeWorkspaceFolders","params":{"event":{"added":[{"uri":"file:///tmp"}],"removed":[]}}}`),
	} {
		f.Add([]byte(seed))
	}
	noConfig := filepath.Join(f.TempDir(), "missing.toml")
	f.Fuzz(func(t *testing.T, input []byte) {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		srv := pipeConn{Reader: inR, Writer: outW, close: func() {
			_ = inR.Close()
			_ = outW.Close()
		}}
		done := make(chan error, 1)
		go func() {
			done <- Serve(context.Background(), srv, Options{ConfigFile: noConfig, Logf: func(string, ...any) {}})
		}()
		go func() {
			_, _ = inW.Write(input)
			_ = inW.Close()
		}()

		read := make(chan error, 1)
		go func() {
			s := jsonrpc2.NewStream(pipeConn{Reader: outR, Writer: io.Discard, close: func() { _ = outR.Close() }})
			for {
				if _, _, err := s.Read(context.Background()); err != nil {
					read <- err
					return
				}
			}
		}()
		deadline := time.After(10 * time.Second)
		select {
		case err := <-read:
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
				t.Fatalf("server wrote something that is not a frame with a JSON-RPC message: %v", err)
			}
		case <-deadline:
			t.Fatalf("server output did not end 10s after the input ended; input %q", input)
		}
		select {
		case <-done:
		case <-deadline:
			t.Fatalf("Serve did not return 10s after the input ended; input %q", input)
		}
	})
}
