package build

import (
	"bufio"
	"bytes"
	"fmt"
	goparser "go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// Messages of the go command that say an import path inside the module has
// no Go code (yet), with the import path or the directory they name.
var (
	noModuleRE = regexp.MustCompile(`^no required module provides package (\S+?);`)
	notStdRE   = regexp.MustCompile(`^package (\S+) is not in std\b`)
	noFilesRE  = regexp.MustCompile(`no (?:non-test )?Go files in (\S+)$`)
	// undefinedRE matches a compile error about a name of an imported
	// package, "undefined: views.Index".
	undefinedRE = regexp.MustCompile(`^undefined: ([A-Za-z_]\w*)\.([A-Za-z_]\w*)$`)
)

// generateHint is appended to every hint: how to have ginhotd run the
// generator before each build.
const generateHint = "or add a [[generate]] step to ginhot.toml (`ginhotd init` suggests one)"

// explainGenerated rewrites the diagnostics that come from generated code not
// being there: an import path inside the module without Go files, or a name
// of such a package left undefined, whose directory holds the inputs of a
// code generator (templ, sqlc, protobuf, swag, //go:generate). The message
// then says which generator to run instead of sending the user to go get.
// It returns the hints added, one line each, for the human output.
func explainGenerated(diags []Diagnostic, dir string) []string {
	var hints []string
	seen := map[string]bool{}
	for i := range diags {
		d := &diags[i]
		first, _, _ := strings.Cut(d.Message, "\n")
		hint := ""
		if m := undefinedRE.FindStringSubmatch(first); m != nil && d.File != "" {
			if pkgDir, rel := importDir(d.File, m[1], dir); pkgDir != "" {
				hint = generatorHint(pkgDir, rel, d.File, m[1]+"."+m[2]+" may be defined there")
			}
		} else if pkgDir, rel := missingDir(first, d.File, dir); pkgDir != "" {
			hint = generatorHint(pkgDir, rel, d.File, "")
		}
		if hint == "" {
			continue
		}
		d.Message = hint + "\n(go build: " + strings.TrimSuffix(strings.TrimSpace(first), "; to add it:") + ")"
		if !seen[hint] {
			seen[hint] = true
			hints = append(hints, hint)
		}
	}
	return hints
}

// missingDir returns the directory (absolute, and relative to its module,
// slash-separated) of the package a go command message says has no Go
// files, when it lies inside the module holding file (or dir); else "".
func missingDir(msg, file, dir string) (string, string) {
	if m := noFilesRE.FindStringSubmatch(msg); m != nil {
		abs := m[1]
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(dir, abs)
		}
		root, _ := moduleOf(abs)
		if root == "" {
			return "", ""
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil {
			return "", ""
		}
		return abs, filepath.ToSlash(rel)
	}
	var pkg string
	if m := noModuleRE.FindStringSubmatch(msg); m != nil {
		pkg = m[1]
	} else if m := notStdRE.FindStringSubmatch(msg); m != nil {
		pkg = m[1]
	} else {
		return "", ""
	}
	from := dir
	if file != "" {
		from = filepath.Dir(file)
	}
	return pathInModule(from, pkg)
}

// importDir returns the directory of the in-module package that file
// imports under the name ident, or "".
func importDir(file, ident, dir string) (string, string) {
	f, err := goparser.ParseFile(token.NewFileSet(), file, nil, goparser.ImportsOnly)
	if err != nil {
		return "", ""
	}
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		if name == ident {
			return pathInModule(filepath.Dir(file), p)
		}
	}
	return "", ""
}

// pathInModule maps import path pkg to its directory inside the module that
// holds from, when the module's path is a prefix of pkg.
func pathInModule(from, pkg string) (string, string) {
	root, mod := moduleOf(from)
	if root == "" {
		return "", ""
	}
	rel, ok := strings.CutPrefix(pkg, mod+"/")
	if !ok {
		return "", ""
	}
	return filepath.Join(root, filepath.FromSlash(rel)), rel
}

// moduleOf returns the directory and module path of the nearest go.mod at or
// above dir.
func moduleOf(dir string) (string, string) {
	for d := dir; ; d = filepath.Dir(d) {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			return d, modfile.ModulePath(data)
		}
		if filepath.Dir(d) == d {
			return "", ""
		}
	}
}

// generatorHint returns the sentence for a package at pkgDir (rel inside its
// module) that has no generated Go, or "" when nothing there is a generator
// input. importer is the file whose import or name use failed; what, when
// set, says why the package matters.
func generatorHint(pkgDir, rel, importer, what string) string {
	name := rel + "/"
	suffix := ""
	if what != "" {
		suffix = " (" + what + ")"
	}
	if has(pkgDir, "*.templ") {
		return fmt.Sprintf("%s holds *.templ files but no generated Go%s: run `templ generate`, %s", name, suffix, generateHint)
	}
	if cfg := sqlcConfig(pkgDir); cfg != "" {
		return fmt.Sprintf("%s is generated by sqlc (%s) but holds no generated Go%s: run `sqlc generate`, %s", name, cfg, suffix, generateHint)
	}
	if has(pkgDir, "*.proto") {
		return fmt.Sprintf("%s holds *.proto files but no generated Go%s: run `buf generate` (or protoc with protoc-gen-go), %s", name, suffix, generateHint)
	}
	if path.Base(rel) == "docs" && swagAnnotated(importer) {
		return fmt.Sprintf("%s is swag's output (%s has swag annotations) but is not there%s: run `swag init`, %s",
			name, filepath.Base(importer), suffix, generateHint)
	}
	if line := goGenerateFor(pkgDir, importer); line != "" {
		return fmt.Sprintf("%s holds no generated Go%s, and %s: run `go generate ./...`, %s", name, suffix, line, generateHint)
	}
	return ""
}

// has reports whether dir holds a file matching the glob pattern.
func has(dir, pattern string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	return len(m) > 0
}

// sqlcConfig returns the sqlc configuration file, relative to the module
// root, that is in pkgDir or in one of its ancestors inside the module and
// there names pkgDir's path below it; "" when none.
func sqlcConfig(pkgDir string) string {
	root, _ := moduleOf(pkgDir)
	if root == "" {
		return ""
	}
	for d := pkgDir; within(d, root); d = filepath.Dir(d) {
		below, err := filepath.Rel(d, pkgDir)
		if err != nil {
			return ""
		}
		for _, n := range []string{"sqlc.yaml", "sqlc.yml", "sqlc.json"} {
			cfg := filepath.Join(d, n)
			data, err := os.ReadFile(cfg)
			if err != nil || (below != "." && !bytes.Contains(data, []byte(filepath.ToSlash(below)))) {
				continue
			}
			rel, _ := filepath.Rel(root, cfg)
			return filepath.ToSlash(rel)
		}
		if d == root {
			break
		}
	}
	return ""
}

// within reports whether path is dir or lies below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}

// swagAnnotated reports whether file carries swag's general API annotations.
func swagAnnotated(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	for _, tag := range []string{"// @title", "// @BasePath", "// @host", "// @Router"} {
		if bytes.Contains(data, []byte(tag)) {
			return true
		}
	}
	return false
}

// goGenerateFor returns the first //go:generate line, as "FILE:LINE has
// //go:generate ...", in pkgDir, its parent or the importer's directory
// that names pkgDir's base name; "" when none.
func goGenerateFor(pkgDir, importer string) string {
	base := filepath.Base(pkgDir)
	dirs := []string{pkgDir, filepath.Dir(pkgDir)}
	if importer != "" {
		dirs = append(dirs, filepath.Dir(importer))
	}
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "*.go"))
		for _, f := range files {
			if line, n := generateLine(f, base, d == pkgDir); n > 0 {
				return fmt.Sprintf("%s:%d has %s", filepath.Base(f), n, line)
			}
		}
	}
	return ""
}

// generateLine returns the first //go:generate line of file (and its
// number) that mentions name, or any one when anyLine is set.
func generateLine(file, name string, anyLine bool) (string, int) {
	f, err := os.Open(file)
	if err != nil {
		return "", 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "//go:generate ") && (anyLine || strings.Contains(line, name)) {
			return line, n
		}
	}
	return "", 0
}
