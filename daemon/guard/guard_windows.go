//go:build windows

package guard

import (
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// job is the process-wide kill-on-close job, created once.
var job struct {
	once sync.Once
	h    windows.Handle
	err  error
}

// Guard stands for the daemon's Job object. Its methods do nothing: every
// child joins the job on its own.
type Guard struct{}

// Start puts the daemon in a Job object that kills every process in it when
// the daemon exits or dies. The job is made once per daemon process and its
// handle kept open until the process ends; logf is not used.
func Start(func(format string, args ...any)) (*Guard, error) {
	job.once.Do(func() { job.h, job.err = killOnCloseJob() })
	if job.err != nil {
		return nil, job.err
	}
	return &Guard{}, nil
}

// killOnCloseJob creates the job and assigns the current process to it.
func killOnCloseJob() (windows.Handle, error) {
	h, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("guard: create job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(h, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(h)
		return 0, fmt.Errorf("guard: set job limits: %w", err)
	}
	if err := windows.AssignProcessToJobObject(h, windows.CurrentProcess()); err != nil {
		windows.CloseHandle(h)
		return 0, fmt.Errorf("guard: join job object: %w", err)
	}
	return h, nil
}

// Add does nothing: children join the daemon's job when they start.
func (g *Guard) Add(int) {}

// Remove does nothing.
func (g *Guard) Remove(int) {}

// Close does nothing: the job ends with the daemon process, whose other
// sessions may still run.
func (g *Guard) Close() error { return nil }
