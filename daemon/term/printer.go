package term

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/session"
)

// Options configures a [Printer].
type Options struct {
	Out   io.Writer // status lines (text) or JSON events
	Err   io.Writer // app output in JSON mode
	JSON  bool      // one JSON object per event on Out
	Color bool      // colour the text format
	Root  string    // file paths are shown relative to it
	// Named is Root as the user named it, through a symbolic link ("" if
	// not): JSON events give file paths under Root in its terms.
	Named  string
	Prefix bool // prefix app output with the target's name
	// Live says Out is a terminal: build progress is one line, rewritten
	// in place, Width columns wide at most (80 when 0). Otherwise progress
	// is a plain line every progressEvery per target.
	Live  bool
	Width int
}

// progressEvery is how often progress is printed when Out is no terminal.
const progressEvery = 5 * time.Second

// logFlushDelay bounds how long a line of app output waits in the
// Printer's buffer. Writing each line on its own costs a write syscall per
// request of an app that logs every request (Gin's default logger): about
// 15 µs of CPU per request under load.
const logFlushDelay = 10 * time.Millisecond

// Printer is a [session.Notifier] for terminals. App output is buffered for
// at most logFlushDelay, and written before any later event; call
// [Printer.Flush] before exiting.
type Printer struct {
	o  Options
	mu sync.Mutex

	logBuf  *bufio.Writer // app output not yet written; nil before the first line
	flushT  *time.Timer   // runs Flush logFlushDelay after a line is buffered
	pending bool          // logBuf holds lines and flushT is set
	// served holds the targets whose first serving version was announced
	// ("→ ./cmd/api serving at …"), so that it is said once each.
	served map[string]bool
	// live is set while the progress line is on screen (Options.Live)
	// and must be erased before anything else is written.
	live bool
	// progressAt is when progress was last printed, by target and phase
	// (without Options.Live); a new build of the target clears it.
	progressAt map[string]time.Time

	dim, green, red, yellow, cyan, bold *color.Color
}

// New returns a Printer writing as o says.
func New(o Options) *Printer {
	p := &Printer{o: o, served: map[string]bool{}, progressAt: map[string]time.Time{}}
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		if o.Color {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	p.dim, p.green, p.red = mk(color.Faint), mk(color.FgGreen), mk(color.FgRed)
	p.yellow, p.cyan, p.bold = mk(color.FgYellow), mk(color.FgCyan), mk(color.Bold)
	return p
}

// Notify prints e.
func (p *Printer) Notify(e session.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Kind == session.KindLog {
		p.bufferLog(p.logLine(e))
		return
	}
	p.flushLocked()
	if p.o.JSON {
		b, err := json.Marshal(p.named(e))
		if err != nil {
			return
		}
		p.o.Out.Write(append(b, '\n'))
		return
	}
	p.text(e)
}

// Flush writes the buffered app output and erases the progress line.
func (p *Printer) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked()
	p.clearLive()
}

func (p *Printer) flushLocked() {
	if !p.pending {
		return
	}
	p.pending = false
	p.flushT.Stop()
	p.clearLive()
	_ = p.logBuf.Flush() // a closed terminal: nothing to do
}

// bufferLog adds a line of app output to the buffer, which is written by
// the next event or logFlushDelay later.
func (p *Printer) bufferLog(line string) {
	if p.logBuf == nil {
		w := p.o.Out
		if p.o.JSON {
			w = p.o.Err
		}
		p.logBuf = bufio.NewWriterSize(w, 64<<10)
		p.flushT = time.AfterFunc(logFlushDelay, p.Flush)
		p.flushT.Stop()
	}
	_, _ = p.logBuf.WriteString(line)
	_ = p.logBuf.WriteByte('\n')
	if !p.pending {
		p.pending = true
		p.flushT.Reset(logFlushDelay)
	}
}

func (p *Printer) logLine(e session.Event) string {
	if p.o.Prefix {
		prefix := strings.TrimPrefix(e.Target, "./cmd/")
		if e.Target == "." && p.rootName() != "" {
			prefix = p.rootName()
		}
		return "[" + prefix + "] " + e.Line
	}
	return e.Line
}

// clearLive erases the progress line, if one is on screen.
func (p *Printer) clearLive() {
	if p.live {
		fmt.Fprint(p.o.Out, "\r\x1b[K")
		p.live = false
	}
}

func (p *Printer) text(e session.Event) {
	w := p.o.Out
	tn := p.name(e.Target)
	ts := p.dim.Sprint(e.Time.Format("15:04:05"))
	line := func(c *color.Color, sym, format string, a ...any) {
		fmt.Fprintf(w, "%s %s %s\n", ts, c.Sprint(sym), fmt.Sprintf(format, a...))
	}
	p.clearLive()
	switch e.Kind {
	case session.KindProgress:
		p.progress(e, ts)
	case session.KindBuildStart:
		for _, phase := range []string{string(build.PhaseDownload), string(build.PhaseCompile)} {
			delete(p.progressAt, e.Target+" "+phase)
		}
		line(p.cyan, "⟳", "building %s %s", p.bold.Sprint(tn), p.dim.Sprint("— "+e.Reason))
	case session.KindBuildOK:
		switch {
		case e.Reason != "" && e.MS > 0:
			line(p.green, "✓", "%s: %s", tn, e.Reason)
		case e.Reason != "":
			line(p.green, "✓", "%s: no build, %s", tn, e.Reason)
		default:
			line(p.green, "✓", "built %s in %s", tn, ms(e.MS))
		}
	case session.KindPrepared:
		line(p.dim, "·", "%s", p.dim.Sprintf("prepared %s in %s from the editor's unsaved buffers", tn, ms(e.MS)))
	case session.KindBuildFail:
		line(p.red, "✗", "build of %s failed in %s; %s", tn, ms(e.MS), serving(e, "fix the errors below and save"))
		if len(e.Diagnostics) == 0 {
			fmt.Fprintln(w, strings.TrimRight(e.Output, "\n"))
		}
		for _, d := range e.Diagnostics {
			fmt.Fprintln(w, p.diagLine(d))
		}
	case session.KindGenerateStart:
		line(p.cyan, "⟳", "generating: %s %s", p.bold.Sprint(e.Step), p.dim.Sprint("— "+e.Reason))
	case session.KindGenerateOK:
		line(p.green, "✓", "%s done in %s", e.Step, ms(e.MS))
	case session.KindGenerateFail:
		line(p.red, "✗", "%s failed in %s; %s", e.Step, ms(e.MS), serving(e, "fix the errors below and save"))
		if len(e.Diagnostics) == 0 || e.Diagnostics[0].File == "" {
			fmt.Fprintln(w, strings.TrimRight(e.Output, "\n"))
		}
		for _, d := range e.Diagnostics {
			if d.File != "" {
				fmt.Fprintln(w, p.diagLine(d))
			}
		}
	case session.KindStart:
		line(p.dim, "▶", "starting %s (pid %d)", tn, e.PID)
	case session.KindReady:
		since := "after the change"
		if e.Cause == session.CauseStart.String() {
			since = "after ginhotd started"
		}
		line(p.green, "●", "%s ready, generation %d, pid %d (%s; %s %s)", p.bold.Sprint(tn), e.Generation, e.PID, e.Reason, ms(e.MS), since)
		if e.Debug != "" {
			line(p.cyan, "⬢", "debugger: attach to %s (Delve, DAP or JSON-RPC; a new address for each version)", e.Debug)
		}
	case session.KindStop:
		line(p.dim, "■", "stopped %s pid %d in %s", tn, e.PID, ms(e.MS))
	case session.KindCrash:
		line(p.red, "✗", "%s: %s; %s", tn, e.Reason, serving(e, ""))
		if e.Output != "" {
			fmt.Fprintln(w, p.dim.Sprint(lastLines(e.Output, 15)))
		}
		for _, d := range e.Diagnostics {
			fmt.Fprintln(w, p.diagLine(d))
		}
	case session.KindTargetAdded:
		line(p.cyan, "+", "target %s (%s), at %s", p.bold.Sprint(tn), e.Reason, e.URL)
	case session.KindTargetRemoved:
		line(p.yellow, "−", "target %s stopped: %s", p.bold.Sprint(tn), e.Reason)
	case session.KindSkip:
		line(p.dim, "·", "%s", p.dim.Sprint(e.Reason))
	case session.KindRestart:
		line(p.cyan, "↻", "%s", e.Reason)
	case session.KindWarn:
		line(p.yellow, "!", "%s", e.Message)
	case session.KindError:
		line(p.red, "!", "%s", e.Message)
	case session.KindStatus:
		if e.Status == nil {
			break
		}
		for _, t := range e.Status.Targets {
			if t.Generation == 1 && t.State == session.StateRunning && !p.served[t.Name] {
				p.served[t.Name] = true
				line(p.green, "→", "%s serving at %s", p.name(t.Name), p.bold.Sprint(t.URL))
			}
		}
	}
}

// name renders a target for a terminal line: the root target "." with the
// directory's name, "shop (.)", as "." alone reads badly ("building . —
// first build"); others as they are. JSON events keep the name itself.
func (p *Printer) name(target string) string {
	if target == "." && p.rootName() != "" {
		return p.rootName() + " (.)"
	}
	return target
}

// rootName is the name of the workspace root's directory, as the user
// named it; "" without a root.
func (p *Printer) rootName() string {
	root := p.o.Named
	if root == "" {
		root = p.o.Root
	}
	if root == "" {
		return ""
	}
	return filepath.Base(root)
}

// quietCompiles is how many packages a build compiles before a log (not a
// terminal) hears of its progress: a warm build compiles a handful.
const quietCompiles = 10

// progress prints a progress event: on the live line, or as a plain line
// when the target's last one in this phase is progressEvery old.
func (p *Printer) progress(e session.Event, ts string) {
	text := progressText(e)
	if !p.o.Live {
		if e.Phase == string(build.PhaseCompile) && e.Done < quietCompiles {
			return // a warm build: its few packages are no news in a log
		}
		key := e.Target + " " + e.Phase
		if at, ok := p.progressAt[key]; ok && e.Time.Sub(at) < progressEvery {
			return
		}
		p.progressAt[key] = e.Time
		fmt.Fprintf(p.o.Out, "%s %s %s\n", ts, p.cyan.Sprint("⟳"), text)
		return
	}
	width := p.o.Width
	if width <= 0 {
		width = 80
	}
	// "15:04:05 ⟳ " is 11 columns; the last column is left free so that
	// the terminal does not wrap.
	if r := []rune(text); len(r) > width-12 {
		text = string(r[:max(width-13, 0)]) + "…"
	}
	fmt.Fprintf(p.o.Out, "%s %s %s", ts, p.cyan.Sprint("⟳"), text)
	p.live = true
}

// progressText is the text of a progress event, as the terminal shows it:
//
//	./cmd/api: compiled 37 packages of at most 112 (cached ones are skipped) — github.com/gin-gonic/gin
//	./cmd/api: downloading module 3 of at most 40 — github.com/gin-gonic/gin v1.10.0
//
// "of at most" is left out while the total is not known.
func progressText(e session.Event) string {
	var text string
	switch {
	case e.Phase == string(build.PhaseDownload) && e.Total > 0:
		text = fmt.Sprintf("%s: downloading module %d of at most %d", e.Target, e.Done, e.Total)
	case e.Phase == string(build.PhaseDownload):
		text = fmt.Sprintf("%s: downloading module %d", e.Target, e.Done)
	case e.Total > 0:
		text = fmt.Sprintf("%s: compiled %s of at most %d (cached ones are skipped)", e.Target, packages(e.Done), e.Total)
	default:
		text = fmt.Sprintf("%s: compiled %s", e.Target, packages(e.Done))
	}
	if e.What != "" {
		text += " — " + e.What
	}
	return text
}

// packages is "1 package" or "n packages".
func packages(n int) string {
	if n == 1 {
		return "1 package"
	}
	return fmt.Sprintf("%d packages", n)
}

// serving says what answers requests after a build_fail or crash event:
// the previous version, or nothing (and then whether anything ever ran,
// followed by hint, if any, when nothing has).
func serving(e session.Event, hint string) string {
	switch {
	case e.Serving:
		return fmt.Sprintf("generation %d keeps serving", e.Generation)
	case e.Generation == 0 && hint != "":
		return "no version has run yet: " + hint
	case e.Generation == 0:
		return "no version has run yet"
	}
	return fmt.Sprintf("nothing is serving (generation %d is not running)", e.Generation)
}

// named returns e with the file paths under Root moved under Named; e's
// slices are copied, not changed.
func (p *Printer) named(e session.Event) session.Event {
	if p.o.Named == "" {
		return e
	}
	move := func(path string) string {
		if rel, err := filepath.Rel(p.o.Root, path); err == nil && path != "" && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.Join(p.o.Named, rel)
		}
		return path
	}
	if len(e.Diagnostics) > 0 {
		ds := make([]build.Diagnostic, len(e.Diagnostics))
		for i, d := range e.Diagnostics {
			d.File = move(d.File)
			ds[i] = d
		}
		e.Diagnostics = ds
	}
	if e.Status != nil {
		st := *e.Status
		st.Root = move(st.Root)
		st.Targets = make([]session.TargetStatus, len(e.Status.Targets))
		for i, t := range e.Status.Targets {
			t.MainFile = move(t.MainFile)
			st.Targets[i] = t
		}
		e.Status = &st
	}
	return e
}

// position formats file:line:col relative to the root when inside it.
// diagLine renders a diagnostic: "file:line:col: message", or the message
// alone for one with no position (a custom build command's output).
func (p *Printer) diagLine(d build.Diagnostic) string {
	if d.File == "" {
		return d.Message
	}
	return p.red.Sprint(p.position(d.File, d.Line, d.Col)) + " " + d.Message
}

func (p *Printer) position(file string, line, col int) string {
	if rel, err := filepath.Rel(p.o.Root, file); err == nil && !strings.HasPrefix(rel, "..") && p.o.Root != "" {
		file = rel
	}
	if col > 0 {
		return fmt.Sprintf("%s:%d:%d:", file, line, col)
	}
	return fmt.Sprintf("%s:%d:", file, line)
}

func ms(n int64) string {
	return (time.Duration(n) * time.Millisecond).String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
