//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The editor rows: how a user types in an editor attached over LSP.
const (
	saveKeyGap   = 80 * time.Millisecond  // editor save: keystrokes of the one-line edit
	typingKeyGap = 120 * time.Millisecond // typing row
	editorPause  = time.Second            // the pause before the save, and the typing row's pauses
	typingKeys   = 40
	pollEvery    = 5 * time.Millisecond // save → answer polling
	editorSlug   = "editor"
)

// typingGroups splits the typing row's keystrokes around its two pauses.
var typingGroups = []int{14, 13, 13}

// editorParts are the parts run on one ginhotd --stdio.
var editorParts = []string{"editor-save", "editor-undo", "editor-template", "editor-typing"}

// editor is ginhotd --stdio on its own copy of examples/shop.
type editor struct {
	*instance
	lsp   *lspClient
	stdin *os.File
}

// startEditor starts ginhotd --stdio in dir, initializes it with dir as the
// root and a free port as addr, and waits until the app answers want.
func (b *bench) startEditor(dir, want string) (*editor, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	logDir := filepath.Join(b.work, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("editor: %w", err)
	}
	in := &instance{
		spec:   toolSpec{Name: "ginhotd --stdio", Slug: editorSlug},
		dir:    dir,
		url:    fmt.Sprintf("http://127.0.0.1:%d", port),
		builds: buildLog{path: filepath.Join(logDir, editorSlug+".builds")},
		b:      b,
		client: newClient(time.Second),
	}
	if in.logFile, err = os.Create(filepath.Join(logDir, editorSlug+".log")); err != nil {
		return nil, 0, fmt.Errorf("editor: %w", err)
	}
	raw, err := os.Create(filepath.Join(logDir, editorSlug+".events.jsonl"))
	if err != nil {
		return nil, 0, fmt.Errorf("editor: %w", err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, 0, fmt.Errorf("editor: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, 0, fmt.Errorf("editor: %w", err)
	}
	c := exec.Command(b.ginhotd, "--stdio")
	c.Dir = dir
	c.Env = b.toolEnv(in.builds.path)
	c.Stdin, c.Stdout, c.Stderr = inR, outW, in.logFile
	t0 := time.Now()
	err = b.procs.start(c)
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, 0, err
	}
	in.pid = c.Process.Pid
	e := &editor{instance: in, lsp: newLSPClient(outR, inW, raw), stdin: inW}
	params := map[string]any{
		"processId":             os.Getpid(),
		"rootUri":               fileURI(dir),
		"capabilities":          map[string]any{},
		"initializationOptions": map[string]any{"addr": fmt.Sprintf("127.0.0.1:%d", port)},
	}
	if _, err := e.lsp.call(b.ctx, "initialize", params, 30*time.Second); err != nil {
		return e, time.Since(t0), fmt.Errorf("editor: %w", err)
	}
	if err := e.lsp.notify("initialized", map[string]any{}); err != nil {
		return e, time.Since(t0), fmt.Errorf("editor: %w", err)
	}
	d, ok := waitBody(b.ctx, newClient(time.Second), in.url+"/version", equals(want), t0, readyTimeout)
	if !ok {
		return e, d, fmt.Errorf("editor: the app did not serve %q within %s: timeout", want, readyTimeout)
	}
	in.notePID()
	return e, d, nil
}

// stop ends the LSP session (shutdown, exit), then the process and its
// apps.
func (e *editor) stop() {
	if e == nil {
		return
	}
	if _, err := e.lsp.call(e.b.ctx, "shutdown", nil, 5*time.Second); err == nil {
		_ = e.lsp.notify("exit", nil)
	}
	e.stdin.Close()
	e.instance.stop()
}

// editor runs the editor parts of the plan on one ginhotd --stdio.
func (b *bench) editor() (r *EditorResult) {
	r = &EditorResult{}
	fail := func(err error) { r.Errors = append(r.Errors, err.Error()); logf("editor: %v", err) }
	dir := filepath.Join(b.work, editorSlug, "shop")
	if _, err := b.prepareShop(dir); err != nil {
		fail(err)
		return r
	}
	logf("editor: starting ginhotd --stdio")
	e, d, err := b.startEditor(dir, initialVer)
	defer func() {
		if e != nil {
			r.CPUTotalS, _ = cpuSeconds(e.pid)
			r.BuildsTotal = len(e.builds.read())
		}
		e.stop()
	}()
	r.StartupMS = ms(d)
	if err != nil {
		fail(err)
		return r
	}
	e.settle(settleQuiet, settleLimit)
	doc, err := e.lsp.open(filepath.Join(dir, versionPath), "go")
	if err != nil {
		fail(err)
		return r
	}
	runs := map[string]func(*editor, *document, *EditorResult) error{
		"editor-save":     b.editorSave,
		"editor-undo":     b.editorUndo,
		"editor-template": b.editorTemplate,
		"editor-typing":   b.editorTyping,
	}
	for _, part := range editorParts {
		if !b.plan.has(part) || b.ctx.Err() != nil {
			continue
		}
		logf("editor: %s", part)
		if err := runs[part](e, doc, r); err != nil {
			fail(fmt.Errorf("%s: %w", part, err))
		}
	}
	return r
}

// valueRange returns the byte range of the Version constant's value, inside
// its quotes.
func valueRange(text string) (int, int) {
	const lead = `Version = "`
	i := strings.Index(text, lead)
	if i < 0 {
		return -1, -1
	}
	i += len(lead)
	return i, i + strings.IndexByte(text[i:], '"')
}

// editorSave is the editor save row.
func (b *bench) editorSave(e *editor, d *document, r *EditorResult) error {
	for i := 0; i < b.plan.EditorReps; i++ {
		s, err := b.editAndSave(e, d, fmt.Sprintf("editor-save-%02d", i))
		if err != nil {
			return err
		}
		r.Save = append(r.Save, s)
	}
	r.SaveStats = editorStats(r.Save)
	return b.ctx.Err()
}

// editAndSave selects the Version constant's value and deletes it, types v
// in its place a character per saveKeyGap, pauses, saves, and measures
// until v answers.
func (b *bench) editAndSave(e *editor, d *document, v string) (EditorSample, error) {
	from, to := valueRange(d.text)
	if from < 0 {
		return EditorSample{}, fmt.Errorf("%s has no Version constant", versionPath)
	}
	n0 := len(e.builds.read())
	if err := d.replace(from, to, ""); err != nil {
		return EditorSample{}, err
	}
	for i, ch := range v {
		if err := b.sleep(saveKeyGap); err != nil {
			return EditorSample{}, err
		}
		if err := d.replace(from+i, from+i, string(ch)); err != nil {
			return EditorSample{}, err
		}
	}
	lastKey := time.Now()
	if err := b.sleep(editorPause); err != nil {
		return EditorSample{}, err
	}
	return b.saveAndWait(e, d, "/version", v, equals(v), lastKey, n0)
}

// editorUndo is the undo row: an edit is typed, saved and served, then the
// previous text comes back with one change (an editor's undo) and is saved
// at once.
func (b *bench) editorUndo(e *editor, d *document, r *EditorResult) error {
	for i := 0; i < b.plan.EditorReps; i++ {
		prev := d.text
		from, to := valueRange(prev)
		if from < 0 {
			return fmt.Errorf("%s has no Version constant", versionPath)
		}
		old := prev[from:to]
		edit, err := b.editAndSave(e, d, fmt.Sprintf("undo-edit-%02d", i))
		if err != nil {
			return err
		}
		if edit.Timeout {
			return fmt.Errorf("the edit before undo %d was not served", i)
		}
		n0 := len(e.builds.read())
		if err := d.setText(prev); err != nil {
			return err
		}
		s, err := b.saveAndWait(e, d, "/version", old, equals(old), time.Time{}, n0)
		if err != nil {
			return err
		}
		r.Undo = append(r.Undo, s)
	}
	r.UndoStats = editorStats(r.Undo)
	return b.ctx.Err()
}

// editorTemplate is the editor template row: the template is opened, a tag
// is inserted with one change and the file is saved.
func (b *bench) editorTemplate(e *editor, _ *document, r *EditorResult) error {
	d, err := e.lsp.open(filepath.Join(e.dir, templatePath), "html")
	if err != nil {
		return err
	}
	orig := d.text
	if !strings.Contains(orig, templateMark) {
		return fmt.Errorf("%s lacks %q", templatePath, templateMark)
	}
	for i := 0; i < b.plan.EditorReps; i++ {
		tag := fmt.Sprintf("etpl-%02d:", i)
		n0 := len(e.builds.read())
		if err := d.setText(strings.Replace(orig, templateMark, "<p>"+tag+" version {{.Version}}</p>", 1)); err != nil {
			return err
		}
		if err := b.sleep(200 * time.Millisecond); err != nil {
			return err
		}
		s, err := b.saveAndWait(e, d, "/", tag, contains(tag), time.Time{}, n0)
		if err != nil {
			return err
		}
		r.Template = append(r.Template, s)
	}
	r.TemplateStats = editorStats(r.Template)
	return d.close()
}

// readyLine matches ginhotd's log line of a version that became ready;
// "started in" is its process start → ready.
var readyLine = regexp.MustCompile(` ready: generation \d+, pid \d+, \d+ms: started in (\d+)ms`)

// saveAndWait saves d and polls path every pollEvery until ok; then it
// reads where the time went from the build log, ginhot/status and
// ginhotd's log lines. lastKey is the last keystroke (zero: none timed);
// n0 the build log's length when the edit began.
func (b *bench) saveAndWait(e *editor, d *document, path, value string, ok func(string) bool, lastKey time.Time, n0 int) (EditorSample, error) {
	gen0 := 0
	if st := e.lsp.statusSince(time.Time{}); len(st) > 0 && len(st[len(st)-1].St.Targets) > 0 {
		gen0 = st[len(st)-1].St.Targets[0].Generation
	}
	t0 := time.Now()
	if err := d.save(); err != nil {
		return EditorSample{}, err
	}
	dur, served := waitBodyEvery(b.ctx, e.client, e.url+path, ok, t0, serveTimeout, pollEvery)
	s := EditorSample{Value: value, MS: ms(dur), Timeout: !served}
	if st, found := e.lsp.waitStatus(b.ctx, t0, func(st lspStatus) bool {
		return len(st.Targets) > 0 && st.Targets[0].State == "running" && st.Targets[0].Generation > gen0
	}, 2*time.Second); found {
		s.Prepared = st.St.Targets[0].Prepared
	}
	e.settle(shortQuiet, settleLimit)
	var spec *buildRec
	recs := e.builds.read()
	for i := n0; i < len(recs); i++ {
		if recs[i].start.Before(t0) {
			s.BuildsBefore++
			spec = &recs[i]
		} else {
			s.BuildsAfter++
		}
	}
	if spec != nil {
		if !lastKey.IsZero() {
			s.SpecStartMS = ms(spec.start.Sub(lastKey))
		}
		if spec.ended {
			s.SpecBuildMS = ms(spec.end.Sub(spec.start))
			if spec.end.After(t0) {
				s.WaitMS = ms(spec.end.Sub(t0))
			}
		}
	}
	for _, l := range e.lsp.logsSince(t0) {
		if m := readyLine.FindStringSubmatch(l.Line); m != nil {
			s.ReadyMS, _ = strconv.ParseInt(m[1], 10, 64)
			break
		}
	}
	return s, b.ctx.Err()
}

// editorTyping is the typing row: typingKeys keystrokes typingKeyGap apart
// in typingGroups with an editorPause between groups, no save; it counts
// the builds and their CPU time, then puts the buffer back to the disk's
// text.
func (b *bench) editorTyping(e *editor, d *document, r *EditorResult) error {
	for rep := 0; rep < b.plan.TypingReps; rep++ {
		base := d.text
		_, at := valueRange(base)
		if at < 0 {
			return fmt.Errorf("%s has no Version constant", versionPath)
		}
		n0 := len(e.builds.read())
		cpu0, _ := cpuSeconds(e.pid)
		sampler := sampleBuildCPU(e.builds, 10*time.Millisecond)
		first := time.Now()
		key := 0
		err := func() error {
			for _, n := range typingGroups {
				for k := 0; k < n; k++ {
					gap := typingKeyGap
					if k == 0 {
						gap = editorPause
					}
					if key > 0 {
						if err := b.sleep(gap); err != nil {
							return err
						}
					}
					// Each run types other letters: a text typed before
					// would be found among the built binaries.
					if err := d.replace(at, at, string(rune('a'+(key+7*rep)%26))); err != nil {
						return err
					}
					at++
					key++
				}
			}
			return nil
		}()
		last := time.Now()
		e.settle(settleQuiet, settleLimit)
		cpuOf := sampler.end()
		cpu1, _ := cpuSeconds(e.pid)
		if err != nil {
			return err
		}
		run := TypingRun{Keys: key, Pauses: len(typingGroups) - 1, DurationS: last.Sub(first).Seconds(), GinhotdCPUS: cpu1 - cpu0}
		recs := e.builds.read()
		for i := n0; i < len(recs); i++ {
			c := cpuOf[recs[i].id]
			if recs[i].hasCPU {
				c = recs[i].cpu
			}
			if recs[i].start.Before(last) {
				run.Started++
				run.CPUS += c.Seconds()
				if recs[i].ended {
					run.Completed++
				}
			} else {
				run.TrailStarted++
				run.TrailCPUS += c.Seconds()
				if recs[i].ended {
					run.TrailCompleted++
				}
			}
		}
		r.Typing = append(r.Typing, run)
		if err := d.setText(base); err != nil {
			return err
		}
		e.settle(shortQuiet, settleLimit)
	}
	return b.ctx.Err()
}

// editorStats summarises editor samples.
func editorStats(samples []EditorSample) Stats {
	var v []float64
	timeouts := 0
	for _, s := range samples {
		if s.Timeout {
			timeouts++
			continue
		}
		v = append(v, s.MS)
	}
	return summarize(v, timeouts)
}
