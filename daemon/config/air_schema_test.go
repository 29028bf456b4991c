package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// airSchemaKey is one leaf key of air's schema, [airFile]: its dotted
// path (a rule's keys under "build.rules.0") and the Go type ginhotd
// reads it as.
type airSchemaKey struct {
	path string
	typ  reflect.Type
}

// airSchemaKeys lists the leaf keys of [airFile], inline structs flat,
// and of a per-OS table the keys air reads there (its CfgBuildCommon).
// A key added to air is added to airFile, where
// TestAirSchemaKeysHaveAnAnswer fails until ginhotd answers it.
func airSchemaKeys() []airSchemaKey {
	leaf := reflect.TypeFor[interface{ path() string }]()
	var keys []airSchemaKey
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Tag.Get("toml") == ",inline" {
				walk(prefix, f.Type)
				continue
			}
			p := join(prefix, f.Tag.Get("toml"))
			switch {
			case reflect.PointerTo(f.Type).Implements(leaf):
				v, _ := f.Type.FieldByName("V")
				if v.Type.Kind() == reflect.Slice && v.Type.Elem().Kind() == reflect.Struct {
					walk(p+".0", v.Type.Elem())
				} else {
					keys = append(keys, airSchemaKey{p, v.Type})
				}
			case f.Type == reflect.TypeFor[airOSBuild]():
				walk(p, reflect.TypeFor[airBuildCommon]())
			case f.Type.Kind() == reflect.Struct:
				walk(p, f.Type)
			}
		}
	}
	walk("", reflect.TypeFor[airFile]())
	return keys
}

// TestAirNotNeededNamesAirKeys checks that each answer of airNotNeeded is
// for a key, or a table, of air's schema.
func TestAirNotNeededNamesAirKeys(t *testing.T) {
	schema := map[string]bool{}
	for _, k := range airSchemaKeys() {
		schema[airSchemaPath(k.path)] = true
	}
	for k := range airNotNeeded {
		if !schemaKey(schema, k) {
			t.Errorf("airNotNeeded answers %q, which is not in airFile", k)
		}
	}
}

// airSample is a value of type t as an .air.toml writes it.
func airSample(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[airKillDelay]():
		return `"500ms"`
	case t.Kind() == reflect.Bool:
		return "true"
	case t.Kind() == reflect.Int64:
		return "800"
	case t.Kind() == reflect.Slice, t == reflect.TypeFor[airEntrypoint]():
		return `["x"]`
	}
	return `"x"`
}

// airFileWith writes an .air.toml that sets key to value. A rule key
// comes with the keys every rule needs.
func airFileWith(key, value string) string {
	table, leaf := "", key
	if i := strings.LastIndex(key, "."); i >= 0 {
		table, leaf = key[:i], key[i+1:]
	}
	var b strings.Builder
	switch {
	case strings.HasPrefix(table, "build.rules."):
		b.WriteString("[[build.rules]]\n")
		if leaf != "cmd" {
			b.WriteString("cmd = \"npm run build\"\n")
		}
		if leaf != "include_ext" {
			b.WriteString("include_ext = [\"js\"]\n")
		}
	case table != "":
		fmt.Fprintf(&b, "[%s]\n", table)
	}
	fmt.Fprintf(&b, "%s = %s\n", leaf, value)
	return b.String()
}

// airKeyValues are the values tried for a key besides airSample's: an
// integer kill_delay, and what each string key needs to be valid.
var airKeyValues = map[string][]string{
	"build.kill_delay":          {"500", "500_000_000"},
	"build.rules.0.include_ext": {`["css"]`},
	"build.rules.0.cmd":         {`"npm run css"`},
	"color.mode":                {`"never"`},
}

// TestAirSchemaKeysHaveAnAnswer loads an .air.toml setting each key of
// air's config structs: it loads, and the key's notice is an answer
// (mapped, not needed, or what ginhotd cannot do), never "not an air key".
func TestAirSchemaKeysHaveAnAnswer(t *testing.T) {
	for _, k := range airSchemaKeys() {
		for _, v := range append([]string{airSample(k.typ)}, airKeyValues[k.path]...) {
			t.Run(k.path+"="+v, func(t *testing.T) {
				c := loadAir(t, airFileWith(k.path, v))
				// A key is answered by its own notice, or by its table's:
				// what a rule became, or a table for another OS.
				if !slices.ContainsFunc(c.Notices, func(n Notice) bool { return n.Key == k.path || strings.HasPrefix(k.path, n.Key+".") }) {
					t.Fatalf("no notice for %s: %v", k.path, c.Notices)
				}
				for _, n := range c.Notices {
					if n.Message == unknownKeyMessage {
						t.Errorf("%s has no answer: %v", n.Key, n)
					}
				}
			})
		}
	}
}

// TestRealAirFiles loads the .air.toml files of public projects in
// testdata/air: each loads, every key of air's schema in it is answered,
// and only the keys air does not have are reported as unknown.
func TestRealAirFiles(t *testing.T) {
	schema := map[string]bool{}
	for _, k := range airSchemaKeys() {
		schema[k.path] = true
	}
	files, err := filepath.Glob("testdata/air/*.air.toml")
	if err != nil || len(files) < 5 {
		t.Fatalf("want at least 5 real .air.toml files, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := loadAir(t, string(b))
			for _, n := range c.Notices {
				if n.Message == unknownKeyMessage && schemaKey(schema, n.Key) {
					t.Errorf("air key without an answer: %v", n)
				}
				if n.Message != unknownKeyMessage && !schemaKey(schema, n.Key) && !isTable(n.Key) {
					t.Errorf("answered as air's, but air has no such key: %v", n)
				}
			}
		})
	}
}

// schemaKey reports whether key, or the table it is in, is air's.
func schemaKey(schema map[string]bool, key string) bool {
	for k := range schema {
		if k == key || strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// isTable reports whether key names a table air answers as a whole (a
// per-OS table for another OS, or a rule).
func isTable(key string) bool {
	return key == "build.windows" || key == "build.darwin" || key == "build.linux" || strings.HasPrefix(key, "build.rules.")
}
