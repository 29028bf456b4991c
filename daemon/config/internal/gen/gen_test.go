package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestGenerated fails when a generated copy of the settings' docs differs
// from what their source says, or when the source lacks a doc comment or
// a trust class.
func TestGenerated(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(root, f.path))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(f.content) {
			t.Errorf("%s is stale: run go generate ./daemon/config", f.path)
		}
	}
}

// TestUndescribedFieldFails checks that a field without a doc comment, or a
// setting without a trust class, stops the generator.
func TestUndescribedFieldFails(t *testing.T) {
	type settings struct {
		Said    string `toml:"said" trust:"safe"`
		Unsaid  string `toml:"unsaid" trust:"safe"`
		Untrust string `toml:"untrust"`
		Wrong   string `toml:"wrong" trust:"maybe"`
	}
	docs := map[string]string{"Said": "Said is said.", "Untrust": "Untrust is said.", "Wrong": "Wrong is said."}
	var errs []error
	got := fields(reflect.TypeFor[settings](), reflect.ValueOf(settings{}), "", docs, &errs)
	if len(got) != 4 {
		t.Errorf("fields returned %d settings, want 4", len(got))
	}
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"settings.Unsaid has no doc comment", "settings.Untrust has no trust class", "settings.Wrong has no trust class"} {
		if !strings.Contains(all, want) {
			t.Errorf("errors %q lack %q", all, want)
		}
	}
	if len(errs) != 3 {
		t.Errorf("%d errors, want 3: %q", len(errs), all)
	}
	for _, s := range got {
		if s.key == "untrust" && !s.program {
			t.Error("a setting without a trust class is not documented as a program setting")
		}
	}
}

func TestUserDoc(t *testing.T) {
	for _, tc := range []struct{ name, doc, want, summary string }{
		{"Addr", "Addr is the public address. It moves.\n", "the public address. It moves.", "the public address"},
		{"Restart", "Restart are globs\nof files.", "globs of files.", "globs of files"},
		{"Strip", "Strip links dev builds.", "links dev builds.", "links dev builds"},
	} {
		got := userDoc(tc.name, tc.doc)
		if got != tc.want || firstSentence(got) != tc.summary {
			t.Errorf("userDoc(%q, %q) = %q, first sentence %q; want %q, %q", tc.name, tc.doc, got, firstSentence(got), tc.want, tc.summary)
		}
	}
}

func TestTOMLWords(t *testing.T) {
	type settings struct {
		Map map[string]string
	}
	v := reflect.ValueOf(settings{Map: map[string]string{"/b": "/y", "/a": "/x"}})
	if got, want := typeWords(v.Type().Field(0).Type), "{string = string}"; got != want {
		t.Errorf("typeWords = %q, want %q", got, want)
	}
	if got, want := tomlValue(v.Field(0)), `{"/a" = "/x", "/b" = "/y"}`; got != want {
		t.Errorf("tomlValue = %q, want %q", got, want)
	}
	if got, want := tomlValue(reflect.ValueOf(map[string]string(nil))), "{}"; got != want {
		t.Errorf("tomlValue(nil map) = %q, want %q", got, want)
	}
}
