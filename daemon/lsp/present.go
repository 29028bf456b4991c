package lsp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/session"
)

// StatusMethod is the method of the notification that carries a
// session.Status, with its labels, to the client on every change.
const StatusMethod = "ginhot/status"

// maxOutside bounds the lines of a window/showMessage about errors outside
// the workspace folder.
const maxOutside = 5

// presenter is the [session.Notifier] of one workspace folder: it turns the
// session's events into LSP notifications on the outbox.
//
// Notify is called by one goroutine at a time; the fields below logs are
// owned by whichever goroutine that is (and by close and clear, which run
// after the session has returned).
type presenter struct {
	out      *outbox
	root     root
	token    func() (string, bool) // a new progress token, if the client supports progress
	logs     *logBatch
	diags    map[uri.URI]string   // published diagnostics by URI, encoded for comparison
	outside  string               // last errors shown for files outside the folder
	progress map[string]*progress // open build progress by target name
	// complement is the diagnostics = "complement" setting; set before
	// the session starts.
	complement bool
	status     session.Status // the last status
	paths      pathMap        // path_map: how the editor spells the daemon's paths
}

// progress is one $/progress token. ok and pct are set and read only on
// the outbox goroutine: ok says whether the client accepted the token.
type progress struct {
	token string
	ok    bool
	pct   uint32 // the highest percentage reported: reports never go back
}

func newPresenter(out *outbox, r root, token func() (string, bool), paths pathMap) *presenter {
	return &presenter{
		paths:    paths,
		out:      out,
		root:     r,
		token:    token,
		logs:     newLogBatch(out),
		diags:    map[uri.URI]string{},
		progress: map[string]*progress{},
	}
}

// Notify implements [session.Notifier].
func (p *presenter) Notify(e session.Event) {
	switch e.Kind {
	case session.KindStatus:
		if e.Status != nil {
			st := p.clientStatus(*e.Status)
			p.status = st
			p.logs.setFile(st.LogFile)
			l := labelled(p.paths.status(st))
			p.out.notify(StatusMethod, &l)
		}
	case session.KindLog:
		p.logs.add(protocol.MessageTypeLog, appLine(e))
	case session.KindDiagnostics:
		ds := e.Diagnostics
		if p.complement {
			ds = complement(ds, p.status, func(f string) bool { _, ok := p.root.contains(f); return ok })
		}
		p.publish(ds)
	case session.KindWarn:
		p.out.showMessage(protocol.MessageTypeWarning, "ginhotd: "+e.Message)
	case session.KindError:
		p.out.showMessage(protocol.MessageTypeError, "ginhotd: "+e.Message)
	case session.KindCrash:
		// A start-up failure the user must fix (wrong port, never listens)
		// carries a "start" diagnostic; its reason says how to fix it.
		for _, d := range e.Diagnostics {
			if d.Kind == build.KindStart {
				p.out.showMessage(protocol.MessageTypeWarning, "ginhotd: "+e.Reason)
				break
			}
		}
	case session.KindTargetAdded:
		p.out.showMessage(protocol.MessageTypeInfo, fmt.Sprintf("ginhotd: new target %s (%s), at %s", e.Target, e.Reason, e.URL))
	case session.KindTargetRemoved:
		p.out.showMessage(protocol.MessageTypeWarning, fmt.Sprintf("ginhotd: target %s stopped: %s", e.Target, e.Reason))
	case session.KindBuildStart:
		p.beginBuild(e)
	case session.KindProgress:
		p.reportBuild(e)
	case session.KindBuildOK, session.KindBuildFail:
		p.endBuild(e.Target, buildSummary(e))
	}
	if line := eventLine(e); line != "" {
		p.logs.add(protocol.MessageTypeInfo, line)
	}
}

// clientStatus returns st with its paths in the client's terms: the root
// as the client named it, and main files under it even when the session
// reports them under the root's real path.
func (p *presenter) clientStatus(st session.Status) session.Status {
	st.Root = p.root.path
	st.Targets = slices.Clone(st.Targets)
	for i, t := range st.Targets {
		if f, ok := p.root.contains(t.MainFile); ok {
			st.Targets[i].MainFile = f
		}
	}
	return st
}

// appLine is an app output line as window/logMessage shows it.
func appLine(e session.Event) string {
	if e.Target == "" {
		return e.Line
	}
	return "[" + e.Target + "] " + e.Line
}

// eventLine is the log line of a daemon event, "" for events that are not
// logged (app output, status and diagnostics have their own channels).
func eventLine(e session.Event) string {
	var b strings.Builder
	switch e.Kind {
	case session.KindLog, session.KindStatus, session.KindDiagnostics, session.KindWarn, session.KindError, session.KindProgress:
		return ""
	case session.KindBuildStart:
		fmt.Fprintf(&b, "building %s", e.Target)
	case session.KindBuildOK:
		if e.Reason != "" {
			fmt.Fprintf(&b, "%s: no build", e.Target) // the reason says why
			break
		}
		fmt.Fprintf(&b, "built %s in %dms", e.Target, e.MS)
	case session.KindPrepared:
		fmt.Fprintf(&b, "prepared %s in %dms from the unsaved buffers", e.Target, e.MS)
	case session.KindBuildFail:
		fmt.Fprintf(&b, "build of %s failed in %dms", e.Target, e.MS)
	case session.KindGenerateStart:
		fmt.Fprintf(&b, "generating: %s", e.Step)
	case session.KindGenerateOK:
		fmt.Fprintf(&b, "%s done in %dms", e.Step, e.MS)
	case session.KindGenerateFail:
		fmt.Fprintf(&b, "%s failed in %dms", e.Step, e.MS)
	case session.KindStart:
		fmt.Fprintf(&b, "started %s (pid %d)", e.Target, e.PID)
	case session.KindReady:
		fmt.Fprintf(&b, "%s ready: generation %d, pid %d, %dms", e.Target, e.Generation, e.PID, e.MS)
		if e.Debug != "" {
			fmt.Fprintf(&b, ", debugger at %s", e.Debug)
		}
	case session.KindStop:
		fmt.Fprintf(&b, "stopped %s (pid %d)", e.Target, e.PID)
	case session.KindCrash:
		fmt.Fprintf(&b, "%s exited (pid %d)", e.Target, e.PID)
	default:
		b.WriteString(string(e.Kind))
		if e.Target != "" {
			fmt.Fprintf(&b, " %s", e.Target)
		}
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	if e.Cause != "" {
		fmt.Fprintf(&b, " (%s)", e.Cause)
	}
	return "ginhotd: " + strings.TrimSpace(b.String())
}

func buildSummary(e session.Event) string {
	if e.Kind == session.KindBuildOK {
		return fmt.Sprintf("built in %dms", e.MS)
	}
	return "build failed"
}

// beginBuild opens a progress for the target's build when the client
// supports work-done progress.
func (p *presenter) beginBuild(e session.Event) {
	p.endBuild(e.Target, "superseded")
	token, ok := p.token()
	if !ok {
		return
	}
	pr := &progress{token: token}
	p.progress[e.Target] = pr
	title := "ginhotd: building " + e.Target
	message := e.Cause
	p.out.push(func(ctx context.Context) {
		if p.out.noProgress {
			return
		}
		tok := protocol.NewProgressToken(pr.token)
		if err := p.out.call(ctx, "window/workDoneProgress/create", &protocol.WorkDoneProgressCreateParams{Token: *tok}); err != nil {
			p.out.logf("lsp: window/workDoneProgress/create: %v", err)
			// A client that does not answer would hold every later
			// message for clientCallTimeout: stop asking.
			p.out.noProgress = errors.Is(err, context.DeadlineExceeded)
			return
		}
		pr.ok = true
		p.out.send(ctx, "$/progress", &protocol.ProgressParams{
			Token: *tok,
			Value: &protocol.WorkDoneProgressBegin{Kind: protocol.WorkDoneProgressKindBegin, Title: title, Message: message},
		})
	})
}

// reportBuild reports a progress event on the target's open progress, if
// any. Compiles carry a percentage of the total (an upper bound, so the
// bar may end short of 100%); downloads only a message, since the
// percentage of a token must not go back when the compiles begin.
func (p *presenter) reportBuild(e session.Event) {
	pr := p.progress[e.Target]
	if pr == nil {
		return
	}
	var pct uint32
	if e.Phase == string(build.PhaseCompile) && e.Total > 0 {
		pct = uint32(min(e.Done*100/e.Total, 99))
	}
	message := progressMessage(e)
	p.out.push(func(ctx context.Context) {
		if !pr.ok {
			return
		}
		pr.pct = max(pr.pct, pct)
		p.out.send(ctx, "$/progress", &protocol.ProgressParams{
			Token: *protocol.NewProgressToken(pr.token),
			Value: &protocol.WorkDoneProgressReport{Kind: protocol.WorkDoneProgressKindReport, Message: message, Percentage: pr.pct},
		})
	})
}

// progressMessage is the message of a progress report:
//
//	compiled 37 of at most 112 packages: github.com/gin-gonic/gin
//	downloading module 3 of at most 40: github.com/gin-gonic/gin v1.10.0
func progressMessage(e session.Event) string {
	var text string
	switch {
	case e.Phase == string(build.PhaseDownload) && e.Total > 0:
		text = fmt.Sprintf("downloading module %d of at most %d", e.Done, e.Total)
	case e.Phase == string(build.PhaseDownload):
		text = fmt.Sprintf("downloading module %d", e.Done)
	case e.Total > 0:
		text = fmt.Sprintf("compiled %d of at most %d packages", e.Done, e.Total)
	default:
		text = fmt.Sprintf("compiled %d packages", e.Done)
	}
	if e.What != "" {
		text += ": " + e.What
	}
	return text
}

// endBuild ends the target's open progress, if any.
func (p *presenter) endBuild(target, message string) {
	pr := p.progress[target]
	if pr == nil {
		return
	}
	delete(p.progress, target)
	p.out.push(func(ctx context.Context) {
		if !pr.ok {
			return
		}
		p.out.send(ctx, "$/progress", &protocol.ProgressParams{
			Token: *protocol.NewProgressToken(pr.token),
			Value: &protocol.WorkDoneProgressEnd{Kind: protocol.WorkDoneProgressKindEnd, Message: message},
		})
	})
}

// publish sends the complete current set of diagnostics: every URI that has
// some, and the empty list for every URI that had some before. Unchanged
// URIs are not sent again. Diagnostics on files outside the workspace folder
// (the module cache, GOROOT) or on no file at all (link errors) go to
// window/showMessage instead.
func (p *presenter) publish(ds []build.Diagnostic) {
	byURI := map[uri.URI][]protocol.Diagnostic{}
	var outside []string
	lines := map[string][][]byte{}
	for _, d := range ds {
		path, ok := "", false
		if d.File != "" {
			path, ok = p.root.contains(d.File)
		}
		if !ok {
			outside = append(outside, d.String())
			continue
		}
		u := p.paths.outURI(path)
		byURI[u] = append(byURI[u], toDiagnostic(d, lines))
	}
	next := map[uri.URI]string{}
	for _, u := range slices.Sorted(maps.Keys(byURI)) {
		key := fmt.Sprint(byURI[u])
		next[u] = key
		if p.diags[u] != key {
			p.out.notify("textDocument/publishDiagnostics", &protocol.PublishDiagnosticsParams{URI: u, Diagnostics: byURI[u]})
		}
	}
	for _, u := range slices.Sorted(maps.Keys(p.diags)) {
		if _, ok := next[u]; !ok {
			p.out.notify("textDocument/publishDiagnostics", &protocol.PublishDiagnosticsParams{URI: u, Diagnostics: []protocol.Diagnostic{}})
		}
	}
	p.diags = next

	text := strings.Join(outside, "\n")
	if text == p.outside {
		return
	}
	p.outside = text
	if len(outside) > 0 {
		msg := "ginhotd: build errors outside " + p.root.path + ":\n" + strings.Join(outside[:min(len(outside), maxOutside)], "\n")
		if len(outside) > maxOutside {
			msg += fmt.Sprintf("\n… and %d more (see the log)", len(outside)-maxOutside)
		}
		p.out.showMessage(protocol.MessageTypeError, msg)
	}
}

// toDiagnostic converts a build diagnostic: 1-based line and byte column to
// LSP's 0-based line and UTF-16 character. lines caches file contents.
func toDiagnostic(d build.Diagnostic, lines map[string][][]byte) protocol.Diagnostic {
	line := max(d.Line-1, 0)
	char := 0
	if d.Col > 1 {
		char = d.Col - 1
		ls, ok := lines[d.File]
		if !ok {
			if b, err := os.ReadFile(d.File); err == nil {
				ls = bytes.Split(b, []byte("\n"))
			}
			lines[d.File] = ls
		}
		if line < len(ls) {
			char = utf16Len(ls[line], d.Col-1)
		}
	}
	pos := protocol.Position{Line: uint32(line), Character: uint32(char)}
	source := "go build"
	switch d.Kind {
	case build.KindPanic, build.KindStart, build.KindSummary:
		source = "ginhotd"
	}
	return protocol.Diagnostic{
		Range:    protocol.Range{Start: pos, End: pos},
		Severity: protocol.DiagnosticSeverityError,
		Source:   source,
		Message:  d.Message,
	}
}

// utf16Len returns the length in UTF-16 code units of the first n bytes of
// line (n is capped at the line's length).
func utf16Len(line []byte, n int) int {
	line = line[:min(n, len(line))]
	units := 0
	for len(line) > 0 {
		r, size := utf8.DecodeRune(line)
		line = line[size:]
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
	}
	return units
}

// close ends what the session left open: buffered log lines and progress.
// It runs after the session's Run has returned.
func (p *presenter) close() {
	for target := range p.progress {
		p.endBuild(target, "stopped")
	}
	p.logs.close()
}

// clear withdraws every diagnostic the folder published; for a folder
// removed from the workspace.
func (p *presenter) clear() {
	p.publish(nil)
}
