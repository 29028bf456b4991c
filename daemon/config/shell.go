package config

import (
	"errors"
	"strconv"
	"strings"
)

// SplitWords splits a command line into words the way a POSIX shell does
// for plain words: single quotes keep everything, double quotes keep all
// but backslash escapes of " \ $ `, and a backslash outside quotes escapes
// the next byte. It expands nothing; a command that needs a shell is
// written as sh -c '…'.
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("a single quote is not closed")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\"\\$`", s[j+1]) >= 0 {
					j++
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New("a double quote is not closed")
			}
			i = j
			inWord = true
		case ch == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("a backslash ends the command")
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// splitCommands splits a shell command list on && and ; outside quotes. ok
// is false when the line uses shell syntax beyond that (pipes, redirects,
// substitutions, variables, ||, background jobs, subshells): such a line is
// kept whole and run by a shell.
func splitCommands(s string) (parts []string, ok bool) {
	start := 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, false
			}
			i += end + 1
		case '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				switch s[j] {
				case '\\':
					j++
				case '$', '`':
					return nil, false
				}
			}
			if j >= len(s) {
				return nil, false
			}
			i = j
		case '\\':
			i++
		case ';':
			parts = append(parts, s[start:i])
			start = i + 1
		case '&':
			if i+1 >= len(s) || s[i+1] != '&' {
				return nil, false
			}
			parts = append(parts, s[start:i])
			i++
			start = i + 1
		case '|', '<', '>', '`', '$', '(', ')', '\n', '*', '?', '~', '{', '[', '#':
			return nil, false
		}
	}
	parts = append(parts, s[start:])
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, len(out) > 0
}

// tomlList writes ss as a TOML array of strings.
func tomlList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// joinWords joins words into a command line that SplitWords splits back.
func joinWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
