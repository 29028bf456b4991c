package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Problem is one fault in a configuration source, located for the user.
type Problem struct {
	File    string // file name, or "settings" for flags and initializationOptions
	Line    int    // 1-based; 0 when the source has no lines
	Key     string // dotted key, "" for a syntax error
	Message string // names the key when there is one
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// Error is a configuration that cannot be used. Every problem names its
// source, line and key in the words of the TOML file.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return "config: " + strings.Join(msgs, "; ")
}

// doc is a parsed TOML document (or a settings map): its values, and the
// line of each key, keyed by dotted path with array elements as indexes
// ("generate.0.run").
type doc struct {
	name     string
	root     map[string]any
	lines    map[string]int
	problems []Problem
	// lenient, when set, is told of each unknown key instead of it being
	// a problem: an .air.toml may hold keys of newer air versions.
	lenient func(path string)
}

// parseDoc parses b. A syntax error is returned as an [*Error] with its line.
// A leading UTF-8 byte order mark (what Windows editors write) is skipped, as
// air skips it.
func parseDoc(b []byte, name string) (*doc, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	d := &doc{name: name, root: map[string]any{}, lines: map[string]int{}}
	if err := toml.Unmarshal(b, &d.root); err != nil {
		p := Problem{File: name, Message: "not valid TOML"}
		var dec *toml.DecodeError
		if errors.As(err, &dec) {
			p.Line, _ = dec.Position()
			p.Message = "not valid TOML: " + strings.TrimPrefix(dec.Error(), "toml: ")
		}
		return nil, &Error{Problems: []Problem{p}}
	}
	d.indexLines(b)
	return d, nil
}

// settingsDoc wraps overrides from flags or initializationOptions. Values
// arrive as Go values (JSON numbers are float64, flag lists []string); they
// are normalised to what the TOML decoder produces.
func settingsDoc(m map[string]any) *doc {
	d := &doc{name: "settings", lines: map[string]int{}}
	d.root, _ = normalize(m).(map[string]any)
	return d
}

func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalize(e)
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = e
		}
		return out
	case int:
		return int64(v)
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
	case time.Duration:
		return v.String()
	}
	return v
}

// indexLines records the line of every key. The document already decoded,
// so the parser cannot fail here; on any surprise the lines stay unknown.
func (d *doc) indexLines(b []byte) {
	var p unstable.Parser
	p.Reset(b)
	var table []string
	arrays := map[string]int{} // array-of-tables path → index of its last element
	resolve := func(parts []string) []string {
		var out []string
		for _, k := range parts {
			out = append(out, k)
			if i, ok := arrays[strings.Join(out, ".")]; ok {
				out = append(out, strconv.Itoa(i))
			}
		}
		return out
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, line := keyOf(&p, e)
			if e.Kind == unstable.ArrayTable {
				r := resolve(parts[:len(parts)-1])
				path := strings.Join(append(r, parts[len(parts)-1]), ".")
				if _, ok := arrays[path]; ok {
					arrays[path]++
				} else {
					arrays[path] = 0
				}
			}
			table = resolve(parts)
			d.setLine(table, line)
		case unstable.KeyValue:
			d.indexKV(&p, table, e)
		}
	}
}

func keyOf(p *unstable.Parser, n *unstable.Node) ([]string, int) {
	var parts []string
	line := 0
	it := n.Key()
	for it.Next() {
		k := it.Node()
		parts = append(parts, string(k.Data))
		if line == 0 {
			line = p.Shape(k.Raw).Start.Line
		}
	}
	return parts, line
}

func (d *doc) setLine(path []string, line int) {
	k := strings.Join(path, ".")
	if _, ok := d.lines[k]; !ok {
		d.lines[k] = line
	}
}

func (d *doc) indexKV(p *unstable.Parser, table []string, kv *unstable.Node) {
	parts, line := keyOf(p, kv)
	path := append(append([]string(nil), table...), parts...)
	for i := len(table) + 1; i <= len(path); i++ {
		d.setLine(path[:i], line)
	}
	d.indexValue(p, path, kv.Value(), line)
}

func (d *doc) indexValue(p *unstable.Parser, path []string, v *unstable.Node, line int) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				d.indexKV(p, path, c)
			}
		}
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			elem := append(append([]string(nil), path...), strconv.Itoa(i))
			d.setLine(elem, line)
			d.indexValue(p, elem, c, line)
			i++
		}
	}
}

// line returns the line of the key at path, 0 if unknown.
func (d *doc) line(path string) int { return d.lines[path] }

// problem records a fault of the value at path.
func (d *doc) problem(path, format string, a ...any) {
	msg := fmt.Sprintf("key %q: ", path) + fmt.Sprintf(format, a...)
	d.problems = append(d.problems, Problem{File: d.name, Line: d.line(path), Key: path, Message: msg})
}

func (d *doc) unknown(path string) {
	if d.lenient != nil {
		d.lenient(path)
		return
	}
	d.problems = append(d.problems, Problem{File: d.name, Line: d.line(path), Key: path, Message: fmt.Sprintf("unknown key %q", path)})
}

func (d *doc) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	sort.SliceStable(d.problems, func(i, j int) bool { return d.problems[i].Line < d.problems[j].Line })
	return &Error{Problems: d.problems}
}

// keysByLine returns the keys of m in the order they appear in the file.
func (d *doc) keysByLine(prefix string, m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := d.line(join(prefix, keys[i])), d.line(join(prefix, keys[j]))
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

var durationType = reflect.TypeFor[Duration]()

// valueDecoder is a field type that reads its own TOML value, reporting
// a fault with d.problem.
type valueDecoder interface {
	decodeTOML(d *doc, path string, v any)
}

// decodeStruct sets the fields of the struct v from table m, strictly: an
// unknown key or a value of the wrong type is a problem. The fields of a
// struct field tagged `toml:",inline"` are read as v's own.
func (d *doc) decodeStruct(prefix string, m map[string]any, v reflect.Value) {
	fields := map[string][]int{}
	tomlFields(v.Type(), nil, fields)
	for _, k := range d.keysByLine(prefix, m) {
		path := join(prefix, k)
		i, ok := fields[k]
		if !ok {
			d.unknown(path)
			continue
		}
		d.decodeValue(path, m[k], v.FieldByIndex(i))
	}
}

// tomlFields adds the index of each field of t, inline ones' fields
// flat, to fields by its toml name.
func tomlFields(t reflect.Type, index []int, fields map[string][]int) {
	for i := range t.NumField() {
		f := t.Field(i)
		at := append(slices.Clone(index), i)
		switch tag := f.Tag.Get("toml"); {
		case tag == ",inline":
			tomlFields(f.Type, at, fields)
		case tag != "" && tag != "-":
			fields[tag] = at
		}
	}
}

func (d *doc) decodeValue(path string, val any, f reflect.Value) {
	if dec, ok := f.Addr().Interface().(valueDecoder); ok {
		dec.decodeTOML(d, path, val)
		return
	}
	switch {
	case f.Kind() == reflect.Struct:
		m, ok := val.(map[string]any)
		if !ok {
			d.problem(path, "want a table ([%s]), found %s", path, describe(val))
			return
		}
		d.decodeStruct(path, m, f)
	case f.Type() == durationType:
		d.decodeDuration(path, val, f)
	case f.Kind() == reflect.String:
		s, ok := val.(string)
		if !ok {
			d.problem(path, "want a string, found %s", describe(val))
			return
		}
		f.SetString(s)
	case f.Kind() == reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			d.problem(path, "want a boolean (true or false), found %s", describe(val))
			return
		}
		f.SetBool(b)
	case f.Kind() == reflect.Map && f.Type().Key().Kind() == reflect.String && f.Type().Elem().Kind() == reflect.String:
		m, ok := val.(map[string]any)
		if !ok {
			d.problem(path, "want a table of strings like { \"/Users/me/app\" = \"/app\" }, found %s", describe(val))
			return
		}
		out := make(map[string]string, len(m))
		for k, e := range m {
			s, ok := e.(string)
			if !ok {
				d.problem(path, "want a table of strings, found %s at %q", describe(e), k)
				return
			}
			out[k] = s
		}
		f.Set(reflect.ValueOf(out))
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		ss, ok := stringList(val)
		if !ok {
			d.problem(path, "want an array of strings, found %s", describe(val))
			return
		}
		f.Set(reflect.ValueOf(ss))
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
		arr, ok := val.([]any)
		if !ok {
			d.problem(path, "want an array of tables ([[%s]]), found %s", path, describe(val))
			return
		}
		out := reflect.MakeSlice(f.Type(), len(arr), len(arr))
		for i, e := range arr {
			ep := path + "." + strconv.Itoa(i)
			m, ok := e.(map[string]any)
			if !ok {
				d.problem(ep, "want a table, found %s", describe(e))
				continue
			}
			d.decodeStruct(ep, m, out.Index(i))
		}
		f.Set(out)
	default:
		// Every Config field has one of the kinds above; a new kind must be
		// added here, and the fuzz test reaches this through every key.
		d.problem(path, "cannot be set here")
	}
}

// decodeDuration sets the [Duration] f from val, a duration string.
func (d *doc) decodeDuration(path string, val any, f reflect.Value) {
	s, ok := val.(string)
	if !ok {
		if isNumber(val) {
			d.problem(path, "a bare number has no unit: write a duration string like \"5s\" or \"500ms\" (found %s)", describe(val))
			return
		}
		d.problem(path, "want a duration string like \"5s\", found %s", describe(val))
		return
	}
	dur, err := parseDuration(s)
	if err != nil {
		d.problem(path, "%v", err)
		return
	}
	f.SetInt(int64(dur))
}

// parseDuration parses a duration string in the words of the config file.
func parseDuration(s string) (time.Duration, error) {
	dur, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration string like \"5s\" or \"500ms\", found string %s", quote(s))
	}
	if dur < 0 {
		return 0, fmt.Errorf("a duration must not be negative (found %s)", quote(s))
	}
	return dur, nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func stringList(v any) ([]string, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// describe names a decoded value's TOML type and shows it, shortened.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return "string " + quote(v)
	case int64:
		return "integer " + strconv.FormatInt(v, 10)
	case float64:
		return "number " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case []any:
		if len(v) == 0 {
			return "an empty array"
		}
		for _, e := range v {
			if _, ok := e.(string); !ok {
				return "an array holding " + describe(e)
			}
		}
		return "an array of strings"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	case time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return "date-time " + shorten(fmt.Sprint(v))
	}
	return "a value of another kind"
}

func quote(s string) string { return strconv.Quote(shorten(s)) }

func shorten(s string) string {
	const maxLen = 60
	if len(s) <= maxLen {
		return s
	}
	r := []rune(s)
	if len(r) <= maxLen {
		return s
	}
	return string(r[:maxLen]) + "…"
}
