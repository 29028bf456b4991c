package build

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Kind classifies a [Diagnostic].
type Kind string

// The kinds of [Diagnostic]. The build reports the first five; the session
// reports start-up problems with the same type.
const (
	KindCompile Kind = "compile" // a type or syntax error reported by the compiler
	KindLink    Kind = "link"    // an error of the link step (undefined symbols, external linker)
	KindCgo     Kind = "cgo"     // an error of cgo or the C compiler
	KindEmbed   Kind = "embed"   // a //go:embed pattern that matches nothing or cannot be embedded
	KindOther   Kind = "other"   // go command errors: modules, go.mod, missing packages
	KindPanic   Kind = "panic"   // a panic during start-up, at its line in the workspace
	KindStart   Kind = "start"   // a start-up failure the user must fix (wrong port, never listens)
	KindSummary Kind = "summary" // a stand-in for errors shown elsewhere (see the LSP diagnostics setting)
)

// event is the part of a `go build -json` BuildEvent that build reads.
type event struct {
	ImportPath string
	Action     string
	Output     string
}

// posRE matches "file.ext:line[:col]: message", the position prefix of
// compiler, cgo and go command messages. The file must have an extension,
// which keeps "/usr/bin/ld: ..." and "go: ..." out.
var posRE = regexp.MustCompile(`^((?:[A-Za-z]:)?[^:\s][^:]*?\.[A-Za-z0-9]+):(\d+)(?::(\d+))?: (.*)$`)

// readRE matches the go command's "read /abs/file.go: message", printed when
// it cannot read a file's header (a NUL byte, say), with or without the
// position of an import that led to the file.
var readRE = regexp.MustCompile(`^read ((?:[A-Za-z]:)?[/\\].*?\.go): (.+)$`)

// gccContextRE matches the source excerpt lines gcc prints under a message
// ("    4 | #include ..." and "      |          ^~~~").
var gccContextRE = regexp.MustCompile(`^\s+\d*\s*\|`)

// parser turns the go command's output into human text and diagnostics.
type parser struct {
	dir   string // working directory of the go command, for relative paths
	text  strings.Builder
	diags []Diagnostic
	last  map[string]int // package → index in diags of its latest diagnostic
	plain string         // package named by the latest "# pkg" header in plain text
}

// parse reads the interleaved JSON build events and plain text printed by
// `go build -json` run in dir. It returns the output as `go build` without
// -json would have printed it, and the diagnostics found in it, sorted by
// file and position (those without a file first, in the order printed).
func parse(out, dir string) (string, []Diagnostic) {
	p := &parser{dir: dir, last: map[string]int{}}
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		var ev event
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &ev) == nil && ev.Action != "" {
			if ev.Action == "build-output" {
				p.text.WriteString(ev.Output)
				for l := range strings.Lines(ev.Output) {
					p.line(ev.ImportPath, strings.TrimRight(l, "\r\n"))
				}
			}
			continue
		}
		p.text.WriteString(line)
		p.text.WriteByte('\n')
		if pkg, ok := header(line); ok {
			p.plain = pkg
			continue
		}
		p.line(p.plain, line)
	}
	// Packages compile in parallel, so their messages come in any order.
	slices.SortStableFunc(p.diags, func(a, b Diagnostic) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return p.text.String(), p.diags
}

// line handles one line of output printed while building pkg.
func (p *parser) line(pkg, line string) {
	if strings.TrimSpace(line) == "" || gccContextRE.MatchString(line) {
		return
	}
	if _, ok := header(line); ok {
		return
	}
	if line[0] == '\t' || line[0] == ' ' {
		// Continuation of the previous message (have/want, "go get" hints).
		if i, ok := p.last[pkg]; ok {
			p.diags[i].Message += "\n" + strings.TrimSpace(line)
		}
		return
	}
	switch line {
	case "compilation terminated.", "too many errors":
		return
	}
	if strings.HasPrefix(line, "go: downloading ") || strings.HasPrefix(line, "go: finding ") {
		return
	}
	d := Diagnostic{Package: pkg, Message: line}
	if m := posRE.FindStringSubmatch(line); m != nil && !isLink(line) && position(m[2]) > 0 {
		d.File = m[1]
		if !filepath.IsAbs(d.File) {
			d.File = filepath.Join(p.dir, d.File)
		}
		d.Line, d.Col = position(m[2]), position(m[3])
		d.Message = m[4]
		if d.Message == "too many errors" {
			return
		}
	}
	if m := readRE.FindStringSubmatch(d.Message); m != nil && filepath.IsAbs(m[1]) {
		// The go command blames the import line (or nothing); the error is
		// in the unreadable file itself.
		d.File, d.Message = m[1], m[2]
		d.Line, d.Col = nulPos(d.File)
	}
	d.Kind = classify(d)
	p.last[pkg] = len(p.diags)
	p.diags = append(p.diags, d)
}

// position returns the line or column number s, or 0 if s is empty, out of
// range or 0: the go command counts from 1.
func position(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// header reports whether line is a "# import/path" package header and
// returns the import path.
func header(line string) (string, bool) {
	pkg, ok := strings.CutPrefix(line, "# ")
	if !ok || pkg == "" {
		return "", false
	}
	pkg, _, _ = strings.Cut(pkg, " ") // "# p [p.test]"
	return pkg, true
}

// isLink reports whether msg comes from the linker.
func isLink(msg string) bool {
	for _, s := range []string{
		"relocation target", "undefined reference", "undefined symbol",
		"duplicated definition of symbol", "running gcc failed", "running clang failed",
		"collect2:", "/ld: ", "ld: error", "ld returned",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return strings.HasPrefix(msg, "link: ")
}

// classify guesses the kind of d from its message, file and package.
func classify(d Diagnostic) Kind {
	msg := d.Message
	switch {
	case d.File == "" && isLink(msg):
		return KindLink
	case strings.HasPrefix(msg, "pattern ") || strings.Contains(msg, "go:embed") || strings.Contains(msg, "cannot embed"):
		return KindEmbed
	case d.Package == "runtime/cgo" || strings.HasPrefix(msg, "cgo:") || strings.HasPrefix(msg, "cgo-"):
		return KindCgo
	case d.File == "":
		return KindOther
	}
	switch filepath.Ext(d.File) {
	case ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".m", ".f", ".F", ".f90":
		return KindCgo
	case ".go":
	default:
		return KindOther // go.mod, go.work
	}
	for _, s := range []string{"fatal error: ", "error: ", "warning: ", "note: "} {
		if strings.HasPrefix(msg, s) {
			return KindCgo // gcc about the C preamble of a Go file
		}
	}
	for _, s := range []string{
		"no required module provides package", "missing go.sum entry", "is not in std",
		"cannot find module", "no matching versions", "import cycle not allowed",
		"use of internal package", "no Go files in",
	} {
		if strings.Contains(msg, s) {
			return KindOther
		}
	}
	return KindCompile
}

// maxNulScan bounds how much of a file [nulPos] reads.
const maxNulScan = 1 << 20

// nulPos returns the 1-based line and column of the first NUL byte in the
// regular file at path, or 1, 1 when there is none in its first MiB or the
// file cannot be read.
func nulPos(path string) (int, int) {
	f, err := os.Open(path)
	if err != nil {
		return 1, 1
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return 1, 1
	}
	b, _ := io.ReadAll(io.LimitReader(f, maxNulScan))
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return 1, 1
	}
	line := 1 + bytes.Count(b[:i], []byte("\n"))
	return line, i - bytes.LastIndexByte(b[:i], '\n')
}
