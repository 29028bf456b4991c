package lsp

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// maxBuffer is the largest document, in bytes, whose unsaved text is kept.
// A larger one is left to the normal build on save.
const maxBuffer = 8 << 20

// Reasons a buffer steps aside. The server logs each once per document.
var (
	errNotOpen   = errors.New("change for a document that was never opened")
	errTooBig    = fmt.Errorf("document over %d MB", maxBuffer>>20)
	errOutOfDate = errors.New("change with a version that does not follow the buffer's")
	errRange     = errors.New("change range outside the document")
)

// docChange is one TextDocumentContentChangeEvent: Range is nil for a
// change that replaces the whole text (protocol's type cannot tell the two
// apart).
type docChange struct {
	Range *protocol.Range `json:"range,omitempty"`
	Text  string          `json:"text"`
}

// buffer is the editor's text of one open document.
type buffer struct {
	version int32
	text    []byte
	// lost: a change could not be applied, so the editor's text is unknown
	// until the next full-text change or save. Until then the buffer
	// counts as the disk's content.
	lost bool
	// dirty: the session was last told that the buffer differs from disk.
	dirty bool
}

// bufferStore holds the open documents of one connection, keyed by
// absolute path. It applies didOpen/didChange/didClose the way the LSP
// specification says, with positions in UTF-16 code units. It does no I/O
// and is not safe for concurrent use.
type bufferStore struct {
	docs  map[string]*buffer
	aside map[string]bool // open, but too big to track
}

func newBufferStore() *bufferStore {
	return &bufferStore{docs: map[string]*buffer{}, aside: map[string]bool{}}
}

// open starts tracking path with the editor's text. A text over maxBuffer
// is not tracked: open returns errTooBig and later changes are ignored
// until the document is closed.
func (bs *bufferStore) open(path string, version int32, text []byte) error {
	delete(bs.docs, path)
	delete(bs.aside, path)
	if len(text) > maxBuffer {
		bs.aside[path] = true
		return errTooBig
	}
	bs.docs[path] = &buffer{version: version, text: text}
	return nil
}

// setAside stops tracking path (an open too big to decode) until it is
// opened again.
func (bs *bufferStore) setAside(path string) {
	delete(bs.docs, path)
	bs.aside[path] = true
}

// change applies one didChange. The changes apply in order, each to the
// result of the previous one. On errOutOfDate or errRange the buffer is
// lost (it counts as the disk's content) until a full-text change or a
// save; on errTooBig it is set aside until the next open. A document that
// is set aside, or lost and given only ranged changes, returns nil and is
// left as it is.
func (bs *bufferStore) change(path string, version int32, changes []docChange) error {
	if bs.aside[path] {
		return nil
	}
	b := bs.docs[path]
	if b == nil {
		return errNotOpen
	}
	if version <= b.version {
		b.lost = true
		return fmt.Errorf("%w: version %d after %d", errOutOfDate, version, b.version)
	}
	b.version = version
	text := b.text
	for _, c := range changes {
		if c.Range == nil {
			text, b.lost = []byte(c.Text), false
			continue
		}
		if b.lost {
			continue
		}
		next, err := applyChange(text, *c.Range, c.Text)
		if err != nil {
			b.lost = true
			return err
		}
		text = next
	}
	if len(text) > maxBuffer {
		bs.setAside(path)
		return errTooBig
	}
	b.text = text
	return nil
}

// saved records that the editor wrote path: its text is now disk.
func (bs *bufferStore) saved(path string, disk []byte) {
	if b := bs.docs[path]; b != nil {
		b.text, b.lost = disk, false
	}
}

// close stops tracking path.
func (bs *bufferStore) close(path string) {
	delete(bs.docs, path)
	delete(bs.aside, path)
}

// get returns the buffer of path, or nil if it is not tracked.
func (bs *bufferStore) get(path string) *buffer { return bs.docs[path] }

// applyChange returns text with the range r replaced by s, or errRange.
func applyChange(text []byte, r protocol.Range, s string) ([]byte, error) {
	start, err := offset(text, r.Start)
	if err != nil {
		return nil, err
	}
	end, err := offset(text, r.End)
	if err != nil {
		return nil, err
	}
	if end < start {
		return nil, fmt.Errorf("%w: range ends before it starts (%d:%d-%d:%d)", errRange,
			r.Start.Line, r.Start.Character, r.End.Line, r.End.Character)
	}
	out := make([]byte, 0, len(text)-(end-start)+len(s))
	out = append(out, text[:start]...)
	out = append(out, s...)
	return append(out, text[end:]...), nil
}

// offset returns the byte offset of pos in text. Lines end at "\n", "\r\n"
// or "\r"; characters count UTF-16 code units (a rune above U+FFFF is two,
// an invalid byte one). As the specification says, a character past the
// end of its line means the end of the line. A line past the last one, or
// a position inside a surrogate pair, is errRange.
func offset(text []byte, pos protocol.Position) (int, error) {
	i := 0
	for line := uint32(0); line < pos.Line; line++ {
		for i < len(text) && text[i] != '\n' && text[i] != '\r' {
			i++
		}
		if i == len(text) {
			return 0, fmt.Errorf("%w: line %d of a %d-line document", errRange, pos.Line, line+1)
		}
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		i++
	}
	for units := uint32(0); units < pos.Character; {
		if i == len(text) || text[i] == '\n' || text[i] == '\r' {
			return i, nil
		}
		r, size := utf8.DecodeRune(text[i:])
		n := uint32(1)
		if r >= 0x10000 {
			n = 2
		}
		if units+n > pos.Character {
			return 0, fmt.Errorf("%w: %d:%d is inside a surrogate pair", errRange, pos.Line, pos.Character)
		}
		units += n
		i += size
	}
	return i, nil
}
