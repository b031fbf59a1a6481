package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// ConsoleConfig configures console logins.
type ConsoleConfig struct {
	// SessionKey (at least 32 bytes) derives the cookie signing and
	// encryption keys and the CSRF key.
	SessionKey []byte
	// IdleTimeout ends a session nobody used for that long; MaxAge ends
	// every session that old.
	IdleTimeout time.Duration
	MaxAge      time.Duration
	// SecureCookies marks cookies Secure even on plain HTTP requests (a
	// TLS-terminating proxy in front); TLS requests always get Secure.
	SecureCookies bool
	// ProxyHeader, when set, names the header a trusted SSO proxy puts the
	// user's email in; it is believed only from ProxyCIDRs.
	ProxyHeader string
	ProxyCIDRs  []netip.Prefix
	// Failed logins allowed per LoginWindow, per account and per address.
	LoginLimitPerAccount int
	LoginLimitPerIP      int
	LoginWindow          time.Duration
}

// consoleStore is what console logins need.
type consoleStore interface {
	UserByEmail(ctx context.Context, email string) (store.User, error)
	CreateSession(ctx context.Context, u store.User, maxAge time.Duration, ip, userAgent string) (string, store.Session, error)
	SessionUser(ctx context.Context, token string, idle time.Duration) (store.User, store.Session, error)
	EndSession(ctx context.Context, token, actor string) error
	RecordLoginFailure(ctx context.Context, email, ip, reason string) error
	LoginFailures(ctx context.Context, email, ip string, since time.Time) (int, int, time.Time, error)
}

// Cookie and field names.
const (
	sessionCookie  = "newsintel_session"
	loginCookie    = "newsintel_login" // the login form's CSRF nonce
	csrfField      = "csrf_token"
	HeaderCSRF     = "X-CSRF-Token"
	echoUserKey    = "console-user"
	consoleLogin   = "/console/login"
	sessionTokenID = "t"
)

// ConsoleUser is who is using the console, as handlers and views see it.
type ConsoleUser struct {
	Email string
	Role  string
	// CSRF is the token state-changing requests must carry.
	CSRF string
	// token is the session token; empty under proxy SSO.
	token string
}

// Can reports whether the user holds one of roles; admins can do anything.
func (u *ConsoleUser) Can(roles ...string) bool {
	return u != nil && (u.Role == store.RoleAdmin || slices.Contains(roles, u.Role))
}

// consoleUser returns the request's console user, or nil.
func consoleUser(c echo.Context) *ConsoleUser {
	u, _ := c.Get(echoUserKey).(*ConsoleUser)
	return u
}

// consoleKeys are the keys derived from the session key.
type consoleKeys struct {
	cookies *sessions.CookieStore
	csrf    []byte
}

func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func newConsoleKeys(cfg ConsoleConfig) consoleKeys {
	// Signed with one key and encrypted (AES-256) with another, so the
	// cookie can be neither read nor forged.
	cs := sessions.NewCookieStore(derive(cfg.SessionKey, "cookie-hash"), derive(cfg.SessionKey, "cookie-block"))
	cs.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(cfg.MaxAge.Seconds())}
	cs.MaxAge(int(cfg.MaxAge.Seconds()))
	return consoleKeys{cookies: cs, csrf: derive(cfg.SessionKey, "csrf")}
}

// csrfToken binds a token to a session (or a proxy user): it is useless
// to anyone who cannot read the victim's pages.
func (k consoleKeys) csrfToken(binding string) string {
	m := hmac.New(sha256.New, k.csrf)
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) secureRequest(r *http.Request) bool {
	return r.TLS != nil || s.cfg.Console.SecureCookies
}

// proxyUser returns the email a trusted SSO proxy vouches for, if the
// request came from one.
func (s *Server) proxyUser(r *http.Request) string {
	if s.cfg.Console.ProxyHeader == "" {
		return ""
	}
	email := strings.TrimSpace(r.Header.Get(s.cfg.Console.ProxyHeader))
	if email == "" {
		return ""
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	for _, p := range s.cfg.Console.ProxyCIDRs {
		if p.Contains(ip.Unmap()) {
			return email
		}
	}
	return ""
}

// authenticate finds the console user of a request, or nil.
func (s *Server) authenticate(c echo.Context) (*ConsoleUser, error) {
	ctx := c.Request().Context()
	if email := s.proxyUser(c.Request()); email != "" {
		u, err := s.store.UserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled()) {
			return nil, &Error{Status: http.StatusForbidden, Code: "forbidden",
				Message: "the sign-on proxy vouches for " + email + ", who has no enabled console account; ask an admin to add one"}
		}
		if err != nil {
			return nil, err
		}
		return &ConsoleUser{Email: u.Email, Role: u.Role, CSRF: s.keys.csrfToken("proxy:" + u.Email)}, nil
	}
	sess, err := s.keys.cookies.Get(c.Request(), sessionCookie)
	if err != nil { // a cookie from an older key, or tampered with
		return nil, nil
	}
	token, _ := sess.Values[sessionTokenID].(string)
	if token == "" {
		return nil, nil
	}
	u, _, err := s.store.SessionUser(ctx, token, s.cfg.Console.IdleTimeout)
	if errors.Is(err, store.ErrSessionEnded) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &ConsoleUser{Email: u.Email, Role: u.Role, CSRF: s.keys.csrfToken("session:" + token), token: token}, nil
}

// requireUser guards console routes: it finds the user, checks the role on
// the server, and checks the CSRF token on every state-changing request,
// HTMX ones included.
func (s *Server) requireUser(roles []string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := s.authenticate(c)
			if err != nil {
				return err
			}
			req := c.Request()
			if u == nil {
				return s.loginRequired(c)
			}
			// Known before the role check, so that even a 403 page shows the
			// sidebar and a way to log out.
			c.Set(echoUserKey, u)
			if !u.Can(roles...) {
				return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: forbiddenMessage(u, roles)}
			}
			if !safeMethod(req.Method) {
				given := req.Header.Get(HeaderCSRF)
				if given == "" {
					given = c.FormValue(csrfField)
				}
				if subtle.ConstantTimeCompare([]byte(given), []byte(u.CSRF)) != 1 {
					return &Error{Status: http.StatusForbidden, Code: "csrf",
						Message: "the form has expired or did not come from this console; reload the page and try again"}
				}
			}
			return next(c)
		}
	}
}

// forbiddenMessage says which roles a page needs and which one the user
// has, so they know whom to ask. Admins may open every page.
func forbiddenMessage(u *ConsoleUser, roles []string) string {
	needs := make([]string, 0, len(roles)+1)
	for _, r := range roles {
		if r != store.RoleAdmin {
			needs = append(needs, r)
		}
	}
	needs = append(needs, store.RoleAdmin)
	return fmt.Sprintf("this page needs the %s role; you are logged in as %s with the %s role, so ask an admin for access",
		orList(needs), u.Email, u.Role)
}

// orList joins words as "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
