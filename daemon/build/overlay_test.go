package build

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunOverlayServesTheBuffer(t *testing.T) {
	dir := fixture(t, "ok")
	main := filepath.Join(dir, "main.go")
	disk, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bin")
	buffer := []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"from the buffer\") }\n")
	opts := Options{Dir: dir, OutDir: out, Strip: true, Env: testEnv(), Nice: true,
		Overlay: map[string][]byte{main: buffer}}
	res, err := Run(t.Context(), opts, ".")
	if err != nil || !res.OK {
		t.Fatalf("overlay build: err %v, output %q", err, res.Output)
	}
	got, err := exec.Command(res.Binary).Output()
	if err != nil || string(got) != "from the buffer\n" {
		t.Fatalf("binary built from the overlay prints %q (%v); want the buffer's text", got, err)
	}
	if now, _ := os.ReadFile(main); string(now) != string(disk) {
		t.Fatalf("the fixture on disk changed: %q", now)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("overlay directory %s left behind", e.Name())
		}
	}

	// A broken buffer is a failed build whose diagnostics name the real file.
	opts.Overlay = map[string][]byte{main: []byte("package main\n\nfunc main() { undefinedThing() }\n")}
	res, err = Run(t.Context(), opts, ".")
	if err != nil || res.OK || len(res.Diags) == 0 || res.Diags[0].File != main || res.Diags[0].Line != 3 {
		t.Fatalf("broken overlay: err %v OK %v diags %v; want a compile error at %s:3", err, res.OK, res.Diags, main)
	}
}

func TestRunOverlayCannotBeWritten(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bin")
	opts := Options{Dir: fixture(t, "ok"), OutDir: out, Env: testEnv(),
		Overlay: map[string][]byte{"relative.go": []byte("package main")}}
	if _, err := Run(t.Context(), opts, "."); !errors.Is(err, ErrOverlay) {
		t.Fatalf("err = %v, want ErrOverlay", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("left in OutDir: %v", entries)
	}
}

func TestKey(t *testing.T) {
	base := Options{Dir: "/m", Tags: []string{"dev"}, Strip: true, Env: []string{"CGO_ENABLED=0"}}
	files := map[string]Digest{"/m/a.go": HashBytes([]byte("a")), "/m/b.go": HashBytes([]byte("b"))}
	k := Key(base, ".", files)

	same := base
	same.OutDir, same.Nice = "/elsewhere", true
	same.Overlay = map[string][]byte{"/m/a.go": []byte("a")}
	if Key(same, ".", map[string]Digest{"/m/b.go": HashBytes([]byte("b")), "/m/a.go": HashBytes([]byte("a"))}) != k {
		t.Error("the key depends on OutDir, Nice, Overlay or map order")
	}
	changes := map[string]func(o *Options, f map[string]Digest) string{
		"content":  func(o *Options, f map[string]Digest) string { f["/m/a.go"] = HashBytes([]byte("a2")); return "." },
		"new file": func(o *Options, f map[string]Digest) string { f["/m/c.go"] = HashBytes(nil); return "." },
		"renamed": func(o *Options, f map[string]Digest) string {
			f["/m/z.go"] = f["/m/a.go"]
			delete(f, "/m/a.go")
			return "."
		},
		"target":  func(o *Options, f map[string]Digest) string { return "./cmd/x" },
		"tags":    func(o *Options, f map[string]Digest) string { o.Tags = nil; return "." },
		"strip":   func(o *Options, f map[string]Digest) string { o.Strip = false; return "." },
		"env":     func(o *Options, f map[string]Digest) string { o.Env = []string{"CGO_ENABLED=1"}; return "." },
		"flags":   func(o *Options, f map[string]Digest) string { o.Flags = []string{"-race"}; return "." },
		"ldflags": func(o *Options, f map[string]Digest) string { o.LDFlags = "-X a=b"; return "." },
		"split": func(o *Options, f map[string]Digest) string {
			o.Tags = []string{"de", "v"}
			return "."
		},
	}
	for name, change := range changes {
		o := base
		f := map[string]Digest{}
		for p, d := range files {
			f[p] = d
		}
		target := change(&o, f)
		if Key(o, target, f) == k {
			t.Errorf("%s: key unchanged", name)
		}
	}
}

func TestHashFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(strings.Repeat("x", 100000)), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := HashFile(p)
	if err != nil || d != HashBytes([]byte(strings.Repeat("x", 100000))) {
		t.Fatalf("HashFile = %x, %v", d, err)
	}
	if _, err := HashFile(p + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
