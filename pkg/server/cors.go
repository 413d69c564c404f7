package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

const codeCORSForbidden = "cors_forbidden"

// ParseOrigin checks a --cors-origin value and returns it in the form
// browsers send in the Origin header: "*", or scheme://host[:port] in lower
// case without a trailing slash.
func ParseOrigin(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "*" {
		return s, nil
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("CORS origin %q is not an origin: want scheme://host[:port] such as https://example.org, or * for any site", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// cors lets the browsers of the listed origins read the API's answers, so
// that the related-papers widget works on their pages. Only the read routes
// are shared: GET and HEAD anywhere, and POST /v1/search, /v1/similar and
// /v1/recommend.
// Writes (POST /v1/papers, DELETE) stay same-origin, so no allowed site can
// change the index from a visitor's browser. With no origins, no cross-origin
// request is allowed; same-origin requests never need CORS.
type cors struct {
	any     bool
	origins map[string]bool
}

func newCORS(origins []string) *cors {
	c := &cors{origins: map[string]bool{}}
	for _, o := range origins {
		o, err := ParseOrigin(o)
		switch {
		case err != nil: // the CLI checks values with ParseOrigin; ignore what cannot match
		case o == "*":
			c.any = true
		default:
			c.origins[o] = true
		}
	}
	return c
}

// shared reports whether a request with this method on this path may be
// made cross-origin.
func shared(method, path string) bool {
	switch method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		return path == "/v1/search" || path == "/v1/similar" || path == "/v1/recommend"
	}
	return false
}

// handle is the gin middleware. It answers preflight requests itself.
func (p *cors) handle(s *server) gin.HandlerFunc {
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" {
			c.Next()
			return
		}
		h := c.Writer.Header()
		if !p.any {
			h.Add("Vary", "Origin")
		}
		allowed := p.any || p.origins[strings.ToLower(origin)]
		wanted := c.GetHeader("Access-Control-Request-Method")
		if c.Request.Method == http.MethodOptions && wanted != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			switch {
			case !allowed:
				s.fail(c, http.StatusForbidden, codeCORSForbidden, "the site "+origin+" may not call this API: start paperlens serve with --cors-origin "+origin+" (or PAPERLENS_CORS_ORIGINS) to allow it")
			case !shared(wanted, c.Request.URL.Path):
				s.fail(c, http.StatusForbidden, codeCORSForbidden, wanted+" "+c.Request.URL.Path+" is not open to other sites: only GET, and POST /v1/search, /v1/similar and /v1/recommend are")
			default:
				p.allow(h, origin)
				h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST")
				h.Set("Access-Control-Allow-Headers", "Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				c.AbortWithStatus(http.StatusNoContent)
			}
			return
		}
		if allowed && shared(c.Request.Method, c.Request.URL.Path) {
			p.allow(h, origin)
		}
		c.Next()
	}
}

func (p *cors) allow(h http.Header, origin string) {
	if p.any {
		h.Set("Access-Control-Allow-Origin", "*")
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
}
