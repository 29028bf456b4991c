package editors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/pelletier/go-toml/v2"
)

// serverCommands returns the workspace/executeCommand commands of
// docs/contract.json.
func serverCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../docs/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Commands []struct {
			Name string `json:"name"`
		} `json:"commands"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("docs/contract.json: %v", err)
	}
	var names []string
	for _, cmd := range c.Commands {
		names = append(names, cmd.Name)
	}
	return names
}

func decodeTOML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := toml.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestHelixLanguages(t *testing.T) {
	var cfg struct {
		LanguageServer map[string]struct {
			Command string         `toml:"command"`
			Args    []string       `toml:"args"`
			Config  map[string]any `toml:"config"`
		} `toml:"language-server"`
		Language []struct {
			Name            string   `toml:"name"`
			LanguageServers []string `toml:"language-servers"`
		} `toml:"language"`
	}
	decodeTOML(t, "helix/languages.toml", &cfg)
	ls, ok := cfg.LanguageServer["ginhotd"]
	if !ok || ls.Command != "ginhotd" || !slices.Equal(ls.Args, []string{"--stdio"}) {
		t.Fatalf("language-server.ginhotd = %+v, want ginhotd --stdio", ls)
	}
	checkDiagnosticsOption(t, ls.Config)
	for _, l := range cfg.Language {
		if l.Name == "go" {
			if !slices.Contains(l.LanguageServers, "ginhotd") || !slices.Contains(l.LanguageServers, "gopls") {
				t.Errorf("go language-servers = %v, want gopls and ginhotd", l.LanguageServers)
			}
			return
		}
	}
	t.Error("no [[language]] go")
}

func checkDiagnosticsOption(t *testing.T, opts map[string]any) {
	t.Helper()
	if d := opts["diagnostics"]; d != "all" && d != "complement" {
		t.Errorf("initialization option diagnostics = %v, want all or complement", d)
	}
}

func TestZedSettings(t *testing.T) {
	b, err := os.ReadFile("zed/settings.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Languages map[string]struct {
			LanguageServers []string `json:"language_servers"`
		} `json:"languages"`
		LSP map[string]struct {
			Binary struct {
				Path      string   `json:"path"`
				Arguments []string `json:"arguments"`
			} `json:"binary"`
			InitializationOptions map[string]any `json:"initialization_options"`
		} `json:"lsp"`
	}
	d := json.NewDecoder(bytes.NewReader(stripJSONComments(b)))
	d.DisallowUnknownFields()
	if err := d.Decode(&cfg); err != nil {
		t.Fatalf("zed/settings.json: %v", err)
	}
	g := cfg.LSP["ginhotd"]
	if g.Binary.Path != "ginhotd" || !slices.Equal(g.Binary.Arguments, []string{"--stdio"}) {
		t.Errorf("lsp.ginhotd.binary = %+v, want ginhotd --stdio", g.Binary)
	}
	checkDiagnosticsOption(t, g.InitializationOptions)
	if s := cfg.Languages["Go"].LanguageServers; !slices.Contains(s, "ginhotd") || !slices.Contains(s, "gopls") {
		t.Errorf("languages.Go.language_servers = %v, want gopls and ginhotd", s)
	}
}

func TestZedExtension(t *testing.T) {
	var ext struct {
		ID              string   `toml:"id"`
		Name            string   `toml:"name"`
		Description     string   `toml:"description"`
		Version         string   `toml:"version"`
		SchemaVersion   int      `toml:"schema_version"`
		Authors         []string `toml:"authors"`
		Repository      string   `toml:"repository"`
		LanguageServers map[string]struct {
			Name      string   `toml:"name"`
			Languages []string `toml:"languages"`
		} `toml:"language_servers"`
	}
	decodeTOML(t, "zed/extension.toml", &ext)
	if ext.ID == "" || ext.SchemaVersion != 1 || !slices.Contains(ext.LanguageServers["ginhotd"].Languages, "Go") {
		t.Errorf("extension.toml = %+v, want id, schema_version 1 and a ginhotd server for Go", ext)
	}
	var cargo struct {
		Lib struct {
			CrateType []string `toml:"crate-type"`
		} `toml:"lib"`
		Dependencies map[string]string `toml:"dependencies"`
	}
	b, err := os.ReadFile("zed/Cargo.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.Unmarshal(b, &cargo); err != nil {
		t.Fatalf("zed/Cargo.toml: %v", err)
	}
	if !slices.Equal(cargo.Lib.CrateType, []string{"cdylib"}) || cargo.Dependencies["zed_extension_api"] == "" {
		t.Errorf("Cargo.toml = %+v, want a cdylib on zed_extension_api", cargo)
	}
	src, err := os.ReadFile("zed/src/lib.rs")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte(`"--stdio"`)) || !bytes.Contains(src, []byte("register_extension!")) {
		t.Error("zed/src/lib.rs does not register an extension that starts ginhotd --stdio")
	}
}

func TestEmacsEglot(t *testing.T) {
	b, err := os.ReadFile("emacs/ginhot.el")
	if err != nil {
		t.Fatal(err)
	}
	forms, err := readSexps(string(b))
	if err != nil {
		t.Fatalf("emacs/ginhot.el: %v", err)
	}
	var server, provides bool
	var commands []string
	for _, f := range forms {
		s := flatten(f)
		if slices.Contains(s, "add-to-list") && slices.Contains(s, "eglot-server-programs") {
			i := slices.Index(s, `"ginhotd"`)
			server = i >= 0 && i+1 < len(s) && s[i+1] == `"--stdio"` && slices.Contains(s, ":initializationOptions")
		}
		if slices.Equal(s, []string{"provide", "'", "ginhot"}) {
			provides = true
		}
		for _, a := range s {
			if strings.HasPrefix(a, `"ginhot.`) {
				commands = append(commands, strings.Trim(a, `"`))
			}
		}
	}
	if !server {
		t.Error(`no (add-to-list 'eglot-server-programs '(… . ("ginhotd" "--stdio" :initializationOptions …)))`)
	}
	if !provides {
		t.Error("no (provide 'ginhot)")
	}
	served := serverCommands(t)
	for _, c := range commands {
		if !slices.Contains(served, c) {
			t.Errorf("emacs/ginhot.el runs %q, which the daemon does not serve", c)
		}
	}
	if len(commands) < 5 {
		t.Errorf("emacs/ginhot.el maps %v; want restart, rebuild, stop, start and explain", commands)
	}
}

// stripJSONComments removes // and /* */ comments outside strings (JSONC, as
// Zed's settings allow).
func stripJSONComments(b []byte) []byte {
	var out []byte
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			out = append(out, c)
			if c == '\\' && i+1 < len(b) {
				i++
				out = append(out, b[i])
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			out = append(out, c)
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			end := bytes.Index(b[i+2:], []byte("*/"))
			if end < 0 {
				return append(out, b[i:]...) // unterminated: let the JSON decoder report it
			}
			i += end + 3
		default:
			out = append(out, c)
		}
	}
	return out
}

// sexp is an Emacs Lisp form: an atom (string) or a list.
type sexp struct {
	atom string
	list []sexp
}

// readSexps reads every top-level form of src: lists in () or [], strings
// with escapes, ?c characters, ; comments and the quote prefixes.
func readSexps(src string) ([]sexp, error) {
	r := &sexpReader{src: []rune(src)}
	var forms []sexp
	for {
		r.skip()
		if r.pos >= len(r.src) {
			return forms, nil
		}
		f, err := r.read()
		if err != nil {
			return nil, err
		}
		forms = append(forms, f)
	}
}

type sexpReader struct {
	src []rune
	pos int
}

func (r *sexpReader) skip() {
	for r.pos < len(r.src) {
		switch c := r.src[r.pos]; {
		case c == ';':
			for r.pos < len(r.src) && r.src[r.pos] != '\n' {
				r.pos++
			}
		case unicode.IsSpace(c):
			r.pos++
		default:
			return
		}
	}
}

func (r *sexpReader) line() int {
	return strings.Count(string(r.src[:r.pos]), "\n") + 1
}

func (r *sexpReader) read() (sexp, error) {
	r.skip()
	if r.pos >= len(r.src) {
		return sexp{}, fmt.Errorf("line %d: unexpected end of file", r.line())
	}
	switch c := r.src[r.pos]; c {
	case '(', '[':
		closer := map[rune]rune{'(': ')', '[': ']'}[c]
		start := r.line()
		r.pos++
		var list []sexp
		for {
			r.skip()
			if r.pos >= len(r.src) {
				return sexp{}, fmt.Errorf("line %d: %q never closed", start, c)
			}
			if r.src[r.pos] == closer {
				r.pos++
				return sexp{list: list}, nil
			}
			if r.src[r.pos] == ')' || r.src[r.pos] == ']' {
				return sexp{}, fmt.Errorf("line %d: %q closes %q", r.line(), r.src[r.pos], c)
			}
			f, err := r.read()
			if err != nil {
				return sexp{}, err
			}
			list = append(list, f)
		}
	case ')', ']':
		return sexp{}, fmt.Errorf("line %d: unbalanced %q", r.line(), c)
	case '\'', '`':
		r.pos++
		f, err := r.read()
		return sexp{list: []sexp{{atom: "'"}, f}}, err
	case ',':
		r.pos++
		if r.pos < len(r.src) && r.src[r.pos] == '@' {
			r.pos++
		}
		return r.read()
	case '#':
		if r.pos+1 < len(r.src) && r.src[r.pos+1] == '\'' {
			r.pos += 2
			return r.read()
		}
	case '"':
		start := r.pos
		r.pos++
		for r.pos < len(r.src) && r.src[r.pos] != '"' {
			if r.src[r.pos] == '\\' {
				r.pos++
			}
			r.pos++
		}
		if r.pos >= len(r.src) {
			return sexp{}, fmt.Errorf("line %d: unterminated string", r.line())
		}
		r.pos++
		return sexp{atom: string(r.src[start:r.pos])}, nil
	case '?':
		n := 2
		if r.pos+1 < len(r.src) && r.src[r.pos+1] == '\\' {
			n = 3
		}
		if r.pos+n > len(r.src) {
			return sexp{}, fmt.Errorf("line %d: unterminated character", r.line())
		}
		r.pos += n
		return sexp{atom: string(r.src[r.pos-n : r.pos])}, nil
	}
	start := r.pos
	for r.pos < len(r.src) && !unicode.IsSpace(r.src[r.pos]) && !strings.ContainsRune("()[]\";'`,", r.src[r.pos]) {
		if r.src[r.pos] == '\\' {
			r.pos++
		}
		r.pos++
	}
	if r.pos == start {
		return sexp{}, fmt.Errorf("line %d: unexpected %q", r.line(), r.src[r.pos])
	}
	return sexp{atom: string(r.src[start:r.pos])}, nil
}

// flatten returns the atoms of f in order, depth first.
func flatten(f sexp) []string {
	if f.list == nil {
		return []string{f.atom}
	}
	var out []string
	for _, e := range f.list {
		out = append(out, flatten(e)...)
	}
	return out
}

func TestReadSexpsRejectsBrokenLisp(t *testing.T) {
	for _, src := range []string{`(defun f () "x"`, `(a))`, `("unterminated)`, `(a ]`, `(a ?`} {
		if _, err := readSexps(src); err == nil {
			t.Errorf("readSexps(%q) = nil error, want one", src)
		}
	}
	forms, err := readSexps("(a 'b [c \"d\\\"\"] ?\\( #'e ,@f) ; comment\n(g)")
	if err != nil || len(forms) != 2 {
		t.Fatalf("readSexps = %v, %v; want 2 forms", forms, err)
	}
	want := []string{"a", "'", "b", "c", `"d\""`, `?\(`, "e", "f"}
	if got := flatten(forms[0]); !slices.Equal(got, want) {
		t.Errorf("flatten = %q, want %q", got, want)
	}
}

func TestStripJSONComments(t *testing.T) {
	got := string(stripJSONComments([]byte("// c\n{\"a\": \"x // y\", /* z */ \"b\": 1}")))
	want := "\n{\"a\": \"x // y\",  \"b\": 1}"
	if got != want {
		t.Errorf("stripJSONComments = %q, want %q", got, want)
	}
}
