// Package term is the terminal presenter room: [Printer] turns a session's
// events into short coloured status lines (or one JSON object per line), and
// [Keys] reads single key presses (r, b, q) from an interactive terminal.
//
// It holds no build or process state and must not call into the session
// except through the commands its caller wires to keys.
package term
