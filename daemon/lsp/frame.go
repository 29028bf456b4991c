package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"go.lsp.dev/jsonrpc2"
)

const (
	// maxBody is the largest frame body accepted. A larger body is skipped
	// (its Content-Length says how far) and answered with a ParseError.
	maxBody = 64 << 20
	// maxHeaderLine bounds one header line; a longer one is garbage.
	maxHeaderLine = 8 << 10
	// keepPrefix is how much of skipped input is kept to recover an id from.
	keepPrefix = 64 << 10
	// headerPrefix starts every frame; resynchronisation looks for it.
	headerPrefix = "Content-Length:"
)

// stream is a [jsonrpc2.Stream] for LSP's Content-Length framing that
// survives malformed input. go.lsp.dev/jsonrpc2's own stream returns an
// error for a bad header or body, and its Conn then closes the connection;
// this one answers a malformed frame with a ParseError (or InvalidRequest)
// when it can recover the frame's id, logs it otherwise, resynchronises on
// the next "Content-Length:" and reads on. Read returns an error only when
// the connection itself fails or ends.
//
// Read is called by one goroutine (the Conn's); Write may be called
// concurrently with Read and with itself.
type stream struct {
	rwc  io.ReadWriteCloser
	logf func(format string, args ...any)

	// Owned by the reading goroutine.
	buf   []byte // read from rwc, not yet consumed
	rerr  error  // sticky error of rwc.Read
	chunk [32 << 10]byte

	wmu sync.Mutex // serialises frames written by Write and by reject
}

var _ jsonrpc2.Stream = (*stream)(nil)

func newStream(rwc io.ReadWriteCloser, logf func(string, ...any)) *stream {
	return &stream{rwc: rwc, logf: logf}
}

// Read returns the next well-formed message, skipping (and answering where
// possible) every malformed frame before it.
func (s *stream) Read(context.Context) (jsonrpc2.Message, int64, error) {
	for {
		body, err := s.frame()
		if err != nil {
			return nil, 0, err
		}
		if body == nil {
			continue
		}
		// json.Valid first: DecodeMessage would accept a valid value
		// followed by the start of the next frame.
		if !json.Valid(body) {
			s.rejectBody(body)
			continue
		}
		msg, err := jsonrpc2.DecodeMessage(body)
		if err != nil {
			s.reject(body, jsonrpc2.InvalidRequest, fmt.Sprintf("not a JSON-RPC 2.0 message: %v", err))
			continue
		}
		return msg, int64(len(body)), nil
	}
}

// rejectBody reports a body that is not valid JSON. When the body is longer
// than the JSON in it, or holds the start of the next frame, it puts back
// what belongs to the next frame: a wrong Content-Length costs one frame,
// not two.
func (s *stream) rejectBody(body []byte) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if dec.Decode(&v) == nil {
		n := int(dec.InputOffset())
		s.unread(body[n:])
		s.reject(body[:n], jsonrpc2.ParseError, fmt.Sprintf("Content-Length is %d but the JSON body ends after %d bytes", len(body), n))
		return
	}
	if i := bytes.Index(body[min(1, len(body)):], []byte(headerPrefix)); i >= 0 {
		i++
		s.unread(body[i:])
		s.reject(body[:i], jsonrpc2.ParseError, "truncated body: the next frame starts inside it")
		return
	}
	for k := min(len(headerPrefix)-1, len(body)-1); k > 0; k-- {
		if bytes.HasSuffix(body, []byte(headerPrefix[:k])) {
			s.unread(body[len(body)-k:])
			s.reject(body[:len(body)-k], jsonrpc2.ParseError, "truncated body: the next frame starts at its end")
			return
		}
	}
	s.reject(body, jsonrpc2.ParseError, "invalid JSON")
}

// frame reads one frame and returns its body. It returns a nil body and no
// error for a frame it skipped (having reported it).
func (s *stream) frame() ([]byte, error) {
	length, lengthText, headers := int64(-1), "", false
	for {
		line, err := s.line()
		if err != nil {
			return nil, err
		}
		text := strings.TrimRight(string(line), "\r\n")
		if text == "" && line[len(line)-1] == '\n' {
			if !headers {
				continue // tolerate blank lines between frames
			}
			break
		}
		headers = true
		name, value, ok := strings.Cut(text, ":")
		if !ok || !isToken(name) || line[len(line)-1] != '\n' {
			return nil, s.resync(line)
		}
		if strings.EqualFold(name, "Content-Length") {
			lengthText = strings.TrimSpace(value)
			length = parseLength(lengthText)
		}
	}
	switch {
	case lengthText == "":
		kept, err := s.skipToHeader()
		s.reject(kept, jsonrpc2.ParseError, "missing Content-Length header")
		return nil, err
	case length < 0:
		kept, err := s.skipToHeader()
		s.reject(kept, jsonrpc2.ParseError, fmt.Sprintf("invalid Content-Length %q", lengthText))
		return nil, err
	case length > maxBody:
		kept, err := s.discard(length)
		s.reject(kept, jsonrpc2.ParseError, fmt.Sprintf("body of %d bytes is over the %d MiB limit", length, maxBody>>20))
		return nil, err
	}
	return s.body(int(length))
}

// parseLength returns the Content-Length value, or -1 if it is not a
// non-negative decimal that fits jsonrpc2's 32-bit lengths.
func parseLength(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<31-1 || v[0] == '+' {
		return -1
	}
	return n
}

// isToken reports whether name is an HTTP header field name.
func isToken(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// resync skips the garbage that starts with line, up to the next
// "Content-Length:", and logs it. It returns only errors of the connection.
func (s *stream) resync(line []byte) error {
	if i := bytes.Index(line[1:], []byte(headerPrefix)); i >= 0 {
		s.unread(line[i+1:])
		s.reject(line[:i+1], jsonrpc2.ParseError, "garbage between frames")
		return nil
	}
	kept, err := s.skipToHeader()
	s.reject(append(line, kept...), jsonrpc2.ParseError, "garbage between frames")
	return err
}

// reject reports malformed input: with a JSON-RPC error response when an id
// can be recovered from data, with a log line always.
func (s *stream) reject(data []byte, code jsonrpc2.Code, msg string) {
	id, ok := recoverID(data)
	if !ok {
		s.logf("lsp: skipped malformed input (%d bytes, no id): %s", len(data), msg)
		return
	}
	s.logf("lsp: malformed input from request %v: %s", id, msg)
	resp, err := jsonrpc2.NewResponse(id, nil, jsonrpc2.NewError(code, msg))
	if err == nil {
		_, err = s.Write(context.Background(), resp)
	}
	if err != nil {
		s.logf("lsp: answering malformed request %v: %v", id, err)
	}
}

// recoverID finds the "id" member of what may be a truncated or otherwise
// broken JSON-RPC object. It reports false when there is none before the
// data stops being JSON, or when the id is neither a 32-bit integer nor a
// non-empty string (jsonrpc2.ID cannot carry anything else).
func recoverID(data []byte) (jsonrpc2.ID, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return jsonrpc2.ID{}, false
	}
	for {
		t, err := dec.Token()
		if err != nil {
			return jsonrpc2.ID{}, false
		}
		key, ok := t.(string)
		if !ok {
			return jsonrpc2.ID{}, false
		}
		if key != "id" {
			if !skipValue(dec) {
				return jsonrpc2.ID{}, false
			}
			continue
		}
		t, err = dec.Token()
		if err != nil {
			return jsonrpc2.ID{}, false
		}
		switch v := t.(type) {
		case json.Number:
			n, err := strconv.ParseInt(v.String(), 10, 32)
			return jsonrpc2.NewNumberID(int32(n)), err == nil
		case string:
			return jsonrpc2.NewStringID(v), v != ""
		}
		return jsonrpc2.ID{}, false
	}
}

// skipValue consumes one JSON value from dec.
func skipValue(dec *json.Decoder) bool {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth <= 0 {
			return depth == 0
		}
	}
}

// Write sends msg as one frame.
func (s *stream) Write(_ context.Context, msg jsonrpc2.Message) (int64, error) {
	data, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("lsp: encode message: %w", err)
	}
	frame := fmt.Appendf(nil, "Content-Length: %d\r\n\r\n", len(data))
	frame = append(frame, data...)
	s.wmu.Lock()
	n, err := s.rwc.Write(frame)
	s.wmu.Unlock()
	if err != nil {
		return int64(n), fmt.Errorf("lsp: write frame: %w", err)
	}
	return int64(n), nil
}

// Close closes the connection.
func (s *stream) Close() error {
	return s.rwc.Close()
}

// fill reads more input into buf. It returns an error only when nothing
// more can be read.
func (s *stream) fill() error {
	if s.rerr != nil {
		return s.rerr
	}
	n, err := s.rwc.Read(s.chunk[:])
	s.buf = append(s.buf, s.chunk[:n]...)
	if err != nil {
		s.rerr = err
		if n == 0 {
			return err
		}
	}
	return nil
}

// line returns the next line including its "\n", or at most maxHeaderLine
// bytes without one.
func (s *stream) line() ([]byte, error) {
	for {
		if i := bytes.IndexByte(s.buf, '\n'); i >= 0 && i < maxHeaderLine {
			return s.take(i + 1), nil
		}
		if len(s.buf) >= maxHeaderLine {
			return s.take(maxHeaderLine), nil
		}
		if err := s.fill(); err != nil {
			if len(s.buf) > 0 {
				s.logf("lsp: %d bytes of an incomplete header at end of input", len(s.buf))
				s.buf = nil
			}
			return nil, err
		}
	}
}

// body reads exactly n bytes into a new slice (decoded messages keep
// references into it).
func (s *stream) body(n int) ([]byte, error) {
	b := make([]byte, n)
	c := copy(b, s.buf)
	s.buf = s.buf[c:]
	for c < n {
		if err := s.fill(); err != nil {
			s.logf("lsp: truncated body at end of input: %d of %d bytes", c, n)
			return nil, err
		}
		k := copy(b[c:], s.buf)
		s.buf = s.buf[k:]
		c += k
	}
	return b, nil
}

// discard skips n bytes and returns the first keepPrefix of them.
func (s *stream) discard(n int64) ([]byte, error) {
	var kept []byte
	for n > 0 {
		if len(s.buf) == 0 {
			if err := s.fill(); err != nil {
				return kept, err
			}
		}
		k := int(min(n, int64(len(s.buf))))
		kept = appendKept(kept, s.buf[:k])
		s.buf = s.buf[k:]
		n -= int64(k)
	}
	return kept, nil
}

// skipToHeader discards input up to the next "Content-Length:" and returns
// the first keepPrefix bytes of what it discarded.
func (s *stream) skipToHeader() ([]byte, error) {
	var kept []byte
	for {
		if i := bytes.Index(s.buf, []byte(headerPrefix)); i >= 0 {
			kept = appendKept(kept, s.buf[:i])
			s.buf = s.buf[i:]
			return kept, nil
		}
		if cut := len(s.buf) - (len(headerPrefix) - 1); cut > 0 {
			kept = appendKept(kept, s.buf[:cut])
			s.buf = s.buf[cut:]
		}
		if err := s.fill(); err != nil {
			kept = appendKept(kept, s.buf)
			s.buf = nil
			return kept, err
		}
	}
}

func appendKept(kept, b []byte) []byte {
	return append(kept, b[:min(len(b), keepPrefix-len(kept))]...)
}

// take consumes and returns a copy of the first n buffered bytes.
func (s *stream) take(n int) []byte {
	b := bytes.Clone(s.buf[:n])
	s.buf = s.buf[n:]
	return b
}

// unread puts b back in front of the unread input.
func (s *stream) unread(b []byte) {
	s.buf = append(bytes.Clone(b), s.buf...)
}
