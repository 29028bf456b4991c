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
	"slices"
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
	Strip   bool     // add "-s -w" to the ldflags (smaller binaries, faster links); ignored when Debug
	Env     []string // extra environment, appended to os.Environ()

	// Debug builds for a debugger (see [Run]): DWARF kept, the workspace's
	// own packages compiled without optimisations or inlining.
	Debug bool
	// Modules are the module paths of the workspace (go.mod's, or each
	// module of go.work). With Debug, only their packages get -N -l; when
	// empty, only the packages named on the command line do.
	Modules []string

	// OnStart, if not nil, is called with the process id of the go command
	// right after it started; on Unix that is also the id of its process
	// group, which its compiler and linker children join. OnExit, if not
	// nil, is called with the same id once the go command has been reaped.
	// Both are called at most once per Run, OnExit only after OnStart. A process watchdog uses
	// them to kill builds that would outlive a killed daemon.
	OnStart, OnExit func(pgid int)

	// Command, when set, replaces go build (build_cmd): it runs in Dir and
	// must write Bin; the other build settings are then not used.
	Command []string
	// Bin is the binary Command writes, relative to Dir. Run copies it to a
	// fresh path under OutDir, so Command may overwrite it while a copy runs.
	Bin string

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

	// Progress, if not nil, is told how far the go command has come:
	// the modules it downloads, then the packages it compiles (see
	// [Progress]). It is called from another goroutine than Run's, at
	// most once per 100 ms and never twice at once, and neither after Run
	// returns nor once ctx is done; it must not block. A build that finds everything in the
	// build cache makes no call. Not used with Command.
	Progress func(Progress)
}

// Diagnostic is one problem reported by the go command.
type Diagnostic struct {
	File    string // absolute path; "" when the message names no file (link and go command errors)
	Line    int    // 1-based; 0 when File is ""
	Col     int    // 1-based; 0 if unknown
	Message string // the message, with its indented continuation lines joined by "\n"
	Package string // import path of the package being built when the message was printed
	Kind    Kind   // a best-effort classification; see [Kind]
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
// With opts.Progress, -v comes after -json: the go command then prints the
// import path of each package it compiles (not of those it finds in the
// build cache) as it starts compiling it. Those lines are counted and left
// out of [Result.Output], unless opts.Flags has -v itself.
//
// With opts.Debug the binary is built for Delve: "-s" and "-w" are left out
// of the ldflags (Strip is ignored) and a -trimpath in Flags is dropped
// (breakpoints are set by absolute path), and after Flags comes one
//
//	-gcflags=MODULE/...=-N -l
//
// per module in opts.Modules, so only the workspace's packages are compiled
// without optimisations and inlining. Never all=: that would recompile every
// dependency (tens of seconds for a Gin app on a cold cache). For packages
// of those modules these flags replace a -gcflags of Flags.
//
// The error is non-nil only when ginhotd itself failed: the go command is
// missing ([ErrGoNotFound]), opts.OutDir cannot be created, the overlay
// cannot be written (wraps [ErrOverlay]), or ctx was done
// (the error wraps ctx.Err()). When ctx is done while the build runs, the go
// command's whole process group is killed before Run returns.
func Run(ctx context.Context, opts Options, target string) (Result, error) {
	if len(opts.Command) > 0 {
		return runCommand(ctx, opts, target)
	}
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

	g := group{env: opts.Env, nice: opts.Nice, onStart: opts.OnStart, onExit: opts.OnExit}
	if opts.Progress != nil {
		report := opts.Progress
		opts.Progress = func(p Progress) {
			if ctx.Err() == nil { // a cancelled build is news to nobody
				report(p)
			}
		}
		r := newReporter(opts, goBin, dir, target, !hasFlag(opts.Flags, "v"))
		defer r.close()
		g.line = r.line
	}
	start := time.Now()
	text, runErr := runGroup(ctx, goBin, dir, a, g)
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
	for _, h := range explainGenerated(res.Diags, dir) {
		res.Output += "ginhotd: " + h + "\n"
	}
	res.Output = dropOwnGoGet(res.Diags, res.Output, dir)
	if len(res.Diags) == 0 {
		msg := strings.TrimSpace(res.Output)
		if msg == "" {
			msg = "go build: " + runErr.Error()
		}
		res.Diags = []Diagnostic{{Message: msg, Kind: KindOther}}
	}
	return res, nil
}

// runCommand runs opts.Command, a custom build command, and copies the
// binary it wrote to a fresh path under opts.OutDir. Its output is parsed
// like the go command's plain text, since it usually runs go build.
func runCommand(ctx context.Context, opts Options, target string) (Result, error) {
	res := Result{Target: target}
	name := strings.Join(opts.Command, " ")
	bin, err := exec.LookPath(opts.Command[0])
	if err != nil {
		return res, fmt.Errorf("build_cmd %s: %w", name, err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return res, fmt.Errorf("build_cmd %s: %w", name, err)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return res, fmt.Errorf("build_cmd %s: %w", name, err)
	}
	start := time.Now()
	text, runErr := runGroup(ctx, bin, dir, opts.Command[1:], group{env: opts.Env, onStart: opts.OnStart, onExit: opts.OnExit})
	res.Duration = time.Since(start)
	if ctx.Err() != nil {
		return res, fmt.Errorf("build_cmd %s: %w", name, ctx.Err())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return res, fmt.Errorf("build_cmd %s: %w", name, runErr)
	}
	res.Output, res.Diags = parse(text, dir)
	if runErr != nil {
		res.Output = dropOwnGoGet(res.Diags, res.Output, dir)
		if len(res.Diags) == 0 {
			res.Diags = []Diagnostic{{Message: strings.TrimSpace(name + ": " + runErr.Error() + "\n" + res.Output), Kind: KindOther}}
		}
		return res, nil
	}
	src := opts.Bin
	if !filepath.IsAbs(src) {
		src = filepath.Join(dir, src)
	}
	out, err := reserve(opts.OutDir, binaryName(dir, filepath.Base(src)))
	if err != nil {
		return res, fmt.Errorf("build_cmd %s: %w", name, err)
	}
	if err := copyExecutable(src, out); err != nil {
		os.Remove(out)
		msg := fmt.Sprintf("%s succeeded but its binary %s cannot be read: %v (is bin right?)", name, opts.Bin, err)
		res.Output += "ginhotd: " + msg + "\n"
		res.Diags = []Diagnostic{{Message: msg, Kind: KindOther}}
		return res, nil
	}
	res.OK, res.Binary, res.Diags = true, out, nil
	return res, nil
}

// copyExecutable copies the file src to dst with mode 0755.
func copyExecutable(src, dst string) error {
	if err := copyFile(src, dst, os.O_TRUNC, 0o755); err != nil {
		return err
	}
	return os.Chmod(dst, 0o755)
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
	if opts.Progress != nil && !hasFlag(opts.Flags, "v") {
		a = append(a, "-v")
	}
	if !hasFlag(opts.Flags, "buildvcs") {
		a = append(a, "-buildvcs=false")
	}
	if len(opts.Tags) > 0 {
		a = append(a, "-tags", strings.Join(opts.Tags, ","))
	}
	ld := opts.LDFlags
	switch {
	case opts.Debug:
		ld = strings.Join(slices.DeleteFunc(strings.Fields(ld), func(f string) bool { return f == "-s" || f == "-w" }), " ")
	case opts.Strip:
		ld = strings.TrimSpace(ld + " -s -w")
	}
	if ld != "" {
		a = append(a, "-ldflags", ld)
	}
	if !opts.Debug {
		a = append(a, opts.Flags...)
		return append(a, "-o", out, target)
	}
	for _, f := range opts.Flags {
		if name := strings.TrimLeft(f, "-"); name != "trimpath" && name != "trimpath=true" {
			a = append(a, f)
		}
	}
	a = append(a, debugGCFlags(opts.Modules)...)
	return append(a, "-o", out, target)
}

// debugGCFlags returns the -gcflags that turn off optimisations and inlining
// in the packages of modules, or in the command-line packages when there
// are no modules.
func debugGCFlags(modules []string) []string {
	if len(modules) == 0 {
		return []string{"-gcflags=-N -l"}
	}
	flags := make([]string, 0, len(modules))
	for _, m := range modules {
		flags = append(flags, "-gcflags="+m+"/...=-N -l")
	}
	return flags
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

// group is how [runGroup] runs a command: its extra environment, its
// priority ([Options.Nice]), the hooks told about its process group (see
// [Options.OnStart]) and, if not nil, line, which sees each line of output
// as it is printed and reports whether it belongs in the returned output.
type group struct {
	env             []string
	nice            bool
	onStart, onExit func(pgid int)
	line            func(string) bool
}

// runGroup runs a command (go, a generator) in its own process group and
// returns its combined output, in the order printed.
func runGroup(ctx context.Context, bin, dir string, args []string, opts group) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), opts.env...)
	cmd.Stdout = w
	cmd.Stderr = w
	setGroup(cmd)
	err = cmd.Start()
	w.Close()
	if err != nil {
		return "", err
	}
	pgid := cmd.Process.Pid
	if opts.nice {
		lowerPriority(cmd)
	}
	if opts.onStart != nil {
		opts.onStart(pgid)
	}
	var text strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		if opts.line != nil && !opts.line(sc.Text()) {
			continue
		}
		text.Write(sc.Bytes())
		text.WriteByte('\n')
	}
	if sc.Err() != nil {
		// A line over the limit: keep the pipe drained so that the go
		// command cannot block on a full pipe.
		_, _ = io.Copy(io.Discard, r)
	}
	err = cmd.Wait()
	if opts.onExit != nil {
		opts.onExit(pgid)
	}
	return text.String(), err
}
