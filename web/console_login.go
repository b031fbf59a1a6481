package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// MinPasswordLength is the shortest password the console accepts.
const MinPasswordLength = 12

// HashPassword hashes a console password with bcrypt.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("the password is shorter than %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return "", fmt.Errorf("the password is longer than bcrypt's 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the email is unknown, so a failed
// login takes as long whether or not the account exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("newsintel-no-such-user"), bcrypt.DefaultCost)

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) loginPage(c echo.Context) error {
	next := s.nextPage(c.QueryParam("next"))
	if u, err := s.authenticate(c); err == nil && u != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	v := views.LoginView{Next: next}
	if c.QueryParam("reason") == reasonExpired {
		v.Notice = expiredNotice
	}
	return s.renderLogin(c, http.StatusOK, v)
}

// renderLogin shows the form with a fresh nonce cookie: the login form's
// CSRF defence, since there is no session yet to bind a token to.
func (s *Server) renderLogin(c echo.Context, status int, v views.LoginView) error {
	v.Nonce = randomToken()
	v.SSO = s.cfg.Console.ProxyHeader != ""
	c.SetCookie(&http.Cookie{Name: loginCookie, Value: v.Nonce, Path: consoleLogin, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secureRequest(c.Request()), MaxAge: 3600})
	return s.render(c, status, "Log in", views.LoginPage(v))
}

func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	email := store.NormalizeEmail(c.FormValue("email"))
	password := c.FormValue("password")
	next := s.nextPage(c.FormValue("next"))
	nonce, err := c.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(nonce.Value), []byte(c.FormValue(csrfField))) != 1 {
		return s.renderLogin(c, http.StatusForbidden, views.LoginView{Email: email, Next: next,
			Error: "The form expired. Please log in again."})
	}
	ip := c.RealIP()
	cfg := s.cfg.Console
	byEmail, byIP, oldest, err := s.store.LoginFailures(ctx, email, ip, time.Now().Add(-cfg.LoginWindow))
	if err != nil {
		return err
	}
	if byEmail >= cfg.LoginLimitPerAccount || byIP >= cfg.LoginLimitPerIP {
		wait := max(time.Until(oldest.Add(cfg.LoginWindow)), time.Second).Round(time.Second)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		return s.renderLogin(c, http.StatusTooManyRequests, views.LoginView{Email: email, Next: next,
			Error: fmt.Sprintf("Too many failed logins. Try again in %s.", wait)})
	}

	u, err := s.store.UserByEmail(ctx, email)
	hash := dummyHash
	if err == nil {
		hash = []byte(u.PasswordHash)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if !match || err != nil || u.Disabled() {
		reason := "bad password"
		switch {
		case err != nil:
			reason = "no such user"
		case u.Disabled():
			reason = "disabled"
		}
		if err := s.store.RecordLoginFailure(ctx, email, ip, reason); err != nil {
			return err
		}
		// One message for every failure: it must not tell who has an account.
		return s.renderLogin(c, http.StatusUnauthorized, views.LoginView{Email: email, Next: next,
			Error: "Wrong email or password."})
	}

	token, _, err := s.store.CreateSession(ctx, u, cfg.MaxAge, ip, c.Request().UserAgent())
	if err != nil {
		return err
	}
	sess, _ := s.keys.cookies.New(c.Request(), sessionCookie) // a stale cookie's error is irrelevant: we replace it
	sess.Values[sessionTokenID] = token
	sess.Options.Secure = s.secureRequest(c.Request())
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return fmt.Errorf("save session cookie: %w", err)
	}
	c.SetCookie(&http.Cookie{Name: loginCookie, Path: consoleLogin, MaxAge: -1})
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) logout(c echo.Context) error {
	u := consoleUser(c)
	if u.token != "" {
		if err := s.store.EndSession(c.Request().Context(), u.token, u.Email); err != nil {
			return err
		}
	}
	sess, _ := s.keys.cookies.New(c.Request(), sessionCookie)
	sess.Options.MaxAge = -1
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return fmt.Errorf("clear session cookie: %w", err)
	}
	return c.Redirect(http.StatusSeeOther, consoleLogin)
}

// consoleHome sends each role to the page it lives on.
func (s *Server) consoleHome(c echo.Context) error {
	target := s.echo.Reverse(RouteConsoleReview)
	if u := consoleUser(c); u.Role == store.RoleAnalyst {
		target = s.echo.Reverse(RouteConsoleTrends)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// consoleStatus is the sidebar's API connectivity indicator: the
// readiness checks and the review backlog.
func (s *Server) consoleStatus(c echo.Context) error {
	ctx := c.Request().Context()
	r := s.readiness(ctx)
	v := views.StatusView{OK: r.Status == "ready"}
	for _, name := range []string{"db", "model"} {
		ch := r.Checks[name]
		v.Items = append(v.Items, views.StatusItem{Name: name, OK: ch.OK, Message: ch.Message})
	}
	// The review stage alone, as the review page counts it; admins also
	// see what waits for adjudication, which reviewers cannot take.
	if n, err := s.store.OpenReviewCounts(ctx); err == nil {
		v.Queue = n.Review
		if u := consoleUser(c); u.Can(admins...) {
			v.Adjudication = n.Adjudication
		}
	} else {
		logger(ctx).Warn("console status: review backlog", "error", err)
	}
	return s.render(c, http.StatusOK, "Status", views.Status(v))
}
