//go:build linux

package main

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
)

// fmtMS formats milliseconds for the table.
func fmtMS(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// statCell formats one statistic of s, or "timeout" when every sample
// timed out.
func statCell(s Stats, f func(Stats) string) string {
	if s.N == 0 {
		if s.Timeouts > 0 {
			return "timeout"
		}
		return "—"
	}
	out := f(s)
	if s.Timeouts > 0 {
		out += fmt.Sprintf(" (%d timeout)", s.Timeouts)
	}
	return out
}

// cpu formats CPU seconds, which /proc counts in 10 ms ticks.
func cpu(s float64) string {
	if s == 0 {
		return "< 0.01 s"
	}
	return fmt.Sprintf("%.2f s", s)
}

func median(s Stats) string { return fmtMS(s.Median) }
func p90(s Stats) string    { return fmtMS(s.P90) }
func minMax(s Stats) string { return fmtMS(s.Min) + " – " + fmtMS(s.Max) }

// ratio formats a/b, or "—".
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 || math.IsNaN(a) || math.IsNaN(b) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// table is a markdown table under construction.
type table struct {
	sb strings.Builder
}

func (t *table) row(cells ...string) {
	t.sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// tools returns the results in column order, a nil entry for a tool that
// did not run.
func columns(res *Results) []*ToolResult {
	cols := make([]*ToolResult, 0, len(toolSpecs()))
	for _, spec := range toolSpecs() {
		var found *ToolResult
		for i := range res.Tools {
			if res.Tools[i].Slug == spec.Slug {
				found = &res.Tools[i]
			}
		}
		cols = append(cols, found)
	}
	return cols
}

// renderTable renders the results as markdown: the main table, the scale
// table, and what the columns mean.
func renderTable(res *Results) string {
	var t table
	cols := columns(res)
	head := []string{"scenario"}
	for _, s := range toolSpecs() {
		head = append(head, s.Name)
	}
	head = append(head, "floor", "ginhotd/air")
	t.row(head...)
	t.row(strings.Split(strings.Repeat("---,", len(head)), ",")[:len(head)]...)

	// cell runs f on each tool, "—" for a tool that did not run.
	cell := func(f func(*ToolResult) string) []string {
		var out []string
		for _, c := range cols {
			if c == nil || c.StartupErr != "" {
				out = append(out, "—")
				continue
			}
			out = append(out, f(c))
		}
		return out
	}
	// num runs f on each tool and returns the values for the ratio.
	num := func(f func(*ToolResult) float64) (proxy, air, air0 float64) {
		get := func(i int) float64 {
			if i >= len(cols) || cols[i] == nil || cols[i].StartupErr != "" {
				return 0
			}
			return f(cols[i])
		}
		return get(0), get(2), get(3)
	}
	ratios := func(f func(*ToolResult) float64) string {
		p, a, a0 := num(f)
		return ratio(p, a) + " · " + ratio(p, a0)
	}
	floor := func(f func(*FloorResult) string) string {
		if res.Floor == nil || res.Floor.Stats.N == 0 {
			return "—"
		}
		return f(res.Floor)
	}
	line := func(name string, cells []string, fl, r string) {
		t.row(append(append([]string{name}, cells...), fl, r)...)
	}

	n := res.Plan.SaveReps
	line(fmt.Sprintf("1 save → serve, median (n=%d)", n), cell(func(r *ToolResult) string { return statCell(r.SaveServeStats, median) }),
		floor(func(f *FloorResult) string {
			return fmt.Sprintf("%s (-s -w: %s)", fmtMS(f.Stats.Median), statCell(f.StrippedStats, median))
		}), ratios(func(r *ToolResult) float64 { return r.SaveServeStats.Median }))
	line("1 save → serve, p90", cell(func(r *ToolResult) string { return statCell(r.SaveServeStats, p90) }),
		floor(func(f *FloorResult) string { return fmtMS(f.Stats.P90) }), ratios(func(r *ToolResult) float64 { return r.SaveServeStats.P90 }))
	line("1 save → serve, min – max", cell(func(r *ToolResult) string { return statCell(r.SaveServeStats, minMax) }),
		floor(func(f *FloorResult) string { return minMax(f.Stats) }), "")
	line("1 median: in-place write / temp + rename", cell(func(r *ToolResult) string {
		return statCell(r.InPlaceStats, median) + " / " + statCell(r.RenameStats, median)
	}), "", "")

	line(fmt.Sprintf("2 template edit → serve, median (n=%d)", res.Plan.TemplateReps), cell(func(r *ToolResult) string { return statCell(r.TemplateStats, median) }),
		floor(func(f *FloorResult) string { return fmtMS(f.StartStats.Median) + " (exec → 200)" }), ratios(func(r *ToolResult) float64 { return r.TemplateStats.Median }))
	line("2 template, p90", cell(func(r *ToolResult) string { return statCell(r.TemplateStats, p90) }), "", "")
	line("2 template, min – max", cell(func(r *ToolResult) string { return statCell(r.TemplateStats, minMax) }), "", "")

	edits := []string{"package no main imports", "_test.go file", "README.md", "second main (cmd/worker)"}
	for _, e := range edits {
		line("3 builds / restarts: "+e, cell(func(r *ToolResult) string {
			for _, ir := range r.Irrelevant {
				if ir.Edit == e {
					s := fmt.Sprintf("%d / %d", ir.Builds, ir.Restarts)
					if ir.Timeout {
						s += " (timeout)"
					}
					return s
				}
			}
			return "—"
		}), "0 / 0", "")
	}

	line(fmt.Sprintf("4 failed / total requests, %d req/s across %d reloads", res.Plan.LoadRate, res.Plan.Reloads), cell(func(r *ToolResult) string {
		a := r.Availability
		if a == nil {
			return "—"
		}
		s := fmt.Sprintf("%d / %d", a.Failed, a.Total)
		if a.Timeout {
			s += fmt.Sprintf(" (timeout after %d reloads)", a.Reloads)
		}
		return s
	}), "", "")
	line("4 failure kinds", cell(func(r *ToolResult) string {
		if r.Availability == nil || len(r.Availability.Kinds) == 0 {
			return "—"
		}
		var ks []string
		for k, v := range r.Availability.Kinds {
			ks = append(ks, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(ks)
		return strings.Join(ks, ", ")
	}), "", "")

	line(fmt.Sprintf("5 storm (%d files, %d reachable): builds started (completed)", res.Plan.StormFiles, res.Plan.StormReach), cell(func(r *ToolResult) string {
		if r.Storm == nil {
			return "—"
		}
		return fmt.Sprintf("%d (%d)", r.Storm.Builds, r.Storm.Completed)
	}), "1", "")
	line("5 storm: time until the final version answers", cell(func(r *ToolResult) string {
		if r.Storm == nil {
			return "—"
		}
		if r.Storm.Timeout {
			return "timeout"
		}
		return fmtMS(r.Storm.MS)
	}), floor(func(f *FloorResult) string { return fmtMS(f.Stats.Median) }), ratios(func(r *ToolResult) float64 {
		if r.Storm == nil || r.Storm.Timeout {
			return 0
		}
		return r.Storm.MS
	}))

	line(fmt.Sprintf("6 rapid saves (%d × %s apart): builds started / completed", res.Plan.RapidSaves, res.Plan.RapidGap), cell(func(r *ToolResult) string {
		if r.Rapid == nil {
			return "—"
		}
		return fmt.Sprintf("%d / %d", r.Rapid.Started, r.Rapid.Completed)
	}), "1 / 1", "")
	line("6 rapid: last edit served; versions seen", cell(func(r *ToolResult) string {
		if r.Rapid == nil {
			return "—"
		}
		yes := "no: " + r.Rapid.Served
		if r.Rapid.LastServed {
			yes = "yes"
		}
		return fmt.Sprintf("%s; %d", yes, len(r.Rapid.Seen))
	}), "", "")
	line("6 rapid: last save → served", cell(func(r *ToolResult) string {
		if r.Rapid == nil {
			return "—"
		}
		if r.Rapid.Timeout {
			return "timeout"
		}
		return fmtMS(r.Rapid.MS)
	}), floor(func(f *FloorResult) string { return fmtMS(f.Stats.Median) }), ratios(func(r *ToolResult) float64 {
		if r.Rapid == nil || r.Rapid.Timeout {
			return 0
		}
		return r.Rapid.MS
	}))

	line("7 compile error: old version kept answering (failed / requests)", cell(func(r *ToolResult) string {
		f := r.Failure
		if f == nil {
			return "—"
		}
		if f.Timeout {
			return "timeout"
		}
		yes := "no"
		if f.OldKept {
			yes = "yes"
		}
		s := fmt.Sprintf("%s (%d / %d)", yes, f.Failed, f.Requests)
		if f.OtherBody > 0 {
			s += fmt.Sprintf(", %d other answers", f.OtherBody)
		}
		return s
	}), "", "")
	line("7 fix → new version served", cell(func(r *ToolResult) string {
		if r.Failure == nil || r.Failure.Timeout {
			return "—"
		}
		if r.Failure.FixTimeout {
			return "timeout"
		}
		return fmtMS(r.Failure.FixMS)
	}), floor(func(f *FloorResult) string { return fmtMS(f.Stats.Median) }), ratios(func(r *ToolResult) float64 {
		if r.Failure == nil || r.Failure.FixTimeout {
			return 0
		}
		return r.Failure.FixMS
	}))

	idle := fmt.Sprintf("8 idle %s: ", res.Plan.Idle)
	line(idle+"CPU seconds of the tool's process", cell(func(r *ToolResult) string {
		if r.Idle == nil {
			return "—"
		}
		return cpu(r.Idle.CPUSeconds)
	}), "", ratios(func(r *ToolResult) float64 {
		if r.Idle == nil {
			return 0
		}
		return r.Idle.CPUSeconds
	}))
	line(idle+"RSS", cell(func(r *ToolResult) string {
		if r.Idle == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f MB", float64(r.Idle.RSSKB)/1024)
	}), "", ratios(func(r *ToolResult) float64 {
		if r.Idle == nil {
			return 0
		}
		return float64(r.Idle.RSSKB)
	}))
	line(idle+"inotify watches", cell(func(r *ToolResult) string {
		if r.Idle == nil {
			return "—"
		}
		return fmt.Sprint(r.Idle.Watches)
	}), "", "")
	line("CPU seconds of the tool's own process over scenarios 1–8", cell(func(r *ToolResult) string { return fmt.Sprintf("%.2f s", r.CPUTotalS) }),
		"", ratios(func(r *ToolResult) float64 { return r.CPUTotalS }))
	line("go builds run over scenarios 1–8 (start included)", cell(func(r *ToolResult) string { return fmt.Sprint(r.BuildsTotal) }),
		"", ratios(func(r *ToolResult) float64 { return float64(r.BuildsTotal) }))
	if res.Floor != nil && res.Floor.Stats.N > 0 {
		f := res.Floor
		line("10 floor: go build (warm cache) + exec → first 200, median", cell(func(*ToolResult) string { return "" }),
			fmt.Sprintf("%s (build %s + start %s)", fmtMS(f.Stats.Median), fmtMS(f.BuildStats.Median), fmtMS(f.StartStats.Median)), "")
		line("10 floor linked with -ldflags=-s -w (ginhotd's default), median", cell(func(*ToolResult) string { return "" }),
			statCell(f.StrippedStats, median), "")
	}

	out := ""
	if len(res.Tools) > 0 || res.Floor != nil {
		out = t.sb.String() + "\n" + legend
	}
	if res.Scale != nil {
		out += "\n" + renderScale(res.Scale, res.Plan.Idle.String())
	}
	if res.Proxy != nil {
		out += "\n" + renderProxy(res.Proxy)
	}
	if res.Cgo != nil {
		out += "\n" + renderCgo(res.Cgo)
	}
	if res.Editor != nil {
		out += "\n" + renderEditor(res)
	}
	if len(res.Errors) > 0 {
		out += "\nErrors: " + strings.Join(res.Errors, "; ") + "\n"
	}
	for _, r := range res.Tools {
		for _, e := range r.Errors {
			out += fmt.Sprintf("\n%s: %s", r.Name, e)
		}
	}
	return out
}

const legend = `Ratio column: ginhotd (proxy) ÷ air with its default delay of 1 s · ÷ air with delay = 1 ms; below 1 means ginhotd is faster or cheaper.
air v1.67.4 ignores ` + "`delay = 0`" + ` in .air.toml (it merges the file over its defaults with mergo, which skips zero values, so 0 silently means the default 1000 ms); 1 ms is the shortest delay it honours, hence the "delay=1ms" column.
Floor: a plain ` + "`go build`" + ` of the same edit with a warm cache plus exec until the first HTTP 200 carrying it; for the template edit, exec → 200 only (no build is needed).
Restarts are changes of the PID the app serves on /pid; builds are ` + "`go build`" + ` runs counted by a wrapper around go on PATH (started, and completed when they were not cancelled).
`

func renderScale(s *ScaleResult, idle string) string {
	var t table
	t.row(fmt.Sprintf("9 scale: %d packages, %d reached by the Gin main, import depth %d", s.Packages, s.Reached, s.Depth), "ginhotd", "air", "go")
	t.row("---", "---", "---", "---")
	t.row("package graph load / `go list -deps ./...` (median of 3)", fmtMS(s.GraphLoadMS), "—", fmtMS(s.GoListMedian))
	t.row("start → first version served", fmtMS(s.GinhotdReadyMS), fmtMS(s.AirReadyMS), fmt.Sprintf("%s (go build, cache warm or not)", fmtMS(s.FirstBuildMS)))
	t.row("per-save decision (decision_us), median / max", fmt.Sprintf("%.0f µs / %d µs", s.DecisionMed, s.DecisionMax), "—", "—")
	t.row("builds for saves no Gin main reaches", fmt.Sprintf("%d for %d saves", s.GinhotdUnreachedBuilds, s.GinhotdUnreachedSaves),
		fmt.Sprintf("%d for %d saves", s.AirUnreachedBuilds, s.AirUnreachedSaves), "—")
	var ev []float64
	ev = append(ev, s.EventMS...)
	es := summarize(ev, 0)
	t.row("save → decision event (watch + debounce + decision), median / max", fmt.Sprintf("%s / %s", fmtMS(es.Median), fmtMS(es.Max)), "—", "—")
	t.row("RSS after the graph load", fmt.Sprintf("%.1f MB", float64(s.GinhotdRSSKB)/1024), "—", "—")
	idleCells := func(i *Idle) (string, string, string) {
		if i == nil {
			return "—", "—", "—"
		}
		return cpu(i.CPUSeconds), fmt.Sprintf("%.1f MB", float64(i.RSSKB)/1024), fmt.Sprint(i.Watches)
	}
	gc, gr, gw := idleCells(s.GinhotdIdle)
	ac, ar, aw := idleCells(s.AirIdle)
	t.row("idle "+idle+": CPU seconds", gc, ac, "—")
	t.row("idle: RSS", gr, ar, "—")
	t.row("idle: inotify watches", gw, aw, "—")
	if s.FUSEGinhotdIdle != nil || s.FUSEAirIdle != nil {
		fc, _, _ := idleCells(s.FUSEGinhotdIdle)
		pc, _, _ := idleCells(s.FUSEAirIdle)
		t.row("on a FUSE mount edited behind it: idle "+idle+": CPU seconds (ginhotd with no flag; air with poll = true)", fc, pc, "—")
		fs := summarize(s.FUSEEventMS, 0)
		t.row("on a FUSE mount: save behind the mount → build_start, median / max", fmt.Sprintf("%s / %s", fmtMS(fs.Median), fmtMS(fs.Max)), "—", "—")
	}
	out := t.sb.String()
	for _, e := range s.Errors {
		out += "\nscale: " + e
	}
	return out
}

// chartBar is one bar of the chart.
type chartBar struct {
	label string
	value float64
	text  string
	color string
}

// renderChart draws two horizontal bar panels as SVG: the median save →
// serve latency per tool (with the floor) and the failed requests of the
// availability scenario per tool.
func renderChart(res *Results) string {
	colors := []string{"#2a9d8f", "#8ab17d", "#e76f51", "#f4a261"}
	var lat, fails []chartBar
	for i, c := range columns(res) {
		name := toolSpecs()[i].Name
		switch {
		case c == nil:
			lat = append(lat, chartBar{label: name, text: "not run", color: colors[i]})
		case c.SaveServeStats.N == 0:
			lat = append(lat, chartBar{label: name, text: statCell(c.SaveServeStats, median), color: colors[i]})
		default:
			lat = append(lat, chartBar{label: name, value: c.SaveServeStats.Median, text: statCell(c.SaveServeStats, median), color: colors[i]})
		}
		if c == nil || c.Availability == nil {
			fails = append(fails, chartBar{label: name, text: "not run", color: colors[i]})
		} else {
			a := c.Availability
			fails = append(fails, chartBar{label: name, value: float64(a.Failed), text: fmt.Sprintf("%d of %d", a.Failed, a.Total), color: colors[i]})
		}
	}
	if e := res.Editor; e != nil && e.SaveStats.N > 0 {
		lat = append(lat, chartBar{label: "ginhotd, editor save", value: e.SaveStats.Median, text: statCell(e.SaveStats, median) + " (LSP, typed then saved)", color: "#264653"})
	}
	if res.Floor != nil && res.Floor.Stats.N > 0 {
		lat = append(lat, chartBar{label: "floor (go build + exec)", value: res.Floor.Stats.Median, text: fmtMS(res.Floor.Stats.Median), color: "#6c757d"})
		if st := res.Floor.StrippedStats; st.N > 0 {
			lat = append(lat, chartBar{label: "floor, -ldflags=-s -w", value: st.Median, text: fmtMS(st.Median), color: "#adb5bd"})
		}
	}
	const width = 760
	var sb strings.Builder
	h1 := panelHeight(len(lat))
	h2 := panelHeight(len(fails))
	height := 40 + h1 + h2
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n", width, height, width, height)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&sb, `<text x="12" y="22" font-size="15" font-weight="bold">%s</text>`+"\n",
		html.EscapeString(fmt.Sprintf("ginhotd vs air %s on examples/shop — %s, %d cores, %s", res.Machine.AirVersion, res.Date.Format("2006-01-02"), res.Machine.Cores, res.Machine.GoVersion)))
	panel(&sb, 40, width, fmt.Sprintf("save → serve latency, median of %d saves (lower is better)", res.Plan.SaveReps), lat)
	panel(&sb, 40+h1, width, fmt.Sprintf("failed requests at %d req/s across %d reloads (lower is better)", res.Plan.LoadRate, res.Plan.Reloads), fails)
	sb.WriteString("</svg>\n")
	return sb.String()
}

const barRow = 26

func panelHeight(bars int) int { return 34 + bars*barRow + 10 }

// panel draws one titled group of horizontal bars at y.
func panel(sb *strings.Builder, y, width int, title string, bars []chartBar) {
	const labelW, left, right = 170, 12, 110
	maxV := 0.0
	for _, b := range bars {
		maxV = math.Max(maxV, b.value)
	}
	fmt.Fprintf(sb, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", left, y+18, html.EscapeString(title))
	span := float64(width - left - labelW - right)
	for i, b := range bars {
		by := y + 30 + i*barRow
		fmt.Fprintf(sb, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left+labelW-8, by+14, html.EscapeString(b.label))
		w := 0.0
		if maxV > 0 {
			w = b.value / maxV * span
		}
		if b.value > 0 {
			w = math.Max(w, 2)
		}
		fmt.Fprintf(sb, `<rect x="%d" y="%d" width="%.1f" height="18" fill="%s"/>`+"\n", left+labelW, by, w, b.color)
		fmt.Fprintf(sb, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(left+labelW)+w+6, by+14, html.EscapeString(b.text))
	}
}

// renderEditor renders the editor rows next to the floor, the terminal
// rows of ginhotd and air.
func renderEditor(res *Results) string {
	e := res.Editor
	var t table
	t.row("editor rows: ginhotd --stdio driven by an LSP client", "median", "p90", "min – max", "prepared before the save", "floor", "terminal: ginhotd proxy · air · air delay=1ms", "median ÷ floor")
	t.row("---", "---", "---", "---", "---", "---", "---", "---")
	cols := columns(res)
	term := func(f func(*ToolResult) Stats) string {
		var cells []string
		for _, i := range []int{0, 2, 3} {
			if cols[i] == nil || cols[i].StartupErr != "" {
				cells = append(cells, "—")
				continue
			}
			cells = append(cells, statCell(f(cols[i]), median))
		}
		return strings.Join(cells, " · ")
	}
	var floorMS, floorStrip, execMS float64
	floorCell, execCell := "—", "—"
	if f := res.Floor; f != nil && f.Stats.N > 0 {
		floorMS, floorStrip, execMS = f.Stats.Median, f.StrippedStats.Median, f.StartStats.Median
		floorCell = fmt.Sprintf("%s (-s -w: %s)", fmtMS(floorMS), statCell(f.StrippedStats, median))
		execCell = fmtMS(execMS) + " (exec → 200)"
	}
	prepared := func(ss []EditorSample) string {
		n := 0
		for _, s := range ss {
			if s.Prepared {
				n++
			}
		}
		return fmt.Sprintf("%d of %d", n, len(ss))
	}
	stat := func(s Stats) []string {
		return []string{statCell(s, median), statCell(s, p90), statCell(s, minMax)}
	}
	if len(e.Save) > 0 {
		t.row(append(append([]string{fmt.Sprintf("editor save → serve (n=%d): one-line edit typed %s a key, %s pause, save", len(e.Save), saveKeyGap, editorPause)}, stat(e.SaveStats)...),
			prepared(e.Save), floorCell, term(func(r *ToolResult) Stats { return r.SaveServeStats }),
			ratio(e.SaveStats.Median, floorMS)+" (÷ -s -w: "+ratio(e.SaveStats.Median, floorStrip)+")")...)
		var wait, build, start, ready []float64
		after := 0
		for _, s := range e.Save {
			wait = append(wait, s.WaitMS)
			if s.SpecBuildMS > 0 {
				build = append(build, s.SpecBuildMS)
				start = append(start, s.SpecStartMS)
			}
			ready = append(ready, float64(s.ReadyMS))
			after += s.BuildsAfter
		}
		t.row("editor save: where the time went (medians)", fmt.Sprintf("speculative build started %s after the last key, ran %s; the save waited %s for it; start → ready %s; builds after the save: %d in %d saves",
			fmtMS(summarize(start, 0).Median), fmtMS(summarize(build, 0).Median), fmtMS(summarize(wait, 0).Median), fmtMS(summarize(ready, 0).Median), after, len(e.Save)), "", "", "", "", "", "")
	}
	if len(e.Undo) > 0 {
		t.row(append(append([]string{fmt.Sprintf("undo → serve (n=%d): the served edit undone with one change, saved at once", len(e.Undo))}, stat(e.UndoStats)...),
			prepared(e.Undo), floorCell, "", ratio(e.UndoStats.Median, floorMS))...)
	}
	if len(e.Template) > 0 {
		t.row(append(append([]string{fmt.Sprintf("editor template save → serve (n=%d)", len(e.Template))}, stat(e.TemplateStats)...),
			"", execCell, term(func(r *ToolResult) Stats { return r.TemplateStats }), ratio(e.TemplateStats.Median, execMS))...)
	}
	out := t.sb.String()
	if len(e.Typing) > 0 {
		var tt table
		tt.row(fmt.Sprintf("typing: %d keystrokes %s apart, %d pauses of %s, no save (%d runs)", typingKeys, typingKeyGap, len(typingGroups)-1, editorPause, len(e.Typing)), "each run")
		tt.row("---", "---")
		var during, trail, own, dur float64
		var cells [4][]string
		for _, r := range e.Typing {
			cells[0] = append(cells[0], fmt.Sprintf("%d / %d", r.Started, r.Completed))
			cells[1] = append(cells[1], fmt.Sprintf("%.2f s", r.CPUS))
			cells[2] = append(cells[2], fmt.Sprintf("%d / %d, %.2f s", r.TrailStarted, r.TrailCompleted, r.TrailCPUS))
			cells[3] = append(cells[3], fmt.Sprintf("%.2f s", r.GinhotdCPUS))
			during, trail, own, dur = during+r.CPUS, trail+r.TrailCPUS, own+r.GinhotdCPUS, dur+r.DurationS
		}
		tt.row("builds started / completed while typing", strings.Join(cells[0], " · "))
		tt.row("CPU seconds of those builds", strings.Join(cells[1], " · "))
		tt.row("after the last keystroke: builds started / completed, CPU seconds", strings.Join(cells[2], " · "))
		tt.row("ginhotd's own CPU seconds, first keystroke → settled", strings.Join(cells[3], " · "))
		if dur > 0 {
			tt.row("extra CPU per minute of typing: builds while typing (with the final prepared build; ginhotd's own)",
				fmt.Sprintf("%.1f s/min (%.1f s/min; +%.1f s/min)", during/dur*60, (during+trail)/dur*60, own/dur*60))
		}
		out += "\n" + tt.sb.String()
	}
	for _, err := range e.Errors {
		out += "\neditor: " + err
	}
	return out
}
