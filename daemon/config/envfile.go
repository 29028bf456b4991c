package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// envName matches a variable name in a .env file.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// LoadEnvFiles reads .env files (relative to dir) and returns their
// variables as NAME=value, later definitions winning, in the order names
// first appear. A file that does not exist is skipped.
//
// The format is the common one: NAME=value lines, blank lines and # comments,
// an optional "export " prefix; unquoted values end at " #"; 'single quoted'
// values are literal; "double quoted" values take \n \r \t \" \\ \$ escapes;
// both quotes may span lines. $NAME and ${NAME} in unquoted and double-quoted
// values expand to a variable defined before (in these files) or, failing
// that, in the process environment. A fault names the file and line.
func LoadEnvFiles(dir string, files []string) ([]string, error) {
	vals := map[string]string{}
	var order []string
	for _, f := range files {
		name := f
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("config: env file: %w", err)
		}
		if err := parseEnv(string(b), f, vals, &order); err != nil {
			return nil, err
		}
	}
	out := make([]string, len(order))
	for i, k := range order {
		out[i] = k + "=" + vals[k]
	}
	return out, nil
}

func parseEnv(s, file string, vals map[string]string, order *[]string) error {
	s = strings.TrimPrefix(strings.ReplaceAll(s, "\r\n", "\n"), "\ufeff")
	line := 1
	fail := func(l int, format string, a ...any) error {
		return fmt.Errorf("config: %s:%d: %s", file, l, fmt.Sprintf(format, a...))
	}
	for len(s) > 0 {
		cur, rest, _ := strings.Cut(s, "\n")
		start := line
		t := strings.TrimSpace(cur)
		if t == "" || strings.HasPrefix(t, "#") {
			s, line = rest, line+1
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		key, val, ok := strings.Cut(t, "=")
		key = strings.TrimSpace(key)
		if !ok {
			return fail(start, "want NAME=value, found %s", quote(t))
		}
		if !envName.MatchString(key) {
			return fail(start, "%s is not a variable name", quote(key))
		}
		val = strings.TrimLeft(val, " \t")
		// A quoted value may go on past this line: reparse from the
		// value's start in the whole remaining text.
		valStart := strings.Index(cur, "=") + 1
		valStart += len(s[valStart:]) - len(strings.TrimLeft(s[valStart:], " \t"))
		var value string
		switch {
		case strings.HasPrefix(val, "'") || strings.HasPrefix(val, `"`):
			q := val[0]
			body := s[valStart+1:]
			end, v, err := scanQuoted(body, q, func(n string) (string, bool) { return lookupEnv(vals, n) })
			if err != nil {
				return fail(start, "%s", err)
			}
			value = v
			after := body[end+1:]
			tail, next, _ := strings.Cut(after, "\n")
			if tt := strings.TrimSpace(tail); tt != "" && !strings.HasPrefix(tt, "#") {
				return fail(start+strings.Count(body[:end], "\n"), "unexpected %s after the closing quote", quote(tt))
			}
			line += strings.Count(body[:end], "\n") + 1
			s = next
			if !strings.Contains(after, "\n") {
				s = ""
			}
		default:
			if i := strings.Index(val, " #"); i >= 0 {
				val = val[:i]
			} else if i := strings.Index(val, "\t#"); i >= 0 {
				val = val[:i]
			}
			value = expandEnv(strings.TrimSpace(val), vals)
			s, line = rest, line+1
		}
		if _, seen := vals[key]; !seen {
			*order = append(*order, key)
		}
		vals[key] = value
	}
	return nil
}

// scanQuoted reads a value up to the closing quote q and returns the index
// of that quote in s and the value.
func scanQuoted(s string, q byte, lookup func(string) (string, bool)) (int, string, error) {
	if q == '\'' {
		end := strings.IndexByte(s, '\'')
		if end < 0 {
			return 0, "", errors.New("a single quote is not closed")
		}
		return end, s[:end], nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i, expand(b.String(), lookup), nil
		case '\\':
			if i+1 >= len(s) {
				break
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '$':
				// An escaped $ must survive expansion.
				b.WriteString("\x00$")
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return 0, "", errors.New("a double quote is not closed")
}

func lookupEnv(vals map[string]string, name string) (string, bool) {
	if v, ok := vals[name]; ok {
		return v, true
	}
	return os.LookupEnv(name)
}

func expandEnv(s string, vals map[string]string) string {
	return expand(s, func(n string) (string, bool) { return lookupEnv(vals, n) })
}

// expand replaces $NAME and ${NAME}; "\x00$" is a literal $.
func expand(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 && i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		name, width := "", 0
		if s[i+1] == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			name, width = s[i+2:i+2+end], end+3
		} else {
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || j > i+1 && s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name, width = s[i+1:j], j-i
		}
		if name == "" {
			b.WriteByte(c)
			continue
		}
		v, _ := lookup(name)
		b.WriteString(v)
		i += width - 1
	}
	return b.String()
}
