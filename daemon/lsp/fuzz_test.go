package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// frame holding a JSON-RPC message, that it answers with a result only a
// call the input really holds (what it cannot parse gets an error response
// or nothing), and that it returns once the input ends. Folders never start a session: the config file does not exist.
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
		var answers []*jsonrpc2.Response // written before read is sent on
		go func() {
			s := jsonrpc2.NewStream(pipeConn{Reader: outR, Writer: io.Discard, close: func() { _ = outR.Close() }})
			for {
				msg, _, err := s.Read(context.Background())
				if err != nil {
					read <- err
					return
				}
				if r, ok := msg.(*jsonrpc2.Response); ok && r.Err() == nil {
					answers = append(answers, r)
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
		for _, r := range answers {
			if !hasCall(input, r.ID()) {
				t.Fatalf("server answered id %v with a result, but the input holds no JSON-RPC call with that id: %q", r.ID(), input)
			}
		}
		select {
		case <-done:
		case <-deadline:
			t.Fatalf("Serve did not return 10s after the input ended; input %q", input)
		}
	})
}

// hasCall reports whether input holds, anywhere, a JSON object with a method
// and the given id (compared as the jsonrpc2 package decodes ids): the
// least a request must be for the server to answer it with a result rather
// than an error.
func hasCall(input []byte, id jsonrpc2.ID) bool {
	want := fmt.Sprintf("%q", id)
	for i := range input {
		if input[i] != '{' {
			continue
		}
		var call struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.NewDecoder(bytes.NewReader(input[i:])).Decode(&call) != nil || call.Method == "" || call.ID == nil {
			continue
		}
		var got jsonrpc2.ID
		if got.UnmarshalJSON(call.ID) == nil && fmt.Sprintf("%q", got) == want {
			return true
		}
	}
	return false
}
