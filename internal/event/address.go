package event

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/apperr"
)

// MaxURLLength bounds a subscription's URL, as browsers and proxies
// commonly do.
const MaxURLLength = 2048

// blockedPrefixes are the networks a subscription must never reach: a
// webhook would otherwise let a tenant make the server call its own
// neighbours. Loopback, private, link-local, multicast and unspecified
// addresses are refused by netip's own tests; these are the rest.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 (RFC 6052): reaches any IPv4 address, private ones too
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("2002::/16"),      // 6to4, which embeds an IPv4 address
	netip.MustParsePrefix("fc00::/7"),       // unique local
	netip.MustParsePrefix("fec0::/10"),      // site-local, deprecated
}

// Blocked reports whether a webhook must not connect to addr.
func Blocked(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// errPrivate refuses addresses a subscription must not reach.
var errPrivate = errors.New("the address is on a private or loopback network")

// checkDial is the delivery dialer's check of the address it is about to
// connect to, after DNS: a name that resolved to a public address when
// the subscription was made may resolve to a private one now (DNS
// rebinding), so the check that counts is this one.
func checkDial(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || Blocked(addr) {
		return errPrivate
	}
	return nil
}

// checkURL validates a subscription's URL when it is made: an absolute
// https URL (http too when private networks are allowed) of at most
// MaxURLLength characters, whose host resolves, and only to addresses a
// delivery may reach. Delivery checks the address again as it connects.
func (w *Webhooks) checkURL(ctx context.Context, rawURL string) error {
	fe := func(format string, args ...any) error {
		var f apperr.Fields
		f.Add("url", format, args...)
		return f.Err()
	}
	if rawURL == "" {
		return fe("is required")
	}
	if len(rawURL) > MaxURLLength {
		return fe("must be at most %d characters", MaxURLLength)
	}
	u, err := url.Parse(rawURL)
	switch {
	case (err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http")) && !w.AllowPrivateNetworks:
		return fe("must be a full https:// address, such as https://example.com/hooks")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fe("must be a full https:// address, such as https://example.com/hooks (http:// is accepted too while private networks are allowed, in development)")
	case u.Scheme == "http" && !w.AllowPrivateNetworks:
		return fe("must use https://: deliveries are signed, and the receiver's answer must not be readable on the way")
	case u.User != nil:
		return fe("must not carry a user name or password")
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err = net.DefaultResolver.LookupNetIP(lctx, "ip", strings.TrimSuffix(host, "."))
		if err != nil || len(addrs) == 0 {
			return fe("the host %q does not resolve", host)
		}
	}
	if w.AllowPrivateNetworks {
		return nil
	}
	for _, a := range addrs {
		if Blocked(a) {
			return fe("the host %q is on a private, loopback, link-local, shared (CGNAT) or NAT64 network, which webhooks may not reach", host)
		}
	}
	return nil
}
