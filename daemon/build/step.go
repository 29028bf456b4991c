package build

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// KindGenerate is the kind of a [Diagnostic] printed by a generator step
// ([RunStep]): templ, sqlc, swag, go generate or any other command.
const KindGenerate Kind = "generate"

// ErrStepNotFound reports that a step's command is not installed.
var ErrStepNotFound = errors.New("command not found in PATH")

// StepOptions configures one generator step.
type StepOptions struct {
	Dir     string        // directory the command runs in (the module root)
	Args    []string      // the command and its arguments
	Env     []string      // extra environment, appended to os.Environ()
	Timeout time.Duration // the process group is killed after this long; 0 = no limit
	// OnStart and OnExit are told the step's process group, as for
	// [Options.OnStart].
	OnStart, OnExit func(pgid int)
}

// StepResult is the outcome of one step. A step that failed is a StepResult
// with OK false, not an error.
type StepResult struct {
	OK       bool
	Diags    []Diagnostic  // the errors it printed, by file and line; never empty when not OK
	Output   string        // what it printed, stdout and stderr interleaved
	Duration time.Duration // wall time
}

// installHints says how to install the generators ginhotd knows.
var installHints = map[string]string{
	"templ": "go install github.com/a-h/templ/cmd/templ@latest",
	"sqlc":  "go install github.com/sqlc-dev/sqlc/cmd/sqlc@latest",
	"swag":  "go install github.com/swaggo/swag/cmd/swag@latest",
}

// RunStep runs a generator command in its own process group and parses what
// it prints into diagnostics with absolute paths.
//
// A step fails when it exits non-zero, when it runs past opts.Timeout (its
// whole process group is then killed), or when it exits 0 but printed an
// error at a file position: some generators (older templ, swag) exit 0 on
// errors, and a line "file:line[:col]: message" whose file exists, or
// templ's and swag's own error lines, is taken as one. Lines whose message
// starts with "warning" or "note" are not errors.
//
// The error is non-nil only when the step could not run: the command is
// missing (it wraps [ErrStepNotFound] and, for templ, sqlc and swag, says
// how to install it), or ctx was done (it wraps ctx.Err()).
func RunStep(ctx context.Context, opts StepOptions) (StepResult, error) {
	var res StepResult
	if len(opts.Args) == 0 {
		return res, errors.New("generate: empty command")
	}
	name := opts.Args[0]
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("generate: %s: %v", name, ErrStepNotFound)
		if h, ok := installHints[filepath.Base(name)]; ok {
			msg += "; install it with `" + h + "` (pin the version your go.mod requires)"
		}
		return res, fmt.Errorf("%s: %w", msg, ErrStepNotFound)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return res, fmt.Errorf("generate %s: %w", name, err)
	}
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if opts.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, opts.Timeout)
	}
	defer cancel()
	start := time.Now()
	out, runErr := runGroup(runCtx, bin, dir, opts.Args[1:], group{env: opts.Env, onStart: opts.OnStart, onExit: opts.OnExit})
	res.Duration = time.Since(start)
	if ctx.Err() != nil {
		return res, fmt.Errorf("generate %s: %w", name, ctx.Err())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) && runCtx.Err() == nil {
		return res, fmt.Errorf("generate %s: %w", name, runErr)
	}
	res.Output = out
	res.Diags = parseStep(out, dir)
	switch {
	case runCtx.Err() != nil:
		msg := fmt.Sprintf("%s did not finish within %s: its process group was killed", strings.Join(opts.Args, " "), opts.Timeout)
		res.Output += "ginhotd: " + msg + "\n"
		res.Diags = append(res.Diags, Diagnostic{Message: msg, Kind: KindGenerate})
	case runErr != nil && len(res.Diags) == 0:
		msg := strings.TrimSpace(out)
		if msg == "" {
			msg = strings.Join(opts.Args, " ") + ": " + runErr.Error()
		}
		res.Diags = []Diagnostic{{Message: msg, Kind: KindGenerate}}
	case runErr == nil && len(res.Diags) == 0:
		res.OK = true
	}
	return res, nil
}

var (
	// templErrRE matches templ's "FILE parsing error: MESSAGE: line N, col M".
	templErrRE = regexp.MustCompile(`(\S+\.templ) parsing error: (.*): line (\d+), col (\d+)`)
	// swagErrRE matches swag's "ParseComment error in file FILE for comment:
	// 'COMMENT': MESSAGE" (and the older "...in file FILE :MESSAGE").
	swagErrRE = regexp.MustCompile(`ParseComment error in file (\S+?)\s*(?:for comment: '(.*?)')?\s*:\s*(.*)$`)
)

// parseStep returns the errors a step printed, in the order printed.
func parseStep(out, dir string) []Diagnostic {
	var diags []Diagnostic
	abs := func(f string) string {
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		return filepath.Clean(f)
	}
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if m := templErrRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[3])
			col, _ := strconv.Atoi(m[4])
			diags = append(diags, Diagnostic{File: abs(m[1]), Line: max(n, 1), Col: col + 1, Message: m[2], Kind: KindGenerate})
			continue
		}
		if m := swagErrRE.FindStringSubmatch(line); m != nil {
			f := abs(m[1])
			msg := m[3]
			if m[2] != "" {
				msg = m[3] + " (in " + strings.TrimSpace(m[2]) + ")"
			}
			diags = append(diags, Diagnostic{File: f, Line: lineOf(f, m[2]), Message: "swag: " + msg, Kind: KindGenerate})
			continue
		}
		m := posRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		msg := m[4]
		lower := strings.ToLower(msg)
		if strings.HasPrefix(lower, "warning") || strings.HasPrefix(lower, "note") {
			continue
		}
		f := abs(m[1])
		if _, err := os.Stat(f); err != nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		diags = append(diags, Diagnostic{File: f, Line: n, Col: col, Message: msg, Kind: KindGenerate})
	}
	return diags
}

// lineOf returns the 1-based number of the first line of file that contains
// text, or 1 when there is none.
func lineOf(file, text string) int {
	text = strings.TrimSpace(text)
	f, err := os.Open(file)
	if err != nil || text == "" {
		if f != nil {
			f.Close()
		}
		return 1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), text) {
			return n
		}
	}
	return 1
}
