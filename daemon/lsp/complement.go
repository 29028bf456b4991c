package lsp

import (
	"bytes"
	"os"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/session"
)

// complement applies the setting diagnostics = "complement": it keeps what
// gopls cannot see. Plain compile errors in ordinary files of the folder
// (inFolder) are left to gopls; every target whose build failed then gets
// one summary on its main file, so the user still knows the app is stale.
// Link errors, errors in generated or build-tagged files, errors outside the
// folder and start-up problems are kept.
func complement(ds []build.Diagnostic, st session.Status, inFolder func(string) bool) []build.Diagnostic {
	var out []build.Diagnostic
	hidden := false
	special := map[string]bool{} // each file read once, however many errors it has
	for _, d := range ds {
		if d.Kind == build.KindCompile && d.File != "" && inFolder(d.File) {
			sp, seen := special[d.File]
			if !seen {
				sp = specialFile(d.File)
				special[d.File] = sp
			}
			if !sp {
				hidden = true
				continue
			}
		}
		out = append(out, d)
	}
	if !hidden {
		return out
	}
	for _, t := range st.Targets {
		if t.State != session.StateFailed || t.MainFile == "" {
			continue
		}
		msg := "build failed, " + serves(t) + " (the errors are in the files gopls marks)"
		out = append(out, build.Diagnostic{File: t.MainFile, Line: 1, Col: 1, Message: msg, Package: t.Package, Kind: build.KindSummary})
	}
	return out
}

// specialFile reports whether gopls is likely blind to errors in file:
// generated files and files behind a build constraint.
func specialFile(file string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	if i := bytes.Index(b, []byte("\npackage ")); i >= 0 {
		b = b[:i]
	}
	return bytes.Contains(b, []byte("Code generated")) && bytes.Contains(b, []byte("DO NOT EDIT")) ||
		bytes.Contains(b, []byte("//go:build"))
}
