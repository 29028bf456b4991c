package run

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults applied by [Start] to zero fields of [Spec].
const (
	DefaultKillTimeout = 5 * time.Second
	DefaultTailLines   = 200
)

const (
	// maxLine is the longest output line passed on; longer lines are split.
	maxLine = 64 * 1024
	// drainTimeout bounds the wait for the output pipes to close once the
	// app and its group are gone (a process that left the group may hold them).
	drainTimeout = 2 * time.Second
)

// Spec describes an app process to start.
type Spec struct {
	Name string   // label used in errors, e.g. the target's import path
	Path string   // the binary; a name without a slash is looked up in PATH
	Args []string // arguments after the program name
	Env  []string // appended to os.Environ(), from which LISTEN_* variables are removed
	Dir  string   // working directory; "" = the daemon's

	// Output, if not nil, is called with each line the app writes, without
	// its line ending; stderr tells which stream. Calls are serialised, keep
	// the order of each stream, and all happen before [Process.Exited] is
	// closed. Output must not block for long: the app blocks on a full pipe.
	Output func(line string, stderr bool)

	// ExtraFiles are passed to the app as fds 3, 4, … with LISTEN_FDS and
	// LISTEN_PID set for socket activation (see the package documentation).
	ExtraFiles []*os.File

	// Debug, if not nil, runs the app under Delve (see the package
	// documentation): the process started is dlv, and the app its child.
	// Only on Linux; not together with ExtraFiles.
	Debug *DebugSpec

	StopSignal  syscall.Signal // graceful stop signal; 0 = SIGTERM
	KillTimeout time.Duration  // wait after StopSignal before SIGKILL; 0 = DefaultKillTimeout
	TailLines   int            // output lines kept for [Process.Tail]; 0 = DefaultTailLines

	// OnStart, if not nil, is called with the app's process id, which is
	// also its process group id on Unix, right after it started. OnExit, if
	// not nil, is called with the same id once the app has exited and its
	// group has been killed; on Linux that is before the app is reaped, so
	// the id cannot have been reused yet. Under [Spec.Debug] they are also
	// called for the app Delve starts, which leads a group of its own
	// (OnExit once it has been killed; Delve reaps it). A process watchdog
	// uses them to kill what would outlive a killed daemon.
	OnStart, OnExit func(pgid int)
}

// Process is a running (or exited) app started by [Start]. Its methods are
// safe for concurrent use.
type Process struct {
	spec    Spec
	pid     int
	proc    *os.Process
	exited  chan struct{} // closed by supervise when the app has exited and its output is drained
	exitErr error         // written by supervise before exited is closed
	readers sync.WaitGroup

	mu     sync.Mutex // guards reaped; held while signalling so that a reaped pid is never signalled
	reaped bool

	outMu       sync.Mutex // serialises Output calls; guards tail, head and heardListen
	heardListen bool       // Delve's listen line was passed to listening
	tail        []string   // ring of the last TailLines lines
	head        int        // index of the oldest line once tail is full

	// Debug mode (Spec.Debug): debugAddr is set by Start; listening (set
	// before the readers start, never changed) gets Delve's listen
	// address; app is Delve's child, set by Start; appExit is the app's
	// exit error as Delve reported it, set before Delve is killed because
	// the app has gone.
	debugAddr  string
	listening  chan string
	appMu      sync.Mutex // guards app, appExit and appExitSet
	app        *appProc
	appExit    error
	appExitSet bool

	stopOnce     sync.Once
	stopDeadline time.Time // when Stop escalates to SIGKILL; set once
	stopErr      error     // error of sending StopSignal; set once
}

// Start starts the app described by spec and returns once it runs. The app is
// the leader of a new process group; on Linux it is killed when the daemon
// dies. It keeps running until it exits or [Process.Stop] is called.
func Start(spec Spec) (*Process, error) {
	if spec.StopSignal == 0 {
		spec.StopSignal = syscall.SIGTERM
	}
	if spec.KillTimeout <= 0 {
		spec.KillTimeout = DefaultKillTimeout
	}
	if spec.TailLines <= 0 {
		spec.TailLines = DefaultTailLines
	}
	cmd, bin, err := command(spec)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", spec.Name, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", spec.Name, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("run %s: %w", spec.Name, err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW

	p := &Process{spec: spec, exited: make(chan struct{})}
	if spec.Debug != nil {
		p.listening = make(chan string, 1)
	}
	p.readers.Add(2)
	go p.read(outR, false)
	go p.read(errR, true)
	started := make(chan error, 1)
	go p.supervise(cmd, started, outR, errR)
	err = <-started
	outW.Close()
	errW.Close()
	if err != nil {
		p.readers.Wait()
		return nil, fmt.Errorf("run %s: %w", spec.Name, err)
	}
	if spec.Debug != nil {
		if err := p.startDebug(bin); err != nil {
			p.kill()
			return nil, fmt.Errorf("run %s: %w", spec.Name, err)
		}
	}
	return p, nil
}

// command prepares the exec.Cmd for spec, through the activation shim when
// spec passes files, under Delve when spec asks to debug. It also returns
// the app's resolved path.
func command(spec Spec) (*exec.Cmd, string, error) {
	path, err := exec.LookPath(spec.Path)
	if err != nil {
		return nil, "", err
	}
	if path, err = filepath.Abs(path); err != nil {
		return nil, "", err
	}
	bin := path
	env := withoutListenVars(os.Environ())
	env = append(env, spec.Env...)
	args := spec.Args
	switch {
	case spec.Debug != nil && !debugSupported:
		return nil, "", fmt.Errorf("debug mode: %w on %s", errors.ErrUnsupported, runtime.GOOS)
	case spec.Debug != nil && len(spec.ExtraFiles) > 0:
		return nil, "", errNoSocketActivationUnderDlv
	case spec.Debug != nil:
		args = dlvArgs(spec.Debug, path, args)
		if path, err = exec.LookPath(spec.Debug.Dlv); err != nil {
			return nil, "", fmt.Errorf("%w (%w)", ErrDlvNotFound, err)
		}
	case len(spec.ExtraFiles) > 0:
		if path, args, err = shim(path, args); err != nil {
			return nil, "", err
		}
		env = append(env, "LISTEN_FDS="+strconv.Itoa(len(spec.ExtraFiles)))
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Dir = spec.Dir
	cmd.ExtraFiles = spec.ExtraFiles
	cmd.SysProcAttr = sysProcAttr()
	return cmd, bin, nil
}

// withoutListenVars drops the socket-activation variables the daemon may
// have been given itself: they describe the daemon's fds, not the app's.
func withoutListenVars(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// supervise starts cmd, reports the start error on started, and waits for
// the app to exit. It runs on a goroutine locked to its OS thread for the
// app's whole life, because the parent-death signal fires when the thread
// that forked exits (golang/go#27505), and the Go runtime ends threads whose
// locked goroutine exits.
func (p *Process) supervise(cmd *exec.Cmd, started chan<- error, outR, errR *os.File) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		started <- err
		return
	}
	p.pid, p.proc = cmd.Process.Pid, cmd.Process
	if p.spec.OnStart != nil {
		p.spec.OnStart(p.pid)
	}
	started <- nil

	// Once the app has exited, kill what it left in its group.
	var err error
	if waitExit(p.pid) {
		// Exited, not reaped: the pid still names the group and cannot be
		// reused, so signalling it is safe.
		p.mu.Lock()
		_ = signalGroup(p.proc, syscall.SIGKILL)
		p.exit()
		err = cmd.Wait()
		p.reaped = true
		p.mu.Unlock()
	} else {
		err = cmd.Wait()
		p.mu.Lock()
		p.reaped = true
		p.mu.Unlock()
		_ = signalGroup(p.proc, syscall.SIGKILL)
		p.exit()
	}
	if p.spec.Debug != nil {
		// Delve's child is in a group of its own: a killed Delve leaves it running.
		if a := p.knownApp(); a != nil {
			_ = a.signal(syscall.SIGKILL)
			if p.spec.OnExit != nil {
				p.spec.OnExit(a.pid)
			}
		}
		if known, exitErr := p.appStatus(); known {
			err = exitErr
		}
	}

	drained := make(chan struct{})
	go func() {
		p.readers.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(drainTimeout):
		// A process outside the group holds the pipes: stop reading.
		outR.Close()
		errR.Close()
		<-drained
	}
	if err != nil {
		p.exitErr = fmt.Errorf("run %s: %w", p.spec.Name, err)
	}
	close(p.exited)
}

// exit calls the OnExit hook.
func (p *Process) exit() {
	if p.spec.OnExit != nil {
		p.spec.OnExit(p.pid)
	}
}

// read passes the lines of one output stream to emit until the stream ends.
func (p *Process) read(r *os.File, stderr bool) {
	defer p.readers.Done()
	defer r.Close()
	br := bufio.NewReaderSize(&pacedReader{r: r}, maxLine)
	var line []byte
	for {
		chunk, more, err := br.ReadLine()
		if err != nil {
			if len(line) > 0 {
				p.emit(string(line), stderr)
			}
			return
		}
		line = append(line, chunk...)
		if more && len(line) < maxLine {
			continue
		}
		p.emit(string(line), stderr)
		line = line[:0]
	}
}

// readGap is the least time between two reads of an output stream. A line
// after a quiet spell is read at once; the lines of a chatty app (Gin logs
// every request) are read in batches, one wake-up of the daemon a batch
// rather than one a line.
const readGap = 2 * time.Millisecond

// pacedReader reads from r at most once per readGap.
type pacedReader struct {
	r    io.Reader
	next time.Time // the earliest time of the next read
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if d := time.Until(p.next); d > 0 {
		time.Sleep(d)
	}
	n, err := p.r.Read(b)
	p.next = time.Now().Add(readGap)
	return n, err
}

// emit records line in the tail and passes it to Output.
func (p *Process) emit(line string, stderr bool) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	if p.listening != nil && !p.heardListen && !stderr {
		if addr, ok := strings.CutPrefix(line, dlvListening); ok {
			p.listening <- strings.TrimSpace(addr) // buffered, sent once
			p.heardListen = true
		}
	}
	if len(p.tail) < p.spec.TailLines {
		p.tail = append(p.tail, line)
	} else {
		p.tail[p.head] = line
		p.head = (p.head + 1) % len(p.tail)
	}
	if p.spec.Output != nil {
		p.spec.Output(line, stderr)
	}
}

// PID returns the id of the process started, which is also its process
// group id: the app's, or under [Spec.Debug] Delve's (see [Process.AppPID]).
func (p *Process) PID() int { return p.pid }

// AppPID returns the app's process id: [Process.PID], or under
// [Spec.Debug] the id of Delve's child, which leads a process group of its
// own. Show this one to the user and pass it to [ListeningPorts].
func (p *Process) AppPID() int {
	if p.spec.Debug == nil {
		return p.pid
	}
	if a := p.knownApp(); a != nil {
		return a.pid
	}
	return 0
}

// Exited returns a channel that is closed when the app has exited, what it
// left in its process group has been killed, and its output is drained.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitErr returns how the app ended: nil for exit status 0, otherwise an
// error wrapping the *exec.ExitError. It returns nil while the app runs.
func (p *Process) ExitErr() error {
	select {
	case <-p.exited:
		return p.exitErr
	default:
		return nil
	}
}

// Tail returns the last output lines, stdout and stderr interleaved in the
// order they were read.
func (p *Process) Tail() []string {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	out := make([]string, 0, len(p.tail))
	out = append(out, p.tail[p.head:]...)
	return append(out, p.tail[:p.head]...)
}

// Stop stops the app: it sends StopSignal to the process group, waits up to
// KillTimeout for the app to exit, then SIGKILLs the group. It returns once
// the app has exited and its output is drained. Stop may be called any
// number of times, concurrently: all calls share the first call's deadline.
// The error reports a signal that could not be sent; [Process.ExitErr] tells
// how the app ended.
//
// Under [Spec.Debug] StopSignal goes to the app, which Delve lets through
// while the app runs; once the app has gone Delve is killed. An app halted
// in the debugger cannot take a signal, so it is killed at once, as is an
// app still running at the deadline, and Delve with it. Delve is never sent
// SIGTERM: with a client attached it ignores it.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		p.stopDeadline = time.Now().Add(p.spec.KillTimeout)
		if p.spec.Debug != nil {
			p.stopErr = p.stopDebug()
			return
		}
		if err := p.signal(p.spec.StopSignal); err != nil {
			p.stopErr = fmt.Errorf("run %s: stop: %w", p.spec.Name, err)
		}
	})
	t := time.NewTimer(time.Until(p.stopDeadline))
	defer t.Stop()
	select {
	case <-p.exited:
		return p.stopErr
	case <-t.C:
	}
	if err := p.kill(); err != nil {
		return fmt.Errorf("run %s: kill: %w", p.spec.Name, err)
	}
	<-p.exited
	return p.stopErr
}

// kill SIGKILLs the process group, and under Delve the app's group first,
// and waits until the process has exited.
func (p *Process) kill() error {
	var errs []error
	if a := p.knownApp(); a != nil {
		errs = append(errs, a.signal(syscall.SIGKILL))
	}
	errs = append(errs, p.signal(syscall.SIGKILL))
	<-p.exited
	return errors.Join(errs...)
}

// signal sends sig to the app's process group unless the app is reaped.
func (p *Process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return nil
	}
	err := signalGroup(p.proc, sig)
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}
