package build

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// ErrGoNotFound reports that the go command could not be found or executed.
var ErrGoNotFound = errors.New("build: go command not found in PATH")

// ErrOverlay reports that the overlay copies could not be written (a full
// disk, for example). The caller can build from disk instead.
var ErrOverlay = errors.New("build: cannot write the overlay")

// Options configures one `go build`. The zero value builds with "go" from PATH
// in the current directory, but OutDir must be set.
type Options struct {
	Dir     string   // directory to run go build in (module or workspace root); "" = current directory
	Go      string   // go binary; "" = "go" looked up in PATH
	OutDir  string   // directory for binaries, created if missing; owned by this package (see [Prune])
	Flags   []string // extra build flags such as -race or -gcflags=...
	Tags    []string // build tags, passed as one -tags flag
	LDFlags string   // user ldflags; use this rather than -ldflags in Flags
	Strip   bool     // add "-s -w" to the ldflags (smaller binaries, faster links)
	Env     []string // extra environment, appended to os.Environ()

	// Overlay maps absolute source paths to the content the build uses
	// instead of the file on disk (the editor's unsaved buffers). Each is
	// written to a temporary copy in a private directory under OutDir and
	// passed with -overlay; the copies are removed before Run returns.
	Overlay map[string][]byte
	// Nice runs the go command, the compiler and the linker at the lowest
	// CPU priority (nice 19), for builds nobody waits for yet. Unix only;
	// elsewhere, or when the priority cannot be set, the build runs at
	// normal priority.
	Nice bool
}

// Diagnostic is one problem reported by the go command.
type Diagnostic struct {
	File    string // absolute path; "" when the message names no file (link and go command errors)
	Line    int    // 1-based; 0 when File is ""
	Col     int    // 1-based; 0 if unknown
	Message string // the message, with its indented continuation lines joined by "\n"
	Package string // import path of the package being built when the message was printed
	Kind    string // "compile", "link", "cgo", "embed" or "other"; a best-effort classification
}

// String formats d the way the go command does: "file:line:col: message".
func (d Diagnostic) String() string {
	switch {
	case d.File == "":
		return d.Message
	case d.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Message)
	default:
		return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Message)
	}
}

// Result is the outcome of one build. A build that failed to compile or link
// is a Result with OK false, not an error.
type Result struct {
	Target   string        // the import path or ./dir built
	Binary   string        // the produced executable when OK; "" otherwise
	OK       bool          // the go command succeeded
	Diags    []Diagnostic  // the problems found, by file and position; empty when OK; never empty when not OK
	Output   string        // the go command's human-readable output (as without -json)
	Duration time.Duration // wall time of the go command
}

// Run builds target (an import path or a ./dir relative to opts.Dir) into a
// fresh file under opts.OutDir, which is never the path of an earlier build,
// so a binary that is running is never overwritten.
//
// It runs
//
//	go build -json -buildvcs=false [-tags t1,t2] [-ldflags "..."] [flags] -o OUT target
//
// leaving out -buildvcs=false when opts.Flags sets -buildvcs itself. The go
// command needs to be Go 1.24 or newer for -json.
//
// The error is non-nil only when ginhotd itself failed: the go command is
// missing ([ErrGoNotFound]), opts.OutDir cannot be created, the overlay
// cannot be written (wraps [ErrOverlay]), or ctx was done
// (the error wraps ctx.Err()). When ctx is done while the build runs, the go
// command's whole process group is killed before Run returns.
func Run(ctx context.Context, opts Options, target string) (Result, error) {
	res := Result{Target: target}
	goBin, err := lookGo(opts.Go)
	if err != nil {
		return res, fmt.Errorf("build %s: %w: %w", target, ErrGoNotFound, err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return res, fmt.Errorf("build %s: %w", target, err)
	}
	if opts.OutDir == "" {
		return res, fmt.Errorf("build %s: no output directory", target)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return res, fmt.Errorf("build %s: %w", target, err)
	}
	out, err := reserve(opts.OutDir, binaryName(dir, target))
	if err != nil {
		return res, fmt.Errorf("build %s: %w", target, err)
	}

	a := args(opts, out, target)
	var back map[string]string
	if len(opts.Overlay) > 0 {
		file, copies, cleanup, err := writeOverlay(opts.OutDir, opts.Overlay)
		if err != nil {
			os.Remove(out)
			return res, fmt.Errorf("build %s: %w", target, err)
		}
		defer cleanup()
		back = copies
		a = append(a[:1], append([]string{"-overlay", file}, a[1:]...)...)
	}

	start := time.Now()
	text, runErr := goBuild(ctx, goBin, dir, a, opts.Env, opts.Nice)
	res.Duration = time.Since(start)
	if ctx.Err() != nil {
		os.Remove(out)
		return res, fmt.Errorf("build %s: %w", target, ctx.Err())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		os.Remove(out)
		return res, fmt.Errorf("build %s: %w", target, runErr)
	}

	res.Output, res.Diags = parse(text, dir)
	unmapOverlay(&res, back)
	if runErr == nil {
		res.OK, res.Binary, res.Diags = true, out, nil
		return res, nil
	}
	os.Remove(out)
	if len(res.Diags) == 0 {
		msg := strings.TrimSpace(res.Output)
		if msg == "" {
			msg = "go build: " + runErr.Error()
		}
		res.Diags = []Diagnostic{{Message: msg, Kind: KindOther}}
	}
	return res, nil
}

// Prune removes the files in outDir, the directory given as [Options.OutDir],
// except those named in keep (as paths returned in [Result.Binary] or as base
// names). Subdirectories are left alone. On Unix a removed binary that is still
// running keeps running; pass the binaries of running apps in keep anyway so
// that they can be restarted.
func Prune(outDir string, keep ...string) error {
	kept := make(map[string]bool, len(keep))
	for _, k := range keep {
		kept[filepath.Base(k)] = true
	}
	entries, err := os.ReadDir(outDir)
	if err != nil {
		return fmt.Errorf("build: prune: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() || kept[e.Name()] {
			continue
		}
		if err := os.Remove(filepath.Join(outDir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("build: prune: %w", err)
	}
	return nil
}

// lookGo resolves the go command.
func lookGo(goBin string) (string, error) {
	if goBin == "" {
		goBin = "go"
	}
	return exec.LookPath(goBin)
}

// args returns the go command's arguments.
func args(opts Options, out, target string) []string {
	a := []string{"build", "-json"}
	if !hasFlag(opts.Flags, "buildvcs") {
		a = append(a, "-buildvcs=false")
	}
	if len(opts.Tags) > 0 {
		a = append(a, "-tags", strings.Join(opts.Tags, ","))
	}
	ld := opts.LDFlags
	if opts.Strip {
		ld = strings.TrimSpace(ld + " -s -w")
	}
	if ld != "" {
		a = append(a, "-ldflags", ld)
	}
	a = append(a, opts.Flags...)
	return append(a, "-o", out, target)
}

// hasFlag reports whether flags set the named flag (-name, --name, -name=v).
func hasFlag(flags []string, name string) bool {
	for _, f := range flags {
		f = strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-")
		if f == name || strings.HasPrefix(f, name+"=") {
			return true
		}
	}
	return false
}

// binaryName derives a file name from the target: the last element of the
// import path or directory.
func binaryName(dir, target string) string {
	base := path.Base(filepath.ToSlash(target))
	if base == "." || base == "/" || base == ".." || strings.Contains(base, "...") {
		base = filepath.Base(dir)
	}
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, base)
	if name == "" || name == "." {
		name = "app"
	}
	return name
}

// reserve creates an empty file with a unique name in outDir and returns its
// path. The go command overwrites an empty file given to -o.
func reserve(outDir, name string) (string, error) {
	pattern := name + "-*"
	if runtime.GOOS == "windows" {
		pattern += ".exe"
	}
	f, err := os.CreateTemp(outDir, pattern)
	if err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return filepath.Abs(f.Name())
}

// goBuild runs the go command in its own process group and returns its
// combined output, in the order printed.
func goBuild(ctx context.Context, goBin, dir string, args, env []string, nice bool) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = w
	cmd.Stderr = w
	setGroup(cmd)
	err = cmd.Start()
	w.Close()
	if err != nil {
		return "", err
	}
	if nice {
		lowerPriority(cmd)
	}
	var text strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		text.Write(sc.Bytes())
		text.WriteByte('\n')
	}
	if sc.Err() != nil {
		// A line over the limit: keep the pipe drained so that the go
		// command cannot block on a full pipe.
		_, _ = io.Copy(io.Discard, r)
	}
	return text.String(), cmd.Wait()
}
