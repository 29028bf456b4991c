//go:build !linux

package run

import (
	"errors"
	"syscall"
)

// appProc is the app Delve started; debug mode is Linux-only, so there is
// never one here.
type appProc struct{ pid int }

func (a *appProc) alive() bool                  { return false }
func (a *appProc) signal(syscall.Signal) error  { return nil }
func (a *appProc) waitGone(<-chan struct{})     {}
func findApp(int, string) *appProc              { return nil }
func connectedClients(int, string) (int, error) { return 0, errors.ErrUnsupported }

// debugSupported: telling Delve's child apart needs /proc.
const debugSupported = false
