//go:build linux

package main

import (
	"math"
	"sort"
	"time"
)

// Results is everything one run measured; it is written as latest.json.
type Results struct {
	Date      time.Time    `json:"date"`
	Command   string       `json:"command"`
	Mode      string       `json:"mode"` // "full" or "quick"
	Machine   Machine      `json:"machine"`
	Plan      Plan         `json:"plan"`
	DurationS float64      `json:"duration_s"`
	Tools     []ToolResult `json:"tools"`
	Floor     *FloorResult `json:"floor,omitempty"`
	Scale     *ScaleResult `json:"scale,omitempty"`
	Proxy     *ProxyResult `json:"proxy,omitempty"`
	Cgo       *CgoResult   `json:"cgo,omitempty"`
	// Editor holds the editor rows: ginhotd --stdio driven by an LSP
	// client that types, pauses and saves.
	Editor *EditorResult `json:"editor,omitempty"`
	// Leftovers lists processes the final sweep had to end; empty when
	// every process was ended by its tool's stop.
	Leftovers []string `json:"leftovers"`
	Errors    []string `json:"errors,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	Cores      int     `json:"cores"`
	CPU        string  `json:"cpu"`
	GoVersion  string  `json:"go_version"`
	OSArch     string  `json:"os_arch"`
	MemoryMB   int     `json:"memory_mb"`
	LoadStart  float64 `json:"load_avg_1m_start"`
	LoadEnd    float64 `json:"load_avg_1m_end"`
	AirVersion string  `json:"air_version"`
	GinhotdRev string  `json:"ginhotd_rev"`
}

// Plan is the size of the run.
type Plan struct {
	Parts         []string      `json:"parts"` // floor, the tools' slugs, scale
	SaveReps      int           `json:"save_reps"`
	FloorReps     int           `json:"floor_reps"`
	TemplateReps  int           `json:"template_reps"`
	LoadRate      int           `json:"load_rate_per_s"`
	LoadMin       time.Duration `json:"load_min_ns"`
	Reloads       int           `json:"reloads"`
	RapidSaves    int           `json:"rapid_saves"`
	RapidGap      time.Duration `json:"rapid_gap_ns"`
	StormFiles    int           `json:"storm_files"`
	StormReach    int           `json:"storm_reachable"`
	Idle          time.Duration `json:"idle_ns"`
	ScalePackages int           `json:"scale_packages"`
	ScaleSaves    int           `json:"scale_saves"`
	ProxyLoad     time.Duration `json:"proxy_load_ns"`
	CgoReps       int           `json:"cgo_reps"`
	EditorReps    int           `json:"editor_reps"` // editor save, undo and template saves each
	TypingReps    int           `json:"typing_reps"`
}

// Sample is one timed save → serve.
type Sample struct {
	Method  string  `json:"method"` // "in-place" or "rename"
	MS      float64 `json:"ms"`
	Timeout bool    `json:"timeout,omitempty"`
}

// Stats summarises samples that did not time out.
type Stats struct {
	N        int     `json:"n"`
	Timeouts int     `json:"timeouts"`
	Median   float64 `json:"median_ms"`
	P90      float64 `json:"p90_ms"`
	Min      float64 `json:"min_ms"`
	Max      float64 `json:"max_ms"`
}

// ToolResult holds scenarios 1 to 8 for one tool.
type ToolResult struct {
	Name       string  `json:"name"`
	Slug       string  `json:"slug"`
	StartupMS  float64 `json:"startup_ms"`
	StartupErr string  `json:"startup_error,omitempty"`

	SaveServe      []Sample `json:"save_serve"`
	SaveServeStats Stats    `json:"save_serve_stats"`
	InPlaceStats   Stats    `json:"save_serve_in_place_stats"`
	RenameStats    Stats    `json:"save_serve_rename_stats"`
	Template       []Sample `json:"template"`
	TemplateStats  Stats    `json:"template_stats"`

	Irrelevant   []Irrelevant  `json:"irrelevant"`
	Availability *Availability `json:"availability,omitempty"`
	Storm        *Storm        `json:"storm,omitempty"`
	Rapid        *Rapid        `json:"rapid,omitempty"`
	Failure      *Failure      `json:"failure,omitempty"`
	Idle         *Idle         `json:"idle,omitempty"`

	// DecisionUS are the decision_us values of ginhotd's events.
	DecisionUS []int64 `json:"decision_us,omitempty"`
	// Events counts ginhotd's events by kind.
	Events map[string]int `json:"events,omitempty"`
	// Windows are the scenario time windows, to line up with the events.
	Windows []Window `json:"windows"`
	// CPUTotalS is the CPU time of the tool's own process (not its builds
	// or apps) over all its scenarios, read just before it was stopped.
	CPUTotalS float64 `json:"cpu_total_s"`
	// BuildsTotal is how many go builds the tool ran over the whole run.
	BuildsTotal int      `json:"builds_total"`
	Errors      []string `json:"errors,omitempty"`
}

// Window is when a scenario ran.
type Window struct {
	Scenario string    `json:"scenario"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// Irrelevant is one edit that should not need a build.
type Irrelevant struct {
	Edit     string `json:"edit"`
	Path     string `json:"path"`
	Builds   int    `json:"builds"`
	Restarts int    `json:"restarts"`
	Timeout  bool   `json:"timeout,omitempty"`
}

// Availability is steady load across reloads.
type Availability struct {
	Total     int            `json:"total"`
	Failed    int            `json:"failed"`
	Kinds     map[string]int `json:"failure_kinds"`
	Reloads   int            `json:"reloads"`
	DurationS float64        `json:"duration_s"`
	Timeout   bool           `json:"timeout,omitempty"`
}

// Storm is many files changed at once.
type Storm struct {
	Files     int     `json:"files"`
	Reachable int     `json:"reachable"`
	Builds    int     `json:"builds"`
	Completed int     `json:"builds_completed"`
	MS        float64 `json:"ms"`
	Timeout   bool    `json:"timeout,omitempty"`
}

// Rapid is a burst of saves.
type Rapid struct {
	Saves      int      `json:"saves"`
	Started    int      `json:"builds_started"`
	Completed  int      `json:"builds_completed"`
	LastServed bool     `json:"last_served"`
	Served     string   `json:"served"`
	Seen       []string `json:"versions_seen"`
	MS         float64  `json:"ms_after_last_save"`
	Timeout    bool     `json:"timeout,omitempty"`
}

// Failure is a compile error, then its fix.
type Failure struct {
	Requests   int     `json:"requests"`
	Failed     int     `json:"failed"`
	OtherBody  int     `json:"other_body"`
	OldKept    bool    `json:"old_kept"`
	BuildFail  bool    `json:"build_fail_seen"`
	FixMS      float64 `json:"fix_ms"`
	FixTimeout bool    `json:"fix_timeout,omitempty"`
	Timeout    bool    `json:"timeout,omitempty"`
}

// Idle is the cost of the tool's own process while nothing changes.
type Idle struct {
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	RSSKB      int     `json:"rss_kb"`
	Watches    int     `json:"inotify_watches"`
}

// FloorResult is scenario 10: a plain go build of the same edit plus exec
// to the first HTTP 200 carrying it.
type FloorResult struct {
	Samples    []FloorSample `json:"samples"`
	Stats      Stats         `json:"stats"`
	BuildStats Stats         `json:"build_stats"`
	StartStats Stats         `json:"start_stats"`
	// Stripped are the same measurements linked with -ldflags=-s -w, as
	// ginhotd links by default.
	Stripped      []FloorSample `json:"stripped_samples"`
	StrippedStats Stats         `json:"stripped_stats"`
}

// FloorSample is one floor measurement.
type FloorSample struct {
	BuildMS float64 `json:"build_ms"`
	StartMS float64 `json:"start_ms"`
	MS      float64 `json:"ms"`
	Timeout bool    `json:"timeout,omitempty"`
}

// ScaleResult is scenario 9.
type ScaleResult struct {
	Packages       int       `json:"packages"`
	Reached        int       `json:"reached_by_gin_main"`
	Depth          int       `json:"max_depth"`
	GinReal        bool      `json:"gin_real"`
	GenerateMS     float64   `json:"generate_ms"`
	GoListMS       []float64 `json:"go_list_deps_ms"`
	GoListMedian   float64   `json:"go_list_deps_median_ms"`
	FirstBuildMS   float64   `json:"first_build_ms"`
	GraphLoadMS    float64   `json:"ginhotd_graph_load_ms"`
	GinhotdReadyMS float64   `json:"ginhotd_ready_ms"`
	// DecisionsUS are decision_us of saves no target reaches (skip) and of
	// saves the Gin main reaches (build_start).
	SkipUS       []int64   `json:"skip_decision_us"`
	RebuildUS    []int64   `json:"rebuild_decision_us"`
	EventMS      []float64 `json:"save_to_event_ms"`
	DecisionMax  int64     `json:"decision_max_us"`
	DecisionMed  float64   `json:"decision_median_us"`
	GinhotdRSSKB int       `json:"ginhotd_rss_after_load_kb"`
	GinhotdIdle  *Idle     `json:"ginhotd_idle,omitempty"`
	// Builds run for saves to packages no Gin main reaches.
	GinhotdUnreachedSaves  int     `json:"ginhotd_unreached_saves"`
	GinhotdUnreachedBuilds int     `json:"ginhotd_unreached_builds"`
	AirUnreachedSaves      int     `json:"air_unreached_saves"`
	AirUnreachedBuilds     int     `json:"air_unreached_builds"`
	AirReadyMS             float64 `json:"air_ready_ms"`
	AirIdle                *Idle   `json:"air_idle,omitempty"`
	// FUSE* are the same module on a bindfs (FUSE) mount edited behind the
	// mount, as a host editor edits behind a container's bind mount:
	// ginhotd with no flag (it polls the mount by itself) and air with
	// poll = true. FUSEEventMS are saves of reached files made in the
	// backing directory → ginhotd's build_start event.
	FUSEGinhotdIdle *Idle     `json:"fuse_ginhotd_idle,omitempty"`
	FUSEAirIdle     *Idle     `json:"fuse_air_idle,omitempty"`
	FUSEEventMS     []float64 `json:"fuse_event_ms,omitempty"`
	Errors          []string  `json:"errors,omitempty"`
}

// summarize computes Stats over the samples that did not time out.
func summarize(ms []float64, timeouts int) Stats {
	s := Stats{N: len(ms), Timeouts: timeouts}
	if len(ms) == 0 {
		return s
	}
	v := append([]float64(nil), ms...)
	sort.Float64s(v)
	s.Min, s.Max = v[0], v[len(v)-1]
	s.Median = quantile(v, 0.5)
	s.P90 = quantile(v, 0.9)
	return s
}

// quantile returns the q-quantile of sorted v by linear interpolation
// between closest ranks.
func quantile(v []float64, q float64) float64 {
	if len(v) == 1 {
		return v[0]
	}
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return v[lo] + (v[hi]-v[lo])*(pos-float64(lo))
}

func sampleStats(samples []Sample, method string) Stats {
	var ms []float64
	timeouts := 0
	for _, s := range samples {
		if method != "" && s.Method != method {
			continue
		}
		if s.Timeout {
			timeouts++
			continue
		}
		ms = append(ms, s.MS)
	}
	return summarize(ms, timeouts)
}

// EditorResult is the editor rows: one `ginhotd --stdio` on its own copy of
// examples/shop, driven by the bench's LSP client.
type EditorResult struct {
	StartupMS float64 `json:"startup_ms"`
	// Save: a one-line edit typed as didChange events, a pause, then the
	// file written and didSave; save → the new version answering.
	Save      []EditorSample `json:"save"`
	SaveStats Stats          `json:"save_stats"`
	// Undo: after an edit was served, the previous content restored with
	// one change and saved at once; save → the previous version answering.
	Undo      []EditorSample `json:"undo"`
	UndoStats Stats          `json:"undo_stats"`
	// Template: a template edit saved from the editor; save → the page
	// showing it.
	Template      []EditorSample `json:"template"`
	TemplateStats Stats          `json:"template_stats"`
	// Typing: keystrokes with pauses and no save.
	Typing []TypingRun `json:"typing"`
	// CPUTotalS is ginhotd's own CPU time over the editor rows; BuildsTotal
	// the go builds it ran (start included).
	CPUTotalS   float64  `json:"cpu_total_s"`
	BuildsTotal int      `json:"builds_total"`
	Errors      []string `json:"errors,omitempty"`
}

// EditorSample is one timed save from the editor, and where its time went.
type EditorSample struct {
	Value   string  `json:"value"` // what the save makes the app answer
	MS      float64 `json:"ms"`    // save → answered
	Timeout bool    `json:"timeout,omitempty"`
	// Prepared: ginhot/status said the new version was built before its
	// save (from the buffers, or a binary of the same content).
	Prepared bool `json:"prepared"`
	// SpecStartMS is from the last keystroke to the start of the build that
	// ran before the save (the speculative build), SpecBuildMS its wall
	// time, WaitMS how long after the save it ended (0: before the save).
	SpecStartMS float64 `json:"spec_start_after_last_key_ms,omitempty"`
	SpecBuildMS float64 `json:"spec_build_ms,omitempty"`
	WaitMS      float64 `json:"waited_for_build_ms"`
	// BuildsBefore are the builds started between the first keystroke and
	// the save; BuildsAfter those started after the save.
	BuildsBefore int `json:"builds_before_save"`
	BuildsAfter  int `json:"builds_after_save"`
	// ReadyMS is the new version's start → ready time that ginhotd logged.
	ReadyMS int64 `json:"ready_ms"`
}

// TypingRun is one run of the typing row: keystrokes with pauses, no save.
type TypingRun struct {
	Keys      int     `json:"keys"`
	Pauses    int     `json:"pauses"`
	DurationS float64 `json:"duration_s"` // first keystroke → last
	// Started and Completed count the builds that started while typing
	// (before the last keystroke), CPUS their CPU seconds.
	Started   int     `json:"builds_started"`
	Completed int     `json:"builds_completed"`
	CPUS      float64 `json:"builds_cpu_s"`
	// Trail* are the builds after the last keystroke, until the session
	// settled (the prepared build of the final text).
	TrailStarted   int     `json:"trail_builds_started"`
	TrailCompleted int     `json:"trail_builds_completed"`
	TrailCPUS      float64 `json:"trail_builds_cpu_s"`
	// GinhotdCPUS is ginhotd's own CPU time from the first keystroke until
	// settled (buffer sync, hashing, build bookkeeping).
	GinhotdCPUS float64 `json:"ginhotd_cpu_s"`
}
