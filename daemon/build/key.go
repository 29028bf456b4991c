package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
)

// Digest is the SHA-256 of one file's content.
type Digest [sha256.Size]byte

// HashBytes returns the digest of content, such as an editor buffer.
func HashBytes(content []byte) Digest { return sha256.Sum256(content) }

// HashFile returns the digest of the file at path.
func HashFile(path string) (Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Digest{}, fmt.Errorf("build: hash: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Digest{}, fmt.Errorf("build: hash %s: %w", path, err)
	}
	var d Digest
	h.Sum(d[:0])
	return d, nil
}

// Key returns the content key of building target with opts from files
// (absolute path → digest of the content the build reads, whether from
// disk or from opts.Overlay): a hex SHA-256 that is equal for two builds
// exactly when their settings, target and file contents are equal, so a
// binary stored under it (see [Store]) can stand in for the build.
//
// It covers Dir, Go, Flags, Tags, LDFlags, Strip, Env, Debug, Modules,
// Command and Bin. It leaves out
// OutDir and Nice, which do not change the binary, and Overlay, whose
// content the caller passes in files. The files are the caller's choice:
// every source file the target's packages read, or, within one session
// whose untouched files are known not to change, the files that differ
// from a known state.
func Key(opts Options, target string, files map[string]Digest) string {
	h := sha256.New()
	field := func(s string) {
		io.WriteString(h, strconv.Itoa(len(s)))
		io.WriteString(h, ":")
		io.WriteString(h, s)
	}
	list := func(name string, l []string) {
		field(name)
		field(strconv.Itoa(len(l)))
		for _, s := range l {
			field(s)
		}
	}
	field("ginhotd build key v1")
	field(opts.Dir)
	field(opts.Go)
	field(target)
	list("flags", opts.Flags)
	list("tags", opts.Tags)
	field(opts.LDFlags)
	field(strconv.FormatBool(opts.Strip))
	list("env", opts.Env)
	field(strconv.FormatBool(opts.Debug))
	list("modules", opts.Modules)
	list("command", opts.Command)
	field(opts.Bin)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	field(strconv.Itoa(len(paths)))
	for _, p := range paths {
		d := files[p]
		field(p)
		h.Write(d[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}
