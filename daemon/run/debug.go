package run

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Delve versions: DlvInstall is the command that installs the version
// ginhotd is tested with; FindDlv refuses versions older than MinDlvVersion.
const (
	DlvInstall    = "go install github.com/go-delve/delve/cmd/dlv@v1.27.2"
	MinDlvVersion = "1.24.0"
)

// DefaultDebugStartTimeout bounds how long [Start] waits for Delve to
// listen when [DebugSpec.StartTimeout] is 0.
const DefaultDebugStartTimeout = 30 * time.Second

// ErrDlvNotFound reports that no dlv binary was found; its message ends
// with the [DlvInstall] line.
var ErrDlvNotFound = errors.New("run: dlv (Delve) not found in PATH, GOBIN or GOPATH/bin; install it with: " + DlvInstall)

// DebugSpec starts a version under Delve (see [Spec.Debug]).
type DebugSpec struct {
	Dlv  string // the dlv binary, as returned by [FindDlv]
	Addr string // where Delve listens; "" = "127.0.0.1:0", a port Delve picks (see [Process.DebugAddr])
	// Wait starts the app halted at its entry point (no --continue), so
	// that a client can set breakpoints in main and init before it runs.
	Wait bool
	// StartTimeout bounds the wait for Delve to listen; 0 = DefaultDebugStartTimeout.
	StartTimeout time.Duration
}

// dlvListening is the start of the line Delve prints once it listens.
const dlvListening = "API server listening at: "

// dlvArgs returns the dlv command line that runs bin with args.
func dlvArgs(d *DebugSpec, bin string, args []string) []string {
	addr := d.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	a := []string{"exec", "--headless", "--accept-multiclient", "--api-version=2", "--listen=" + addr}
	if !d.Wait {
		a = append(a, "--continue")
	}
	a = append(a, bin, "--")
	return append(a, args...)
}

// FindDlv returns the path of the dlv binary: from PATH, else from $GOBIN,
// each $GOPATH/bin, or ~/go/bin. When there is none, the error wraps
// [ErrDlvNotFound]; when it is older than [MinDlvVersion] (as `dlv version`
// tells), the error names both versions and the [DlvInstall] line.
func FindDlv(ctx context.Context) (string, error) {
	path, err := lookDlv()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "version").Output()
	if err != nil {
		return "", fmt.Errorf("run: %s version: %w; reinstall it with: %s", path, err, DlvInstall)
	}
	v := dlvVersion(string(out))
	if v == "" {
		return "", fmt.Errorf("run: %s version printed no version; reinstall it with: %s", path, DlvInstall)
	}
	if versionLess(v, MinDlvVersion) {
		return "", fmt.Errorf("run: %s is Delve %s, debug mode needs %s or newer; update it with: %s", path, v, MinDlvVersion, DlvInstall)
	}
	return path, nil
}

// lookDlv finds a dlv executable.
func lookDlv() (string, error) {
	if p, err := exec.LookPath("dlv"); err == nil {
		return filepath.Abs(p)
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, gp := range filepath.SplitList(os.Getenv("GOPATH")) {
		if gp != "" {
			dirs = append(dirs, filepath.Join(gp, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "dlv")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", ErrDlvNotFound
}

// dlvVersion extracts "1.27.2" from the output of `dlv version`.
func dlvVersion(out string) string {
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Version:"); ok {
			return strings.TrimPrefix(strings.TrimSpace(v), "v")
		}
	}
	return ""
}

// versionLess compares dotted versions numerically; a part that is not a
// number (a pre-release suffix) counts as its leading digits.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x = leadingInt(pa[i])
		}
		if i < len(pb) {
			y = leadingInt(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// leadingInt parses the leading digits of s; 0 if there are none.
func leadingInt(s string) int {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// DebugState is what Delve says about a version started with [Spec.Debug].
type DebugState struct {
	// Clients counts the connections to Delve's port (DAP or JSON-RPC
	// clients such as an editor), ginhotd's own probes left out.
	Clients int
	// Stopped: the app is halted at a breakpoint, paused by a client, or
	// held by an attach that has not sent configurationDone yet.
	Stopped bool
	// Exited: the app has exited while Delve still runs.
	Exited bool
}

// Busy reports whether a user is debugging the version: a client is
// attached and the app is halted. Retiring such a version would kill the
// program under the user's eyes, with the requests held at the breakpoint.
func (s DebugState) Busy() bool { return s.Clients > 0 && s.Stopped && !s.Exited }

// DebugAddr returns the address Delve listens on (DAP and JSON-RPC), e.g.
// "127.0.0.1:40123"; "" when the process was not started with [Spec.Debug].
func (p *Process) DebugAddr() string { return p.debugAddr }

// DebugState asks Delve, on a connection of its own, whether the app is
// halted, and counts the clients connected to it. It works while an editor
// is attached over DAP (Delve runs with --accept-multiclient).
func (p *Process) DebugState(ctx context.Context) (DebugState, error) {
	if p.debugAddr == "" {
		return DebugState{}, fmt.Errorf("run %s: debug state: not started under Delve", p.spec.Name)
	}
	clients, err := connectedClients(p.pid, p.debugAddr)
	if err != nil {
		return DebugState{}, fmt.Errorf("run %s: debug state: %w", p.spec.Name, err)
	}
	var st struct {
		State struct {
			Running bool
			Exited  bool
		}
	}
	if err := dlvCall(ctx, p.debugAddr, "RPCServer.State", map[string]any{"NonBlocking": true}, &st); err != nil {
		if strings.Contains(err.Error(), "has exited with status") {
			return DebugState{Clients: clients, Exited: true}, nil
		}
		return DebugState{}, fmt.Errorf("run %s: debug state: %w", p.spec.Name, err)
	}
	return DebugState{Clients: clients, Stopped: !st.State.Running && !st.State.Exited, Exited: st.State.Exited}, nil
}

// dlvCall makes one JSON-RPC 1.0 call (Go's net/rpc/jsonrpc, which Delve's
// API v2 speaks) on a fresh connection to addr.
func dlvCall(ctx context.Context, addr, method string, arg, reply any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	req := map[string]any{"method": method, "params": []any{arg}, "id": 1}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  any             `json:"error"`
	}
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&resp); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: %v", method, resp.Error)
	}
	if reply == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Result, reply); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// errNoSocketActivationUnderDlv: Delve passes no extra files to the app.
var errNoSocketActivationUnderDlv = errors.New("debug mode cannot pass activated sockets: Delve gives the app no extra files; use the proxy")

// stopSignalApp sends the stop signal to the app under Delve, which passes
// it on to the app when the app runs (a halted app gets it on continue).
func (p *Process) stopSignalApp(sig syscall.Signal) error {
	a := p.knownApp()
	if a == nil {
		return nil
	}
	return a.signal(sig)
}

// startDebug waits until Delve listens and its child runs bin, and starts
// watching the app. Called by Start before it returns p.
func (p *Process) startDebug(bin string) error {
	timeout := p.spec.Debug.StartTimeout
	if timeout <= 0 {
		timeout = DefaultDebugStartTimeout
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	failed := func(what string) error {
		if tail := strings.TrimSpace(strings.Join(p.Tail(), "\n")); tail != "" {
			what += ":\n" + tail
		}
		return errors.New(what)
	}
	select {
	case addr := <-p.listening:
		p.debugAddr = addr
	case <-p.exited:
		return failed("dlv exited before it listened")
	case <-deadline.C:
		return failed(fmt.Sprintf("dlv did not listen within %v", timeout))
	}
	b := Backoff{Min: pollMin, Max: pollMax}
	for {
		if a := findApp(p.pid, bin); a != nil {
			p.appMu.Lock()
			p.app = a
			p.appMu.Unlock()
			if p.spec.OnStart != nil {
				// The app leads a group of its own, which a watchdog must
				// kill too should the daemon (and so Delve) be killed.
				p.spec.OnStart(a.pid)
			}
			go p.watchApp(a)
			return nil
		}
		select {
		case <-p.exited:
			return failed("dlv exited before it started the app")
		case <-deadline.C:
			return failed(fmt.Sprintf("dlv did not start the app within %v", timeout))
		case <-time.After(b.Next()):
		}
	}
}

// knownApp returns the app Delve started, once Start has found it.
func (p *Process) knownApp() *appProc {
	p.appMu.Lock()
	defer p.appMu.Unlock()
	return p.app
}

// appStatus reports whether Delve told how the app ended, and how.
func (p *Process) appStatus() (known bool, exitErr error) {
	p.appMu.Lock()
	defer p.appMu.Unlock()
	return p.appExitSet, p.appExit
}

// watchApp waits for the app to end (exit, crash, Stop), asks Delve for its
// exit status, and kills Delve, which would otherwise wait for clients
// forever (--accept-multiclient), so that [Process.Exited] means the app
// has gone in debug mode too.
func (p *Process) watchApp(a *appProc) {
	a.waitGone(p.exited)
	select {
	case <-p.exited:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	err := dlvCall(ctx, p.debugAddr, "RPCServer.State", map[string]any{"NonBlocking": true}, nil)
	cancel()
	if err != nil {
		if _, status, ok := strings.Cut(err.Error(), "has exited with status "); ok {
			p.appMu.Lock()
			p.appExitSet = true
			if code := leadingInt(status); code != 0 {
				p.appExit = fmt.Errorf("exit status %d", code)
			}
			p.appMu.Unlock()
		}
	}
	_ = p.signal(syscall.SIGKILL)
}

// stopDebug is the first step of Stop under Delve: StopSignal to a running
// app; an app halted in the debugger is killed with Delve at once.
func (p *Process) stopDebug() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	st, err := p.DebugState(ctx)
	cancel()
	if err == nil && st.Stopped {
		return p.kill()
	}
	if err := p.stopSignalApp(p.spec.StopSignal); err != nil {
		return fmt.Errorf("run %s: stop: %w", p.spec.Name, err)
	}
	return nil
}
