package session

import "reflect"

// publishStatus recomputes the status and emits it when it changed.
func (s *Session) publishStatus() {
	st := Status{State: StateIdle, Root: s.cfg.Dir, Targets: []TargetStatus{}}
	if s.logFile != nil {
		st.LogFile = s.logFile.Name()
	}
	if s.watcher != nil {
		st.Watch = s.watcher.Mode()
	}
	for _, t := range s.targets {
		ts := TargetStatus{
			Package:    t.t.Path,
			Name:       t.t.Name,
			MainFile:   t.mainFile,
			State:      t.state,
			PID:        t.pid,
			URL:        t.url,
			Generation: t.gen,
			Serving:    t.cur != nil,
			Prepared:   t.cur != nil && t.cur.prepared,
			BuildMs:    t.buildMs,
			Error:      t.err,
		}
		t.debugStatus(&ts)
		st.Targets = append(st.Targets, ts)
		if rank(ts.State) > rank(st.State) {
			st.State = ts.State
		}
	}
	if reflect.DeepEqual(st, s.status) {
		return
	}
	s.status = st
	c := st.clone()
	s.emit(Event{Kind: KindStatus, Status: &c})
}

// clone returns a copy of st that shares nothing with it.
func (st Status) clone() Status {
	st.Targets = append([]TargetStatus{}, st.Targets...)
	return st
}

// rank orders states so that the session's state is its most pressing
// target's.
func rank(s State) int {
	switch s {
	case StateBuilding:
		return 6
	case StateStarting:
		return 5
	case StateFailed:
		return 4
	case StateCrashed:
		return 3
	case StateRunning:
		return 2
	case StateStopped:
		return 1
	}
	return 0
}
