package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stepDir is the fixture the step scripts run in, as an absolute path.
func stepDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "steps"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunStep(t *testing.T) {
	dir := stepDir(t)
	templ := filepath.Join(dir, "views", "index.templ")
	tests := []struct {
		script string
		ok     bool
		file   string
		line   int
		col    int
		msg    string
	}{
		{"fail-at-line.sh", false, templ, 3, 5, "syntax error near templ"},
		{"fail-exit0.sh", false, templ, 4, 0, "unexpected <p>"},
		{"warn-exit0.sh", true, "", 0, 0, ""},
		{"fail-plain.sh", false, "", 0, 0, "config file sqlc.yaml not found"},
		{"templ-error.sh", false, templ, 4, 13, "string expression: missing close brace"},
		{"swag-error.sh", false, filepath.Join(dir, "handler.go"), 5, 0, `swag: can not parse router comment "/hello [gett" (in // @Router /hello [gett)`},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			res, err := RunStep(t.Context(), StepOptions{Dir: dir, Args: []string{"sh", tc.script}, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.OK != tc.ok {
				t.Fatalf("OK = %v, want %v; output:\n%s", res.OK, tc.ok, res.Output)
			}
			if tc.ok {
				if len(res.Diags) != 0 {
					t.Fatalf("diags = %+v, want none", res.Diags)
				}
				return
			}
			if len(res.Diags) != 1 {
				t.Fatalf("diags = %+v, want one", res.Diags)
			}
			d := res.Diags[0]
			if d.File != tc.file || d.Line != tc.line || d.Col != tc.col || d.Message != tc.msg || d.Kind != KindGenerate {
				t.Fatalf("diag = %+v, want %s:%d:%d %q (generate)", d, tc.file, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestRunStepMissingCommand(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := RunStep(t.Context(), StepOptions{Dir: stepDir(t), Args: []string{"templ", "generate"}})
	if !errors.Is(err, ErrStepNotFound) {
		t.Fatalf("err = %v, want ErrStepNotFound", err)
	}
	for _, want := range []string{"templ", "go install github.com/a-h/templ/cmd/templ@"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestRunStepTimeoutKillsGroup: a hanging step is stopped at its timeout,
// background child included (the pipe would stay open otherwise, and
// RunStep would not return).
func TestRunStepTimeoutKillsGroup(t *testing.T) {
	start := time.Now()
	res, err := RunStep(t.Context(), StepOptions{Dir: stepDir(t), Args: []string{"sh", "hang.sh"}, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("RunStep took %s, want about the 300ms timeout", took)
	}
	if res.OK || len(res.Diags) != 1 || !strings.Contains(res.Diags[0].Message, "did not finish within 300ms") {
		t.Fatalf("result = %+v, want a failure saying it was killed at the timeout", res)
	}
}

func TestRunStepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := RunStep(ctx, StepOptions{Dir: stepDir(t), Args: []string{"sh", "hang.sh"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestRunBuildCommand: build_cmd's binary is copied to a fresh path, so the
// command may overwrite its own output while a copy runs.
func TestRunBuildCommand(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	script := "mkdir -p tmp && printf '#!/bin/sh\\necho v1\\n' > tmp/main"
	res, err := Run(t.Context(), Options{Dir: dir, OutDir: out, Command: []string{"sh", "-c", script}, Bin: "tmp/main"}, ".")
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || filepath.Dir(res.Binary) != out {
		t.Fatalf("result = %+v, want OK with a binary under %s", res, out)
	}
	b, err := os.ReadFile(res.Binary)
	if err != nil || !strings.Contains(string(b), "echo v1") {
		t.Fatalf("copied binary = %q, %v", b, err)
	}
	if fi, _ := os.Stat(res.Binary); fi.Mode()&0o100 == 0 {
		t.Fatalf("copied binary mode %v, want executable", fi.Mode())
	}

	res, err = Run(t.Context(), Options{Dir: dir, OutDir: out, Command: []string{"sh", "-c", "echo 'main.go:3:2: undefined: x' >&2; exit 1"}, Bin: "tmp/main"}, ".")
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || len(res.Diags) != 1 || res.Diags[0].File != filepath.Join(dir, "main.go") || res.Diags[0].Line != 3 {
		t.Fatalf("result = %+v, want a failure at main.go:3", res)
	}

	res, err = Run(t.Context(), Options{Dir: dir, OutDir: out, Command: []string{"true"}, Bin: "nothere"}, ".")
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Output, "is bin right?") {
		t.Fatalf("result = %+v, want a failure saying bin cannot be read", res)
	}
}
