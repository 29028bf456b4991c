// Package dap is a small Debug Adapter Protocol client: just what ginhotd's
// tests need to drive Delve the way an editor does (remote attach,
// breakpoints, stopped events, continue, disconnect).
package dap

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"sync"
)

// Message is a DAP request, response or event.
type Message struct {
	Seq        int             `json:"seq"`
	Type       string          `json:"type"` // "request", "response" or "event"
	Command    string          `json:"command,omitempty"`
	Event      string          `json:"event,omitempty"`
	RequestSeq int             `json:"request_seq,omitempty"`
	Success    bool            `json:"success,omitempty"`
	Message    string          `json:"message,omitempty"`
	Arguments  any             `json:"arguments,omitempty"`
	Body       json.RawMessage `json:"body,omitempty"`
}

// Client is a DAP connection. Requests are answered in order of arrival;
// events are queued until [Client.WaitEvent] takes them. A Client is meant
// for one goroutine.
type Client struct {
	conn   net.Conn
	seq    int
	in     chan Message // every message read, in order; closed at EOF
	events []Message    // events read while waiting for a response
	closed sync.Once
	err    error // why in was closed; read after in is closed
}

// Dial connects to a DAP server at addr.
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dap: dial: %w", err)
	}
	c := &Client{conn: conn, in: make(chan Message, 256)}
	go c.read()
	return c, nil
}

// read decodes Content-Length framed messages into c.in.
func (c *Client) read() {
	defer close(c.in)
	r := bufio.NewReader(c.conn)
	tp := textproto.NewReader(r)
	for {
		h, err := tp.ReadMIMEHeader()
		if err != nil {
			c.err = err
			return
		}
		n, err := strconv.Atoi(h.Get("Content-Length"))
		if err != nil {
			c.err = fmt.Errorf("bad Content-Length: %w", err)
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			c.err = err
			return
		}
		var m Message
		if err := json.Unmarshal(body, &m); err != nil {
			c.err = err
			return
		}
		c.in <- m
	}
}

// Close closes the connection.
func (c *Client) Close() error {
	var err error
	c.closed.Do(func() { err = c.conn.Close() })
	return err
}

// next returns the next message read.
func (c *Client) next(ctx context.Context) (Message, error) {
	select {
	case m, ok := <-c.in:
		if !ok {
			return Message{}, fmt.Errorf("dap: connection closed: %w", c.err)
		}
		return m, nil
	case <-ctx.Done():
		return Message{}, fmt.Errorf("dap: %w", ctx.Err())
	}
}

// Request sends command with args and returns the response body, or an
// error when the response says success false.
func (c *Client) Request(ctx context.Context, command string, args any) (json.RawMessage, error) {
	c.seq++
	req := Message{Seq: c.seq, Type: "request", Command: command, Arguments: args}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("dap: %s: %w", command, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.conn.SetWriteDeadline(dl)
	}
	if _, err := fmt.Fprintf(c.conn, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		return nil, fmt.Errorf("dap: %s: %w", command, err)
	}
	for {
		m, err := c.next(ctx)
		if err != nil {
			return nil, fmt.Errorf("dap: %s: %w", command, err)
		}
		switch {
		case m.Type == "event":
			c.events = append(c.events, m)
		case m.Type == "response" && m.RequestSeq == req.Seq:
			if !m.Success {
				return m.Body, fmt.Errorf("dap: %s: %s", command, m.Message)
			}
			return m.Body, nil
		}
	}
}

// WaitEvent returns the next event named name, dropping other events
// before it.
func (c *Client) WaitEvent(ctx context.Context, name string) (Message, error) {
	for len(c.events) > 0 {
		m := c.events[0]
		c.events = c.events[1:]
		if m.Event == name {
			return m, nil
		}
	}
	for {
		m, err := c.next(ctx)
		if err != nil {
			return Message{}, fmt.Errorf("dap: wait for %s: %w", name, err)
		}
		if m.Type == "event" && m.Event == name {
			return m, nil
		}
	}
}

// Attach does what an editor does to attach to a running Delve server:
// initialize, attach in remote mode, and wait for the initialized event.
// The caller sets breakpoints next and then calls [Client.ConfigurationDone].
func (c *Client) Attach(ctx context.Context) error {
	if _, err := c.Request(ctx, "initialize", map[string]any{
		"clientID": "ginhotd-test", "adapterID": "go", "pathFormat": "path",
		"linesStartAt1": true, "columnsStartAt1": true,
	}); err != nil {
		return err
	}
	if _, err := c.Request(ctx, "attach", map[string]any{"request": "attach", "mode": "remote"}); err != nil {
		return err
	}
	_, err := c.WaitEvent(ctx, "initialized")
	return err
}

// Breakpoint is a breakpoint as the server reports it.
type Breakpoint struct {
	Verified bool   `json:"verified"`
	Line     int    `json:"line"`
	Message  string `json:"message"`
}

// SetBreakpoints sets the breakpoints of file (an absolute path) to lines.
func (c *Client) SetBreakpoints(ctx context.Context, file string, lines ...int) ([]Breakpoint, error) {
	bps := make([]map[string]int, len(lines))
	for i, l := range lines {
		bps[i] = map[string]int{"line": l}
	}
	body, err := c.Request(ctx, "setBreakpoints", map[string]any{"source": map[string]string{"path": file}, "breakpoints": bps})
	if err != nil {
		return nil, err
	}
	var out struct{ Breakpoints []Breakpoint }
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("dap: setBreakpoints: %w", err)
	}
	return out.Breakpoints, nil
}

// ConfigurationDone ends the configuration: the program runs.
func (c *Client) ConfigurationDone(ctx context.Context) error {
	_, err := c.Request(ctx, "configurationDone", nil)
	return err
}

// Stopped is the body of a stopped event.
type Stopped struct {
	Reason   string `json:"reason"`
	ThreadID int    `json:"threadId"`
}

// WaitStopped waits for the next stopped event.
func (c *Client) WaitStopped(ctx context.Context) (Stopped, error) {
	m, err := c.WaitEvent(ctx, "stopped")
	if err != nil {
		return Stopped{}, err
	}
	var s Stopped
	if err := json.Unmarshal(m.Body, &s); err != nil {
		return Stopped{}, fmt.Errorf("dap: stopped: %w", err)
	}
	return s, nil
}

// Frame is a stack frame.
type Frame struct {
	Name   string `json:"name"`
	Line   int    `json:"line"`
	Source struct {
		Path string `json:"path"`
	} `json:"source"`
}

// TopFrame returns the innermost frame of thread.
func (c *Client) TopFrame(ctx context.Context, thread int) (Frame, error) {
	body, err := c.Request(ctx, "stackTrace", map[string]int{"threadId": thread, "levels": 1})
	if err != nil {
		return Frame{}, err
	}
	var out struct{ StackFrames []Frame }
	if err := json.Unmarshal(body, &out); err != nil {
		return Frame{}, fmt.Errorf("dap: stackTrace: %w", err)
	}
	if len(out.StackFrames) == 0 {
		return Frame{}, errors.New("dap: stackTrace: no frames")
	}
	return out.StackFrames[0], nil
}

// Continue resumes all threads.
func (c *Client) Continue(ctx context.Context, thread int) error {
	_, err := c.Request(ctx, "continue", map[string]int{"threadId": thread})
	return err
}

// Disconnect detaches, leaving the program running unless terminate, and
// closes the connection.
func (c *Client) Disconnect(ctx context.Context, terminate bool) error {
	_, err := c.Request(ctx, "disconnect", map[string]bool{"terminateDebuggee": terminate})
	c.Close()
	return err
}

// AttachWithBreakpoint does what an editor does to debug a running version
// at addr: it connects, attaches, sets one breakpoint at file:line (which
// Delve must verify) and ends the configuration. The caller closes the
// client.
func AttachWithBreakpoint(ctx context.Context, addr, file string, line int) (*Client, error) {
	c, err := Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if err := c.Attach(ctx); err != nil {
		c.Close()
		return nil, err
	}
	bps, err := c.SetBreakpoints(ctx, file, line)
	if err == nil && (len(bps) != 1 || !bps[0].Verified) {
		err = fmt.Errorf("dap: breakpoint at %s:%d not verified: %+v", file, line, bps)
	}
	if err == nil {
		err = c.ConfigurationDone(ctx)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
