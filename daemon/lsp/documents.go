package lsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"sync"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// Editor is what a session offers for the editor's unsaved text. The
// server calls Edited on the session that owns path, on the connection's
// reading goroutine, so it must not block: content is the whole buffer
// when it differs from the file on disk, and nil when it no longer does
// (saved, undone, closed, or set aside). Sessions that do not implement it
// get only saves.
type Editor interface {
	Edited(path string, content []byte)
}

// maxSyncMessage is the largest didOpen or didChange whose text is decoded:
// a bigger one is refused from the URI alone, without copying its text.
// JSON escapes can double the text, hence the slack.
const maxSyncMessage = 2*maxBuffer + 64<<10

// documents is the server's view of open documents: the buffer store plus
// the log-once bookkeeping.
type documents struct {
	mu     sync.Mutex // held by the handlers; they run one at a time anyway
	store  *bufferStore
	logged map[string]bool // path + "\x00" + reason, logged once
	// editorOf returns the session as an [Editor], or nil; tests replace it.
	editorOf func(*session.Session) Editor
}

func newDocuments() *documents {
	return &documents{store: newBufferStore(), logged: map[string]bool{}, editorOf: editorOf}
}

// editorOf returns sess as an [Editor] once the session implements it.
func editorOf(sess *session.Session) Editor {
	if e, ok := any(sess).(Editor); ok && sess != nil {
		return e
	}
	return nil
}

// syncURI is the part of a text document notification the size check and
// didClose read.
type syncURI struct {
	TextDocument struct {
		URI string `json:"uri"`
	} `json:"textDocument"`
}

type didOpenParams struct {
	TextDocument struct {
		URI     string `json:"uri"`
		Version int32  `json:"version"`
		Text    string `json:"text"`
	} `json:"textDocument"`
}

type didChangeParams struct {
	TextDocument struct {
		URI     string `json:"uri"`
		Version int32  `json:"version"`
	} `json:"textDocument"`
	ContentChanges []docChange `json:"contentChanges"`
}

// docPath returns the session and path of a document notification's URI,
// or nil when the document is not one ginhotd tracks (not a file, outside
// every workspace folder, or its folder has no running session); that is
// logged once per URI.
func (s *server) docPath(u string) (*session.Session, string) {
	path, err := s.pathOf(u)
	if err != nil {
		s.docLogOnce(u, "not a file", "lsp: buffer %s: %v; not tracked", u, err)
		return nil, ""
	}
	s.mu.Lock()
	f := innermost(s.folders, path)
	s.mu.Unlock()
	if f == nil {
		s.docLogOnce(u, "outside", "lsp: buffer %s: outside every workspace folder; not tracked", u)
		return nil, ""
	}
	return f.sess, f.root.inSession(path)
}

func (s *server) docLogOnce(path, reason, format string, args ...any) {
	key := path + "\x00" + reason
	s.docs.mu.Lock()
	seen := s.docs.logged[key]
	s.docs.logged[key] = true
	s.docs.mu.Unlock()
	if !seen {
		s.logf(format, args...)
	}
}

// tooBig sets aside a document whose notification is too large to decode.
func (s *server) tooBig(method string, raw json.RawMessage) bool {
	if len(raw) <= maxSyncMessage {
		return false
	}
	var p syncURI
	if err := json.Unmarshal(raw, &p); err != nil {
		s.logf("lsp: %s: %v", method, err)
		return true
	}
	if sess, path := s.docPath(p.TextDocument.URI); path != "" {
		s.docs.mu.Lock()
		s.docs.store.setAside(path)
		s.docs.mu.Unlock()
		s.docLogOnce(path, errTooBig.Error(), "lsp: buffer %s: %v; left to the build on save", path, errTooBig)
		s.tellEditor(sess, path, nil)
	}
	return true
}

func (s *server) didOpen(raw json.RawMessage) {
	if s.tooBig("didOpen", raw) {
		return
	}
	var p didOpenParams
	if err := json.Unmarshal(raw, &p); err != nil {
		s.logf("lsp: didOpen: %v", err)
		return
	}
	sess, path := s.docPath(p.TextDocument.URI)
	if path == "" {
		return
	}
	s.docs.mu.Lock()
	err := s.docs.store.open(path, p.TextDocument.Version, []byte(p.TextDocument.Text))
	s.docs.mu.Unlock()
	if err != nil {
		s.docLogOnce(path, err.Error(), "lsp: buffer %s: %v; left to the build on save", path, err)
	}
	s.tellEditor(sess, path, nil)
}

func (s *server) didChange(raw json.RawMessage) {
	if s.tooBig("didChange", raw) {
		return
	}
	var p didChangeParams
	if err := json.Unmarshal(raw, &p); err != nil {
		s.logf("lsp: didChange: %v", err)
		return
	}
	sess, path := s.docPath(p.TextDocument.URI)
	if path == "" {
		return
	}
	s.docs.mu.Lock()
	err := s.docs.store.change(path, p.TextDocument.Version, p.ContentChanges)
	s.docs.mu.Unlock()
	if err != nil {
		s.docLogOnce(path, reasonOf(err), "lsp: buffer %s: %v; using the file on disk until the next save", path, err)
	}
	s.tellEditor(sess, path, nil)
}

func (s *server) didClose(raw json.RawMessage) {
	var p syncURI
	if err := json.Unmarshal(raw, &p); err != nil {
		s.logf("lsp: didClose: %v", err)
		return
	}
	sess, path := s.docPath(p.TextDocument.URI)
	if path == "" {
		return
	}
	s.docs.mu.Lock()
	b := s.docs.store.get(path)
	wasDirty := b != nil && b.dirty
	s.docs.store.close(path)
	s.docs.mu.Unlock()
	if e := s.docs.editorOf(sess); e != nil && wasDirty {
		e.Edited(path, nil)
	}
}

// bufferSaved resyncs the buffer of path with the file the editor wrote.
func (s *server) bufferSaved(sess *session.Session, path string) {
	disk, err := os.ReadFile(path)
	if err != nil {
		disk = nil // tellEditor tries again
	}
	s.docs.mu.Lock()
	if b := s.docs.store.get(path); b != nil && disk != nil {
		s.docs.store.saved(path, disk)
	}
	s.docs.mu.Unlock()
	s.tellEditor(sess, path, disk)
}

// tellEditor compares path's buffer with disk, the file's content (nil:
// read it), and tells the session (when it is an [Editor]) if the buffer
// differs, or no longer does.
func (s *server) tellEditor(sess *session.Session, path string, disk []byte) {
	e := s.docs.editorOf(sess)
	if e == nil {
		return
	}
	s.docs.mu.Lock()
	b := s.docs.store.get(path)
	var text []byte
	wasDirty := false
	if b != nil {
		wasDirty = b.dirty
		if !b.lost {
			text = b.text
		}
	}
	s.docs.mu.Unlock()
	if text != nil && disk == nil {
		disk, _ = os.ReadFile(path)
	}
	if text != nil && disk != nil && bytes.Equal(disk, text) {
		text = nil
	}
	dirty := text != nil
	s.docs.mu.Lock()
	if b != nil && s.docs.store.get(path) == b {
		b.dirty = dirty
	}
	s.docs.mu.Unlock()
	if dirty || wasDirty {
		e.Edited(path, text)
	}
}

// reasonOf names the kind of err, so that each kind is logged once.
func reasonOf(err error) string {
	for _, k := range []error{errNotOpen, errTooBig, errOutOfDate, errRange} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return err.Error()
}
