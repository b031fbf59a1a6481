package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// Why the login page was shown, as its reason query parameter says.
const (
	reasonExpired = "expired"
	// expiredNotice is what the login page tells someone whose session
	// ended while they worked.
	expiredNotice = "Your session expired; sign in again to continue where you were."
	// defaultNext is where a login lands without a usable next.
	defaultNext = "/console/"
)

// loginRequired answers a console request that has no live session. It
// sends the browser to the login page with next, the page to come back
// to, which is always a console page a GET can open: never the URL of a
// POST (that would land on a 405 after login), nor that of a fragment.
//
//   - An HTMX request gets 401 with HX-Redirect, since a swap would put
//     the login page inside the page; next is the page it came from
//     (HX-Current-URL), or for a boosted link the page it leads to.
//   - A plain GET is redirected with next = itself.
//   - A browser's form post is redirected with next = the page the form
//     was on (Referer); other clients get 401.
//
// reason=expired tells the login page to say why: every HTMX request and
// form post comes from a console page someone was logged in to, and a GET
// that carries a session cookie had a session that has ended.
func (s *Server) loginRequired(c echo.Context) error {
	req := c.Request()
	htmx := req.Header.Get("HX-Request") == "true"
	var next string
	switch {
	case htmx && req.Header.Get("HX-Boosted") == "true" && safeMethod(req.Method):
		next = s.nextPage(req.URL.RequestURI())
	case htmx:
		next = s.nextPage(sameOriginPath(req.Header.Get("HX-Current-URL"), req.Host))
	case safeMethod(req.Method):
		next = s.nextPage(req.URL.RequestURI())
	default:
		next = s.nextPage(sameOriginPath(req.Referer(), req.Host))
	}
	q := url.Values{"next": {next}}
	_, cookieErr := req.Cookie(sessionCookie)
	expired := htmx || !safeMethod(req.Method) || cookieErr == nil
	if expired {
		q.Set("reason", reasonExpired)
	}
	target := s.echo.Reverse(RouteConsoleLogin) + "?" + q.Encode()
	ended := &Error{Status: http.StatusUnauthorized, Code: "login_required", Message: "log in to the console: there is no session, or it has ended"}
	switch {
	case htmx:
		c.Response().Header().Set("HX-Redirect", target)
		return ended
	case !safeMethod(req.Method) && !wantsHTML(req):
		return ended // a script, not a browser: a redirect would only hide the 401
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// sameOriginPath returns the path and query of an absolute URL from a
// request header (Referer, HX-Current-URL) if it points at this host, and
// "" otherwise. Headers can be forged, so the result still goes through
// nextPage.
func sameOriginPath(raw, host string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || !strings.EqualFold(u.Host, host) {
		return ""
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

// nextPage keeps post-login redirects on this console, on pages a GET
// opens: it returns raw if raw is a local path (no scheme, no host, no
// "//", "\" or control characters, which browsers may read as another
// host) to a console page with a GET route, and defaultNext otherwise. A
// next of "//evil.example" or "https://…" would make the login page an
// open redirect; one of a POST route would land on a 405.
func (s *Server) nextPage(raw string) string {
	if raw == "" || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") ||
		strings.ContainsFunc(raw, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		return defaultNext
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/console/") {
		return defaultNext
	}
	if u.Path == s.echo.Reverse(RouteConsoleLogin) || !s.isConsolePage(u.Path) {
		return defaultNext
	}
	u.Fragment, u.RawFragment = "", ""
	return u.RequestURI()
}

// isConsolePage reports whether a GET of path reaches a console page,
// asking the router itself so that the answer follows the route table.
func (s *Server) isConsolePage(path string) bool {
	c := s.echo.NewContext(nil, nil)
	s.echo.Router().Find(http.MethodGet, path, c)
	return s.getPages[c.Path()]
}
