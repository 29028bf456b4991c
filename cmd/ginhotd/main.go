// Command ginhotd is a reload daemon for Go web apps built on Gin: it
// rebuilds and swaps the app when a saved file reaches its main package, and
// speaks LSP to editors.
//
//	ginhotd run [flags] [DIR]                 watch, rebuild and serve DIR (default .)
//	ginhotd graph [--explain PATH] [DIR]      print the targets, or explain a decision
//	ginhotd init [--from FILE] [--force] [DIR] write a commented ginhot.toml
//	ginhotd --stdio [flags]                   serve LSP on stdin/stdout
//	ginhotd --listen unix:PATH [flags]        serve LSP on a unix socket
//	ginhotd --listen HOST:PORT [flags]        serve LSP over TCP
//	ginhotd version
//
// This file parses flags and wires packages together; it holds no logic.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/lsp"
	"github.com/ginhotd/ginhotd/daemon/session"
	ghterm "github.com/ginhotd/ginhotd/daemon/term"
)

const usage = `ginhotd — rebuilds and swaps your Gin app only when a change reaches it.

Usage:
  ginhotd run [flags] [DIR]               watch DIR (default .), rebuild and serve
  ginhotd graph [--explain PATH] [DIR]    print the targets, or why PATH would (not) rebuild
  ginhotd init [--from FILE] [--force] [DIR]
                                          write a commented ginhot.toml for DIR's module,
                                          converting .air.toml (or FILE) when there is one
  ginhotd --stdio [flags]                 serve LSP over stdin/stdout (editors)
  ginhotd --listen unix:PATH [flags]      serve LSP on a unix socket only you can open (recommended)
  ginhotd --listen HOST:PORT [flags]      serve LSP over TCP (loopback unless --allow-remote; see README, Trust model)
  ginhotd version

Flags (each is also a ginhot.toml key, with - written as _):
`

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// flags holds the parsed command line.
type flags struct {
	fs        *flag.FlagSet
	config    string
	explain   string
	from      string
	force     bool
	stdio     bool
	listen    string
	remote    bool
	targets   []string
	pathMap   map[string]any
	overrides map[string]any
}

func newFlags(stderr io.Writer) *flags {
	f := &flags{fs: flag.NewFlagSet("ginhotd", flag.ContinueOnError), overrides: map[string]any{}, pathMap: map[string]any{}}
	fs := f.fs
	fs.SetOutput(stderr)
	d := config.Default()
	fs.StringVar(&f.config, "config", "", "config file (default DIR/ginhot.toml, else .air.toml in DIR or above it up to the repository root)")
	fs.StringVar(&f.explain, "explain", "", "graph: explain what a change to this path does")
	fs.StringVar(&f.from, "from", "", "init: the air config to convert (default DIR/.air.toml if present)")
	fs.BoolVar(&f.force, "force", false, "init: overwrite an existing ginhot.toml")
	fs.BoolVar(&f.stdio, "stdio", false, "serve LSP on stdin/stdout")
	fs.StringVar(&f.listen, "listen", "", "serve LSP on unix:PATH (a socket only you can open) or over TCP on HOST:PORT")
	fs.BoolVar(&f.remote, "allow-remote", false, "let --listen bind a non-loopback address")
	fs.Func("target", help("target"), func(s string) error {
		f.targets = append(f.targets, s)
		return nil
	})
	fs.Func("path-map", help("path-map"), func(s string) error {
		e, d, ok := strings.Cut(s, "=")
		if !ok || e == "" || d == "" {
			return fmt.Errorf("want EDITOR=DAEMON, like /Users/me/app=/app")
		}
		f.pathMap[e] = d
		return nil
	})
	fs.String("addr", d.Addr, help("addr"))
	fs.Duration("debounce", d.Debounce.D(), help("debounce"))
	fs.String("poll", d.Poll, help("poll"))
	fs.Bool("no-proxy", false, help("no-proxy"))
	fs.Bool("socket-activation", false, help("socket-activation"))
	fs.Bool("live-reload", d.LiveReload, help("live-reload"))
	fs.Bool("strip", d.Strip, help("strip"))
	fs.String("speculate", d.Speculate, help("speculate"))
	fs.Bool("debug", d.Debug, help("debug"))
	fs.Bool("debug-wait", d.DebugWait, help("debug-wait"))
	fs.Duration("kill-timeout", d.KillTimeout.D(), help("kill-timeout"))
	fs.Duration("start-timeout", d.StartTimeout.D(), help("start-timeout"))
	fs.String("stop-signal", d.StopSignal, help("stop-signal"))
	fs.String("diagnostics", d.Diagnostics, help("diagnostics"))
	fs.String("log-format", d.LogFormat, help("log-format"))
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return f
}

// help returns the help of the flag name that sets a ginhot.toml key, as
// the doc of its field in config.Config says.
func help(name string) string {
	u, ok := config.FlagUsage(name)
	if !ok {
		panic("ginhotd: flag --" + name + " sets no ginhot.toml key (give its field in config.Config the tag flag:\"" + name + "\")")
	}
	return u
}

// flagError says what is wrong with the command line: for a flag that does
// not exist, the one that was probably meant ("--log" → "--log-format").
func (f *flags) flagError(err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return err.Error() + " (ginhotd -h lists the flags)"
	}
	name = strings.TrimLeft(name, "-")
	if m := f.closest(name); m != "" {
		return fmt.Sprintf("unknown flag --%s: did you mean --%s?", name, m)
	}
	return fmt.Sprintf("unknown flag --%s (ginhotd -h lists the flags)", name)
}

// closest returns the flag a mistyped name most likely means: the only one
// it begins (--log for --log-format) or that begins it, else the only one
// within two edits; "" when there is no single such flag.
func (f *flags) closest(name string) string {
	var prefix, near []string
	f.fs.VisitAll(func(fl *flag.Flag) {
		switch {
		case strings.HasPrefix(fl.Name, name) || strings.HasPrefix(name, fl.Name):
			prefix = append(prefix, fl.Name)
		case editDistance(name, fl.Name) <= 2:
			near = append(near, fl.Name)
		}
	})
	switch {
	case len(prefix) == 1:
		return prefix[0]
	case len(prefix) == 0 && len(near) == 1:
		return near[0]
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// parse parses args, allowing flags after positional arguments, and
// collects the flags that were set as config overrides.
func (f *flags) parse(args []string) ([]string, error) {
	// The flag package prints an error and the usage itself; the caller
	// says what is wrong instead (see flagError).
	out := f.fs.Output()
	f.fs.SetOutput(io.Discard)
	defer f.fs.SetOutput(out)
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, err
		}
		args = f.fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "config", "explain", "from", "force", "stdio", "listen", "allow-remote":
		case "target":
			f.overrides["targets"] = f.targets
		case "path-map":
			f.overrides["path_map"] = f.pathMap
		case "no-proxy":
			f.overrides["proxy"] = fl.Value.String() != "true"
		default:
			g, ok := fl.Value.(flag.Getter)
			if !ok {
				return
			}
			v := g.Get()
			if _, isDur := v.(interface{ Hours() float64 }); isDur {
				v = fl.Value.String()
			}
			f.overrides[strings.ReplaceAll(fl.Name, "-", "_")] = v
		}
	})
	return pos, nil
}

func realMain(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	f := newFlags(stderr)
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	pos, err := f.parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.fs.Usage()
			return 0
		}
		fmt.Fprintln(stderr, "ginhotd:", f.flagError(err))
		return 2
	}
	// SIGHUP is the terminal going away (its window closed): stop as for
	// Ctrl-C, so that the app shuts down gracefully and the run directory
	// is removed, instead of dying by the signal.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	switch {
	case f.stdio || f.listen != "":
		return serveLSP(ctx, f, stdin, stdout, stderr)
	case cmd == "version":
		fmt.Fprintln(stdout, "ginhotd", lsp.Version())
		return 0
	case cmd == "run":
		return runCmd(ctx, f, dirArg(pos), stdin, stdout, stderr)
	case cmd == "graph":
		return graphCmd(ctx, f, dirArg(pos), stdout, stderr)
	case cmd == "init":
		return initCmd(ctx, f, dirArg(pos), stdout, stderr)
	case cmd == "":
		f.fs.Usage()
		return 2
	}
	fmt.Fprintf(stderr, "ginhotd: unknown command %q (run, graph, init, version, --stdio, --listen)\n", cmd)
	return 2
}

func dirArg(pos []string) string {
	if len(pos) > 0 {
		return pos[0]
	}
	return "."
}

func runCmd(ctx context.Context, f *flags, dir string, stdin *os.File, stdout, stderr io.Writer) int {
	cfg, err := config.Load(dir, f.config, f.overrides)
	if err != nil {
		fmt.Fprintln(stderr, "ginhotd:", err)
		return 1
	}
	printNotices(stderr, cfg)
	if why := config.DetectContainer(); cfg.ForContainer(why) {
		fmt.Fprintf(stderr, "ginhotd: in a container (%s): listening on %s, so that a published port reaches the app; --addr 127.0.0.1:8080 keeps it on loopback\n", why, cfg.Addr)
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	out, isFile := stdout.(*os.File)
	live := isFile && term.IsTerminal(int(out.Fd()))
	width := 0
	if live {
		width, _, _ = term.GetSize(int(out.Fd()))
	}
	p := ghterm.New(ghterm.Options{
		Out:    stdout,
		Err:    stderr,
		JSON:   cfg.LogFormat == "json",
		Color:  !noColor && live,
		Root:   cfg.Dir,
		Named:  cfg.Named,
		Prefix: true,
		Live:   live,
		Width:  width,
	})
	defer p.Flush()
	s := session.New(cfg, p)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if term.IsTerminal(int(stdin.Fd())) && cfg.LogFormat == "text" {
		keys, restore := ghterm.Keys(ctx, stdin)
		defer restore()
		go func() {
			for k := range keys {
				switch k {
				case 'r':
					_ = s.Do(session.CmdRestart, "")
				case 'b':
					_ = s.Do(session.CmdRebuild, "")
				case 'q':
					cancel()
				}
			}
		}()
		fmt.Fprintln(stderr, "keys: r restart · b rebuild · q quit")
	}
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "ginhotd:", err)
		return 1
	}
	return 0
}

func graphCmd(ctx context.Context, f *flags, dir string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(dir, f.config, f.overrides)
	if err != nil {
		fmt.Fprintln(stderr, "ginhotd:", err)
		return 1
	}
	g, err := analysis.Load(ctx, session.AnalysisOptions(cfg))
	if err != nil {
		fmt.Fprintln(stderr, "ginhotd:", err)
		return 1
	}
	if n := g.Notice(); n != "" {
		fmt.Fprintln(stderr, "ginhotd:", n)
	}
	if f.explain != "" {
		fmt.Fprintln(stdout, g.Explain(cfg.Real(absPath(f.explain))))
		return 0
	}
	fmt.Fprintln(stdout, "targets:")
	for _, t := range g.Targets() {
		fmt.Fprintf(stdout, "  %s\t%s\n", t.Name, t.Path)
	}
	fmt.Fprintln(stdout, "watched roots:")
	for _, r := range g.Roots() {
		fmt.Fprintf(stdout, "  %s\n", r)
	}
	return 0
}

// printNotices prints what became of an .air.toml: each warning, and one
// line counting the keys that were mapped or are not needed.
func printNotices(w io.Writer, cfg config.Config) {
	if len(cfg.Notices) == 0 {
		return
	}
	var mapped, notNeeded int
	for _, n := range cfg.Notices {
		switch n.Kind {
		case config.Mapped:
			mapped++
		case config.NotNeeded:
			notNeeded++
		case config.Warning:
			fmt.Fprintln(w, "ginhotd: warning:", n)
		}
	}
	// Named from the module root; one above it (a repository's) by its
	// whole path, so that the hint works from any directory.
	shown, from := cfg.File, cfg.File
	if r, err := filepath.Rel(cfg.Dir, cfg.File); err == nil && !strings.HasPrefix(r, "..") {
		shown, from = r, r
	} else if err == nil {
		shown = r
	}
	fmt.Fprintf(w, "ginhotd: read %s: keys: %d mapped, %d not needed (ginhotd init --from %s shows each)\n",
		shown, mapped, notNeeded, from)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
