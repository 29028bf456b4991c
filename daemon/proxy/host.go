package proxy

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// OwnPrefix is the path prefix of the proxy's own endpoints, such as
// [EventsPath]. They answer only requests whose Host (and Origin, when
// there is one) names this machine; see [Proxy.foreign].
const OwnPrefix = "/__ginhot/"

// foreign returns why r may not see the proxy's own content, or "" when it
// may. A page of another site that rebinds its DNS name to 127.0.0.1 (DNS
// rebinding) reaches the proxy with its own name in Host; its script could
// otherwise read build errors (file paths, lines of code) from the events
// stream or the 502 page. Allowed are localhost and names under .localhost,
// loopback addresses, and the host of [Options.PublicAddr]; with a public
// address on every interface (0.0.0.0, [::]), any IP address too: a
// rebinding page always has a name, never an address.
func (p *Proxy) foreign(r *http.Request) string {
	if !p.ownHost(hostOnly(r.Host)) {
		return fmt.Sprintf("ginhotd: refused Host %q: %s answers only localhost, loopback addresses and %s (a guard against DNS rebinding)", r.Host, OwnPrefix, p.publicName())
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	if u, err := url.Parse(origin); err == nil && (u.Scheme == "http" || u.Scheme == "https") && p.ownHost(hostOnly(u.Host)) {
		return ""
	}
	return fmt.Sprintf("ginhotd: refused Origin %q: %s answers only pages of localhost, loopback addresses and %s (a guard against DNS rebinding)", origin, OwnPrefix, p.publicName())
}

// ownHost reports whether host (without port) names this machine as
// [Proxy.foreign] allows.
func (p *Proxy) ownHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	public := strings.TrimSuffix(strings.ToLower(p.publicHost), ".")
	if host == public {
		return true
	}
	if ip != nil {
		pub := net.ParseIP(public)
		return public == "" || pub != nil && pub.IsUnspecified()
	}
	return false
}

// publicName names the configured public host for messages.
func (p *Proxy) publicName() string {
	switch h := p.publicHost; {
	case h == "" || net.ParseIP(h) != nil && net.ParseIP(h).IsUnspecified():
		return "this machine's IP addresses"
	case strings.Contains(h, ":"):
		return "[" + h + "]"
	default:
		return h
	}
}

// hostOnly returns the host of a Host header value or URL host ("h:port",
// "[::1]:port", "h", "[::1]"), without brackets.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}
