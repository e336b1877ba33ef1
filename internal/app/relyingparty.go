package app

import (
	"net"
	"net/url"
)

// RelyingParty derives the WebAuthn relying party (auth.Options RPID and
// RPOrigins) from the address the server listens on, for when no public URL
// is configured.
//
// Passkeys are bound to a host name, and WebAuthn refuses an IP address as
// the RP id: a server on loopback (127.0.0.1, ::1, localhost) is therefore
// offered passkeys as localhost, which browsers treat as a secure context
// even over plain HTTP. People who open http://127.0.0.1:PORT can still sign
// in with a code; the passkey buttons appear on http://localhost:PORT. A
// host name in the address is used as it is. Anything else (0.0.0.0, a bare
// IP address) and a server behind a reverse proxy, whose public host name
// the address does not tell, get "" and nil: passkeys are off.
//
// A configured public URL (--public-url) wins: its host is the RP id and its
// origin the only origin.
func RelyingParty(publicURL, addr string, tls, behindProxy bool) (rpID string, origins []string) {
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
			return "", nil
		}
		return u.Hostname(), []string{u.Scheme + "://" + u.Host}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || behindProxy {
		return "", nil
	}
	ip := net.ParseIP(host)
	switch {
	case host == "localhost" || (ip != nil && ip.IsLoopback()):
		host = "localhost"
	case host == "" || ip != nil:
		return "", nil
	}
	scheme, defaultPort := "http", "80"
	if tls {
		scheme, defaultPort = "https", "443"
	}
	origin := scheme + "://" + host
	if port != defaultPort {
		origin += ":" + port
	}
	return host, []string{origin}
}
