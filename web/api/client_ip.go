package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type clientIPKey struct{}

// WithClientIP returns ctx carrying the client's address as the server
// decided it (see ClientIP).
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// clientIP is the address a request came from, as recorded with a
// registration or a session: the one the server's middleware decided,
// else the connection's peer. X-Forwarded-For alone is never believed.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok && ip != "" {
		return ip
	}
	if a := peerAddr(r); a.IsValid() {
		return a.String()
	}
	return r.RemoteAddr
}

// ClientIP is the client's address: the connection's peer, unless the
// peer is one of the trusted proxies, in which case X-Forwarded-For is
// walked from the right (each proxy appends the address it was reached
// from) past the trusted hops to the first that is not one. The hops left
// of it were written by the client itself and are not believed.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := peerAddr(r)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // garbage: the client's own writing; keep the last sure hop
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client.String()
}

func peerAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// FromTrustedProxy reports whether r's connection comes from one of the
// trusted proxies: only then is what the request says about where it came
// from (X-Forwarded-For, a traceparent to continue) believed.
func FromTrustedProxy(r *http.Request, trusted []netip.Prefix) bool {
	peer := peerAddr(r)
	return peer.IsValid() && isTrusted(peer, trusted)
}
