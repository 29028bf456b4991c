package lsp

import (
	"context"
	"slices"
	"sync"

	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/session"
)

// hub shares one session per workspace folder among the connections of a
// listener (`ginhotd --listen`): a second editor window on a folder that
// another connection already runs joins that session, and gets its status,
// diagnostics, app output and commands, instead of starting a second
// session that fights the first for the address. A shared session runs
// until the last connection using it leaves, or the listener stops.
type hub struct {
	base context.Context // the listener's: shared sessions outlive the connection that started them
	wg   sync.WaitGroup  // shared sessions still running

	mu      sync.Mutex
	folders map[string]*shared // by the folder's real path
}

func newHub(base context.Context) *hub {
	return &hub{base: base, folders: map[string]*shared{}}
}

// shared is one session and the connections' presenters it reports to.
type shared struct {
	key        string // the folder's real path
	sess       *session.Session
	fan        *fanout
	complement bool // the diagnostics setting it runs with
	cancel     context.CancelFunc
	done       chan struct{} // closed when Run has returned
	users      int           // folders of connections using it; guarded by hub.mu
}

// join runs f, a folder of server s, on the shared session of its
// directory, starting that session if no connection runs it. Call it under
// s.mu, like startLocked.
func (h *hub) join(s *server, f *folder) {
	sh, err := h.claim(s, f)
	if err != nil {
		close(f.done)
		s.report(f, err)
		return
	}
	// Not under h.mu: the fan-out's lock is taken by the session's events,
	// which take the lock of the server each presenter belongs to.
	f.pres.complement = sh.complement
	f.sess = sh.sess
	sh.fan.add(f.pres, func(err error) { s.report(f, err) })
	done := f.done
	var once sync.Once
	f.cancel = func() {
		once.Do(func() { go h.leave(sh, f.pres, done) })
	}
}

// claim returns the shared session of f's directory, counting f as one of
// its users, and starts it if no connection runs it.
func (h *hub) claim(s *server, f *folder) (*shared, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	key := f.root.real
	sh := h.folders[key]
	if sh == nil {
		cfg, err := config.Load(f.root.path, s.opts.ConfigFile, s.overridesLocked())
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithCancel(h.base)
		sh = &shared{key: key, fan: &fanout{}, complement: cfg.Diagnostics == "complement", cancel: cancel, done: make(chan struct{})}
		sh.sess = session.New(cfg, sh.fan)
		h.folders[key] = sh
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			err := sh.sess.Run(ctx)
			h.mu.Lock()
			if h.folders[key] == sh {
				delete(h.folders, key)
			}
			h.mu.Unlock()
			if ctx.Err() != nil {
				err = nil
			}
			sh.fan.end(err)
			close(sh.done)
		}()
	} else {
		s.logf("lsp: workspace folder %s is already run by another connection: sharing its session (with that connection's settings)", f.root.path)
	}
	sh.users++
	return sh, nil
}

// leave detaches pres from sh, stops sh when no connection uses it any
// more, and then closes done.
func (h *hub) leave(sh *shared, pres *presenter, done chan struct{}) {
	defer close(done)
	sh.fan.remove(pres)
	h.mu.Lock()
	sh.users--
	last := sh.users == 0
	if last && h.folders[sh.key] == sh {
		delete(h.folders, sh.key)
	}
	h.mu.Unlock()
	if last {
		sh.cancel()
		<-sh.done
	}
}

// wait blocks until every shared session has stopped its apps.
func (h *hub) wait() { h.wg.Wait() }

// fanout is the [session.Notifier] of a shared session: it passes each
// event to the presenter of every connection using the session, and
// replays the last status and diagnostics to a presenter that joins.
type fanout struct {
	mu     sync.Mutex
	pres   []*presenter
	report []func(error) // how to tell each presenter's user that the session ended with an error
	status *session.Event
	diags  *session.Event
}

// Notify implements [session.Notifier].
func (fo *fanout) Notify(e session.Event) {
	fo.mu.Lock()
	defer fo.mu.Unlock()
	switch e.Kind {
	case session.KindStatus:
		fo.status = &e
	case session.KindDiagnostics:
		fo.diags = &e
	}
	for _, p := range fo.pres {
		p.Notify(e)
	}
}

// add attaches p, which learns the current status and diagnostics at once.
func (fo *fanout) add(p *presenter, report func(error)) {
	fo.mu.Lock()
	defer fo.mu.Unlock()
	fo.pres = append(fo.pres, p)
	fo.report = append(fo.report, report)
	for _, e := range []*session.Event{fo.status, fo.diags} {
		if e != nil {
			p.Notify(*e)
		}
	}
}

// remove detaches p and closes it; what it published stays with its
// client until the connection ends.
func (fo *fanout) remove(p *presenter) {
	fo.mu.Lock()
	defer fo.mu.Unlock()
	if i := slices.Index(fo.pres, p); i >= 0 {
		fo.pres = slices.Delete(fo.pres, i, i+1)
		fo.report = slices.Delete(fo.report, i, i+1)
		p.close()
	}
}

// end closes every presenter still attached, after the session returned
// err (reported to each when not nil).
func (fo *fanout) end(err error) {
	fo.mu.Lock()
	defer fo.mu.Unlock()
	for i, p := range fo.pres {
		p.close()
		if err != nil {
			fo.report[i](err)
		}
	}
	fo.pres, fo.report = nil, nil
}
