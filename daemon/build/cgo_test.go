package build

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCgoEnv(t *testing.T) {
	user := []string{"FOO=1"}
	tests := []struct {
		name          string
		env           []string
		usesCgo, keep bool
		want          []string
	}{
		{"pure Go graph", user, false, false, []string{"FOO=1", "CGO_ENABLED=0"}},
		{"graph uses cgo", user, true, false, user},
		{"cgo = true", user, false, true, user},
		{"user's own setting wins", []string{"CGO_ENABLED=1"}, false, false, []string{"CGO_ENABLED=1"}},
		{"no env", nil, false, false, []string{"CGO_ENABLED=0"}},
	}
	for _, tt := range tests {
		got := CgoEnv(tt.env, tt.usesCgo, tt.keep)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if len(user) != 1 {
		t.Errorf("CgoEnv changed its argument: %q", user)
	}
}

// TestCgoEnvBuild checks that a binary built with CgoEnv's environment is
// really linked without cgo.
func TestCgoEnvBuild(t *testing.T) {
	opts := Options{Dir: fixture(t, "ok"), OutDir: filepath.Join(t.TempDir(), "bin"), Env: CgoEnv(testEnv(), false, false)}
	res, err := Run(t.Context(), opts, ".")
	if err != nil || !res.OK {
		t.Fatalf("build: %v %q", err, res.Output)
	}
	out, err := exec.Command("go", "version", "-m", res.Binary).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "CGO_ENABLED=0") {
		t.Errorf("go version -m: %s; want CGO_ENABLED=0", out)
	}
}
