package session

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// maxPortTries bounds how many ports above a taken default port are tried.
const maxPortTries = 20

// claim claims the public address host:port for t (see [Session.listen]).
// When the address is ginhotd's default (config's AddrAuto) and the port is
// taken, by another project's daemon or any dev server, it takes the next
// free port and says so, as dev servers such as Vite do; the status carries
// the URL t got. An address the user chose is claimed as it is, or fails.
func (s *Session) claim(t *target, host string, port int) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if !s.cfg.AddrAuto || port == 0 {
		return s.listen(t, addr)
	}
	var err error
	for p := port; p < port+maxPortTries && p <= 65535; p++ {
		next := net.JoinHostPort(host, strconv.Itoa(p))
		if err = s.claimFree(t, next); err == nil {
			if p != port {
				s.emit(Event{Kind: KindWarn, Target: t.t.Name, Message: fmt.Sprintf("%s is in use (another ginhotd or dev server?): serving %s at %s instead; pick an address with --addr", addr, t.t.Name, t.url)})
			}
			return nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return err
		}
	}
	return err
}

// claimFree claims addr for t; in the mode where the app binds the address
// itself, it first checks that nothing listens there.
func (s *Session) claimFree(t *target, addr string) error {
	if !s.cfg.Proxy && !s.cfg.SocketActivation {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("session: listen on %s: %w", addr, err)
		}
		_ = ln.Close()
	}
	return s.listen(t, addr)
}
