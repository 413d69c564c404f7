package server

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

const (
	codeCrossSiteWrite     = "cross_site_write"
	codeMisdirectedRequest = "misdirected_request"
)

// hosts answers 421 to a request whose Host header names neither this
// machine (localhost, a name under .localhost, a loopback address) nor one
// of the allowed names. A server listening on loopback checks it: a page
// on another site whose name the attacker's DNS points at 127.0.0.1 (DNS
// rebinding) reaches the server as that site, so the browser lets the
// page read and write as if it were this server's own, but its requests
// still name that site.
type hosts struct {
	allowed map[string]bool
}

func newHosts(allowed []string) *hosts {
	h := &hosts{allowed: map[string]bool{}}
	for _, a := range allowed {
		if a = hostName(a); a != "" {
			h.allowed[a] = true
		}
	}
	return h
}

// hostName is the name of a Host header or --allowed-host value: without
// the port, the brackets of an IPv6 address or a final dot, in lower case.
func hostName(hostport string) string {
	host := strings.TrimSpace(hostport)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	return strings.ToLower(host)
}

// IsLoopbackHost reports whether host (a name or address, with or without
// a port) names this machine alone: localhost, a name under .localhost
// (RFC 6761), or a loopback address.
func IsLoopbackHost(host string) bool {
	host = hostName(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handle is the gin middleware.
func (h *hosts) handle(s *server) gin.HandlerFunc {
	return func(c *gin.Context) {
		host := c.Request.Host
		if IsLoopbackHost(host) || h.allowed[hostName(host)] {
			c.Next()
			return
		}
		s.fail(c, http.StatusMisdirectedRequest, codeMisdirectedRequest,
			"this server answers requests for localhost only, not for the host "+quoteShort(host)+": if that name is this server's (behind a proxy, say), start paperlens serve with --allowed-host "+quoteShort(hostName(host))+" (or PAPERLENS_ALLOWED_HOSTS)")
	}
}

// crossSite refuses, with 403, a write sent by a browser from a page that
// is not this server's own: Sec-Fetch-Site says cross-site or same-site,
// or, from a browser too old to send it, Origin names another host. A
// form or a fetch on any site can send a POST without a preflight, so the
// CORS settings alone do not stop it; with no key set, this does.
// Programs (curl, scripts) send neither header and pass.
func (s *server) crossSite(c *gin.Context) {
	if err := s.sameOrigin.Check(c.Request); err != nil {
		from := c.GetHeader("Origin")
		if from == "" {
			from = "a " + c.GetHeader("Sec-Fetch-Site") + " page"
		}
		s.fail(c, http.StatusForbidden, codeCrossSiteWrite,
			"writes are accepted from this server's own pages and from programs, not from the pages of other sites (this one came from "+quoteShort(from)+"): send it from a program such as curl, with the API key if one is set")
		return
	}
	c.Next()
}

// noSniff tells browsers to take every answer for the type it says, so an
// answer that echoes a client's text is never run as a script or page.
func noSniff(c *gin.Context) {
	c.Header("X-Content-Type-Options", "nosniff")
	c.Next()
}

// quoteShort quotes s for a message, cut to 100 bytes: a header may be
// long, and the message need not carry all of it.
func quoteShort(s string) string {
	const max = 100
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}
