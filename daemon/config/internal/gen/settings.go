package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/ginhotd/ginhotd/daemon/config"
)

// source is the file that declares the settings' fields.
const source = "daemon/config/config.go"

// A setting is one key of ginhot.toml, as every copy describes it.
type setting struct {
	key     string // TOML key; "generate[].run" for a generator step's
	field   string // Go field, "Generate.Run" for a step's
	flag    string // command-line flag, "" for none
	typ     string // type in TOML words
	def     string // default: a TOML value, or the default tag's words
	literal bool
	doc     string // the doc comment for users: one line, first letter lower case
	summary string // its first sentence, without the period
	program bool   // a program setting: refused over TCP
	list    bool   // a list: its flag is repeatable
}

// defaultGenerate is a generator step as [config.Load] completes it.
var defaultGenerate = config.Generate{Timeout: config.Duration(config.DefaultGenerateTimeout)}

// load reads the settings from the source file's doc comments and from the
// fields' tags and defaults. A field without a doc comment, or a setting
// without a trust class, is an error.
func load(root string) ([]setting, error) {
	docs, err := fieldDocs(filepath.Join(root, source))
	if err != nil {
		return nil, err
	}
	var errs []error
	top := fields(reflect.TypeFor[config.Config](), reflect.ValueOf(config.Default()), "", docs["Config"], &errs)
	var all []setting
	for _, s := range top {
		all = append(all, s)
		if s.key == "generate" {
			all = append(all, fields(reflect.TypeFor[config.Generate](), reflect.ValueOf(defaultGenerate), "generate[].", docs["Generate"], &errs)...)
		}
	}
	return all, errors.Join(errs...)
}

// fields returns the settings of struct type t, whose default is v, keys
// prefixed by prefix; docs holds its fields' doc comments.
func fields(t reflect.Type, v reflect.Value, prefix string, docs map[string]string, errs *[]error) []setting {
	var out []setting
	for i := range t.NumField() {
		f := t.Field(i)
		doc, ok := docs[f.Name]
		if !ok {
			*errs = append(*errs, fmt.Errorf("%s: config.%s.%s has no doc comment: say what it does, for users", source, t.Name(), f.Name))
		}
		key, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if key == "" || key == "-" {
			continue
		}
		trust := f.Tag.Get("trust")
		if trust != "safe" && trust != "program" {
			*errs = append(*errs, fmt.Errorf("%s: config.%s.%s has no trust class: tag it trust:\"safe\" if it runs nothing of its choosing, else trust:\"program\"", source, t.Name(), f.Name))
		}
		s := setting{
			key:     prefix + key,
			field:   strings.TrimPrefix(t.Name()+".", "Config.") + f.Name,
			flag:    f.Tag.Get("flag"),
			typ:     typeWords(f.Type),
			program: trust != "safe",
			list:    f.Type.Kind() == reflect.Slice,
		}
		s.doc = userDoc(f.Name, doc)
		s.summary = firstSentence(s.doc)
		if d, ok := f.Tag.Lookup("default"); ok {
			s.def = d
		} else {
			s.def, s.literal = tomlValue(v.Field(i)), true
		}
		out = append(out, s)
	}
	return out
}

// fieldDocs returns the doc comments of the fields of each struct type
// declared in file, by type and field name.
func fieldDocs(file string) (map[string]map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	docs := map[string]map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		m := map[string]string{}
		for _, fl := range st.Fields.List {
			if fl.Doc == nil {
				continue
			}
			for _, name := range fl.Names {
				m[name.Name] = fl.Doc.Text()
			}
		}
		docs[ts.Name.Name] = m
		return false
	})
	return docs, nil
}

// userDoc turns a field's doc comment into one line for users: without the
// field's name and the "is" or "are" after it ("Addr is the public
// address" becomes "the public address").
func userDoc(name, doc string) string {
	s := strings.Join(strings.Fields(doc), " ")
	if rest, ok := strings.CutPrefix(s, name+" "); ok {
		s = rest
		for _, verb := range []string{"is ", "are "} {
			if rest, ok := strings.CutPrefix(s, verb); ok {
				s = rest
				break
			}
		}
	}
	return s
}

// firstSentence returns doc's first sentence without its period.
func firstSentence(doc string) string {
	if i := strings.Index(doc, ". "); i >= 0 {
		return doc[:i]
	}
	return strings.TrimSuffix(doc, ".")
}

// sentence returns s with its first letter in upper case.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// typeWords names t in TOML words.
func typeWords(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[config.Duration]():
		return "duration"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return "[table]"
	case t.Kind() == reflect.Slice:
		return "[" + typeWords(t.Elem()) + "]"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() == reflect.Map:
		return "{" + typeWords(t.Key()) + " = " + typeWords(t.Elem()) + "}"
	}
	return t.Kind().String()
}

// tomlValue writes v as a TOML value.
func tomlValue(v reflect.Value) string {
	if m, ok := v.Interface().(interface{ MarshalText() ([]byte, error) }); ok {
		b, err := m.MarshalText()
		if err != nil {
			panic(err)
		}
		return fmt.Sprintf("%q", b)
	}
	switch v.Kind() {
	case reflect.String:
		return fmt.Sprintf("%q", v.String())
	case reflect.Slice:
		var items []string
		for i := range v.Len() {
			items = append(items, tomlValue(v.Index(i)))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case reflect.Map:
		var items []string
		for _, k := range slices.SortedFunc(slices.Values(v.MapKeys()), func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) }) {
			items = append(items, fmt.Sprintf("%q = %s", k.String(), tomlValue(v.MapIndex(k))))
		}
		return "{" + strings.Join(items, ", ") + "}"
	}
	return fmt.Sprint(v.Interface())
}
