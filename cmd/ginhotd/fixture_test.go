package main

import (
	"path/filepath"
	"testing"

	"github.com/ginhotd/ginhotd/internal/testkit"
)

// copyFixture copies testdata/NAME into a temp dir and returns it.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	return testkit.CopyModule(t, filepath.Join("testdata", name))
}
