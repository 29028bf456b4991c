package run

import (
	"strconv"
	"strings"
)

// Panic describes a crash of a Go program found in its output.
type Panic struct {
	Message string // the panic value or fatal error, e.g. "runtime error: index out of range [3] with length 1"
	File    string // absolute file of the first frame in the workspace; "" if none
	Line    int    // line in File; 0 if none
	Stack   string // the header and the stack of the crashing goroutine
}

// ParsePanic looks for the trace a Go program prints when it dies of a
// panic ("panic: …") or a fatal runtime error ("fatal error: …") in lines,
// typically [Process.Tail]. It returns the last such trace and true, or false
// if there is none. File and Line are those of the first frame of the
// crashing goroutine whose file satisfies inWorkspace (any file if
// inWorkspace is nil), which skips runtime and module-cache frames.
func ParsePanic(lines []string, inWorkspace func(file string) bool) (Panic, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		msg, ok := strings.CutPrefix(lines[i], "panic: ")
		if !ok {
			msg, ok = strings.CutPrefix(lines[i], "fatal error: ")
		}
		if !ok {
			continue
		}
		if p, ok := parseTrace(lines[i:], msg, inWorkspace); ok {
			return p, true
		}
	}
	return Panic{}, false
}

// parseTrace reads a trace starting at its header line lines[0], whose text
// after "panic: " is msg. It fails if no goroutine stack follows.
func parseTrace(lines []string, msg string, inWorkspace func(string) bool) (Panic, bool) {
	j := 1
	// The message may go on ("[signal SIGSEGV …]", nested panics,
	// multi-line values) until a blank line or the first goroutine.
	for ; j < len(lines) && lines[j] != "" && !isGoroutine(lines[j]); j++ {
		msg += "\n" + lines[j]
	}
	for j < len(lines) && lines[j] == "" {
		j++
	}
	if j == len(lines) || !isGoroutine(lines[j]) {
		return Panic{}, false
	}
	p := Panic{Message: msg}
	end := j + 1
	for ; end < len(lines) && lines[end] != ""; end++ {
		file, line, ok := frameFile(lines[end])
		if ok && p.File == "" && (inWorkspace == nil || inWorkspace(file)) {
			p.File, p.Line = file, line
		}
	}
	p.Stack = strings.Join(lines[:end], "\n")
	return p, true
}

// isGoroutine reports whether line starts a goroutine's stack
// ("goroutine 1 [running]:").
func isGoroutine(line string) bool {
	return strings.HasPrefix(line, "goroutine ") && strings.HasSuffix(line, ":")
}

// frameFile parses a frame's position line, "\t/abs/file.go:12 +0x1d".
func frameFile(line string) (string, int, bool) {
	rest, ok := strings.CutPrefix(line, "\t")
	if !ok {
		return "", 0, false
	}
	if i := strings.LastIndex(rest, " +0x"); i >= 0 {
		rest = rest[:i]
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return rest[:i], n, true
}
