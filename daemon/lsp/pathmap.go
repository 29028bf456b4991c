package lsp

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ginhotd/ginhotd/daemon/session"
	"go.lsp.dev/uri"
)

// pathMap translates between the editor's paths and the daemon's (the
// path_map setting), for an editor outside a container or WSL talking to
// ginhotd inside it: { "/Users/me/app" = "/app" }. It is applied here only,
// on the way in (rootUri, workspace folders, documents, commands) and on
// the way out (diagnostics, status); sessions see daemon paths only. The
// zero value maps nothing.
type pathMap []mapping

// mapping is one entry: two slash-separated absolute paths. A Windows
// editor path is kept as a file URI spells it ("/c:/Users/me/app"), with
// the drive letter in lower case.
type mapping struct {
	editor, daemon string
}

// newPathMap reads the path_map setting: an object of editor path to
// daemon path, both absolute.
func newPathMap(v any) (pathMap, error) {
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf(`path_map must be an object of editor path to daemon path, like {"/Users/me/app": "/app"}`)
	}
	var m pathMap
	for e, dv := range obj {
		d, ok := dv.(string)
		if !ok {
			return nil, fmt.Errorf("path_map[%q]: want a daemon path (a string)", e)
		}
		ed := editorPath(e)
		if !path.IsAbs(ed) {
			return nil, fmt.Errorf("path_map: %q is not an absolute editor path", e)
		}
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("path_map[%q]: %q is not an absolute path here", e, d)
		}
		m = append(m, mapping{editor: path.Clean(ed), daemon: filepath.ToSlash(filepath.Clean(d))})
	}
	slices.SortFunc(m, func(a, b mapping) int { return cmp.Compare(b.editor, a.editor) })
	return m, nil
}

// editorPath spells an editor path as a file URI's path: forward slashes,
// and a Windows drive ("C:\x", "c:/x") as "/c:/x".
func editorPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	if len(p) >= 2 && p[1] == ':' {
		p = "/" + p
	}
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[:1] + strings.ToLower(p[1:2]) + p[2:]
	}
	return p
}

// swap replaces the prefix from of p with to, if p is from or lies below it.
func swap(p, from, to string) (string, bool) {
	switch {
	case p == from:
		return to, true
	case strings.HasPrefix(p, from+"/"):
		return to + p[len(from):], true
	case from == "/":
		return path.Join(to, p), true
	}
	return "", false
}

// in rewrites a file: URI from the editor's paths to the daemon's; any
// other URI is returned unchanged.
func (m pathMap) in(s string) string {
	if len(m) == 0 {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != uri.FileScheme {
		return s
	}
	p := editorPath(u.Path)
	for _, e := range m {
		if q, ok := swap(p, e.editor, e.daemon); ok {
			u.Path, u.RawPath = q, ""
			return u.String()
		}
	}
	return s
}

// outURI is the URI the editor knows the daemon's file path by.
func (m pathMap) outURI(p string) uri.URI {
	slash := filepath.ToSlash(p)
	for _, e := range slices.SortedFunc(slices.Values(m), func(a, b mapping) int { return cmp.Compare(b.daemon, a.daemon) }) {
		if q, ok := swap(slash, e.daemon, e.editor); ok {
			return uri.URI((&url.URL{Scheme: uri.FileScheme, Path: q}).String())
		}
	}
	return uri.File(p)
}

// out is the daemon's path p as the editor spells it ("c:/Users/me/app/x"
// for a Windows editor), or p when no entry maps it.
func (m pathMap) out(p string) string {
	if p == "" || len(m) == 0 {
		return p
	}
	u, err := url.Parse(string(m.outURI(p)))
	if err != nil || u.Path == filepath.ToSlash(p) {
		return p
	}
	q := u.Path
	if len(q) >= 3 && q[0] == '/' && q[2] == ':' {
		q = q[1:]
	}
	return q
}

// status returns st with its paths as the editor spells them.
func (m pathMap) status(st session.Status) session.Status {
	if len(m) == 0 {
		return st
	}
	st.Root, st.LogFile = m.out(st.Root), m.out(st.LogFile)
	ts := make([]session.TargetStatus, len(st.Targets))
	for i, t := range st.Targets {
		t.MainFile = m.out(t.MainFile)
		ts[i] = t
	}
	st.Targets = ts
	return st
}
