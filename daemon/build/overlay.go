package build

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// writeOverlay writes each file of overlay to a private directory under
// outDir, with the JSON file that go build -overlay reads, and returns the
// JSON file's path, a map from each copy back to the file it replaces, and
// a function that removes everything it wrote.
func writeOverlay(outDir string, overlay map[string][]byte) (string, map[string]string, func(), error) {
	dir, err := os.MkdirTemp(outDir, ".overlay-")
	if err != nil {
		return "", nil, nil, fmt.Errorf("%w: %w", ErrOverlay, err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	replace := make(map[string]string, len(overlay))
	back := make(map[string]string, len(overlay))
	i := 0
	for path, content := range overlay {
		if !filepath.IsAbs(path) {
			cleanup()
			return "", nil, nil, fmt.Errorf("%w: %s is not an absolute path", ErrOverlay, path)
		}
		i++
		// Keep the base name: the go command reads build tags and _test
		// suffixes from the replaced path, but error positions name the
		// original file either way.
		copyPath := filepath.Join(dir, strconv.Itoa(i)+"-"+filepath.Base(path))
		if err := os.WriteFile(copyPath, content, 0o600); err != nil {
			cleanup()
			return "", nil, nil, fmt.Errorf("%w: %w", ErrOverlay, err)
		}
		replace[path] = copyPath
		back[copyPath] = path
	}
	data, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		cleanup()
		return "", nil, nil, fmt.Errorf("%w: %w", ErrOverlay, err)
	}
	file := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		cleanup()
		return "", nil, nil, fmt.Errorf("%w: %w", ErrOverlay, err)
	}
	return file, back, cleanup, nil
}

// unmapOverlay rewrites the paths of overlay copies in res (the compiler
// names the copy it read) to the files they replace.
func unmapOverlay(res *Result, back map[string]string) {
	for i, d := range res.Diags {
		if orig, ok := back[d.File]; ok {
			res.Diags[i].File = orig
		}
	}
	for cp, orig := range back {
		res.Output = strings.ReplaceAll(res.Output, cp, orig)
	}
}
