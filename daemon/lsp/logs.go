package lsp

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"
)

// Limits of app output forwarded as window/logMessage. A chatty app cannot
// flood the client: lines are batched into one message per logFlushEvery,
// and lines over logLinesPerSecond are dropped (the session's log file
// keeps them all).
const (
	logFlushEvery     = 100 * time.Millisecond
	logLinesPerSecond = 1000
	logLineMax        = 4 << 10
)

// logBatch batches log lines for window/logMessage.
type logBatch struct {
	out *outbox

	mu       sync.Mutex // guards the fields below
	lines    []logLine
	timer    *time.Timer // pending flush; nil when none
	window   time.Time   // start of the current rate window
	inWindow int         // lines accepted in the window
	dropped  int         // lines dropped since the last flush
	file     string      // the session's log file, for the drop notice
	closed   bool
}

type logLine struct {
	typ  protocol.MessageType
	text string
}

func newLogBatch(out *outbox) *logBatch {
	return &logBatch{out: out}
}

func (b *logBatch) setFile(file string) {
	b.mu.Lock()
	b.file = file
	b.mu.Unlock()
}

// add queues one line, without ANSI escapes, cut at logLineMax bytes.
func (b *logBatch) add(typ protocol.MessageType, text string) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if now.Sub(b.window) >= time.Second {
		b.window, b.inWindow = now, 0
	}
	if b.inWindow >= logLinesPerSecond {
		b.dropped++
		return
	}
	b.inWindow++
	text = stripANSI(text)
	if len(text) > logLineMax {
		text = text[:logLineMax] + "…"
	}
	b.lines = append(b.lines, logLine{typ, text})
	if b.timer == nil {
		b.timer = time.AfterFunc(logFlushEvery, b.flush)
	}
}

// flush sends the queued lines: consecutive lines of one type as one
// message.
func (b *logBatch) flush() {
	b.mu.Lock()
	lines, dropped, file := b.lines, b.dropped, b.file
	b.lines, b.dropped, b.timer = nil, 0, nil
	b.mu.Unlock()
	for len(lines) > 0 {
		n := 1
		for n < len(lines) && lines[n].typ == lines[0].typ {
			n++
		}
		texts := make([]string, n)
		for i, l := range lines[:n] {
			texts[i] = l.text
		}
		b.out.logMessage(lines[0].typ, strings.Join(texts, "\n"))
		lines = lines[n:]
	}
	if dropped > 0 {
		msg := fmt.Sprintf("ginhotd: dropped %d lines of app output (over %d lines/s)", dropped, logLinesPerSecond)
		if file != "" {
			msg += "; all output is in " + file
		}
		b.out.logMessage(protocol.MessageTypeWarning, msg)
	}
}

// close sends what is queued and stops accepting lines.
func (b *logBatch) close() {
	b.mu.Lock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	b.flush()
}

// stripANSI removes terminal escape sequences (CSI, OSC and two-byte ESC
// sequences) and other control characters but tab.
func stripANSI(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[': // CSI: parameters, then a final byte @–~
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
		case c == 0x1b && i+1 < len(s) && s[i+1] == ']': // OSC: up to BEL or ESC \
			i += 2
			for i < len(s) && s[i] != 0x07 && !(s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\') {
				i++
			}
			if i < len(s) && s[i] == 0x1b {
				i++
			}
		case c == 0x1b: // two-byte sequence
			i++
		case c < ' ' && c != '\t' || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
