package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// The administration pages (admins): users and API keys here, taxonomies
// in console_admin_taxonomies.go. Forms post and redirect back (303) with
// the outcome in the query; failures an admin can fix are rendered in
// place with their status. Setting a password is the exception: the page
// that shows it is the POST's own response, so the secret is shown once
// and never travels in a URL.

// adminStore is what the administration and Models pages need beyond the
// API's store methods.
type adminStore interface {
	ModelVersion(ctx context.Context, version string) (store.ModelVersion, error)
	Users(ctx context.Context) ([]store.User, error)
	CreateUser(ctx context.Context, email, passwordHash, role, actor string) (store.User, error)
	UpdateUser(ctx context.Context, email string, up store.UserUpdate, actor string) (store.User, error)
}

// keyUsage remembers when each API key was last used on this replica. It
// lives in memory: writing to the database on every request would cost
// more than the figure is worth.
type keyUsage struct{ last sync.Map } // key name → time.Time

func (k *keyUsage) touch(name string, at time.Time) { k.last.Store(name, at) }

func (k *keyUsage) lastUsed(name string) (time.Time, bool) {
	v, ok := k.last.Load(name)
	if !ok {
		return time.Time{}, false
	}
	return v.(time.Time), true
}

// consoleKeys is GET /console/keys.
func (s *Server) consoleKeys(c echo.Context) error {
	snap, err := s.metrics.Snapshot()
	if err != nil {
		return err
	}
	v := views.KeysView{Uptime: time.Duration(snap.UptimeSeconds * float64(time.Second)).Round(time.Second).String(),
		AuthDisabled: s.cfg.AuthDisabled}
	for _, k := range s.cfg.APIKeys {
		row := views.KeyRowView{Name: k.Name, LastUsed: "not since this replica started",
			Requests: strconv.FormatFloat(snap.APIKeys[k.Name], 'f', 0, 64)}
		if at, ok := s.keyUsage.lastUsed(k.Name); ok {
			row.LastUsed = at.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		v.Rows = append(v.Rows, row)
	}
	return s.render(c, http.StatusOK, "API keys", views.KeysPage(v))
}

// usersOutcome is what the last user action left to show.
type usersOutcome struct {
	notice, errText string
	shown           *views.ShownPassword
	add             views.UserAddForm
}

func (s *Server) consoleUsers(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, usersOutcome{add: views.UserAddForm{Role: store.RoleReviewer}})
}

func (s *Server) renderUsers(c echo.Context, status int, o usersOutcome) error {
	me := consoleUser(c)
	users, err := s.store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.UsersView{CSRF: me.CSRF, AddURL: s.echo.Reverse(RouteConsoleUserAdd), RoleURL: s.echo.Reverse(RouteConsoleUserRole),
		DisableURL: s.echo.Reverse(RouteConsoleUserDisable), PasswordURL: s.echo.Reverse(RouteConsoleUserPassword),
		Roles: store.Roles, Shown: o.shown, Add: o.add, Flash: views.AdminFlash{Notice: o.notice, Error: o.errText},
		ScriptURL: s.assets.URL("js/admin.js")}
	known := map[string]store.User{}
	for _, u := range users {
		known[u.Email] = u
		v.Rows = append(v.Rows, views.UserRowView{Email: u.Email, Role: u.Role, Created: consoleTime(u.CreatedAt),
			Disabled: consoleTimePtr(u.DisabledAt), Self: u.Email == me.Email})
	}
	// The notice of a redirect is rebuilt from the database, not taken
	// from the URL.
	if u, ok := known[c.QueryParam("email")]; ok && v.Flash.Notice == "" {
		switch c.QueryParam("done") {
		case "role":
			v.Flash.Notice = fmt.Sprintf("%s is now %s %s; their sessions have ended.", u.Email, roleArticle(u.Role), u.Role)
		case "disabled":
			if u.Disabled() {
				v.Flash.Notice = u.Email + " is disabled and logged out everywhere."
			}
		case "enabled":
			if !u.Disabled() {
				v.Flash.Notice = u.Email + " may log in again."
			}
		}
	}
	if o.shown != nil {
		// The page holds a password: keep it out of every cache.
		c.Response().Header().Set("Cache-Control", "no-store")
	}
	return s.render(c, status, "Users", views.UsersPage(v))
}

func roleArticle(role string) string {
	if role == store.RoleAdmin || role == store.RoleAnalyst {
		return "an"
	}
	return "a"
}

func (s *Server) usersDone(c echo.Context, done, email string) error {
	q := url.Values{"done": {done}, "email": {email}}
	return c.Redirect(http.StatusSeeOther, s.echo.Reverse(RouteConsoleUsers)+"?"+q.Encode())
}

// userFailure shows a failed action on the page when the admin can act
// on it.
func (s *Server) userFailure(c echo.Context, err error) error {
	e := classifyError(err)
	if !inlineStatus(e.Status) {
		return err
	}
	return s.renderUsers(c, e.Status, usersOutcome{errText: errorText(e), add: views.UserAddForm{Role: store.RoleReviewer}})
}

// errSelf refuses an admin's change to their own account that could lock
// them (and, were they the last admin, everyone) out.
func errSelf(what string) error {
	return &Error{Status: http.StatusConflict, Code: "self_lockout",
		Message: "you cannot " + what + " yourself; ask another admin, so the console always keeps one"}
}

// newPassword returns the typed password, or a generated one.
func newPassword(typed string) (password string, err error) {
	if typed == "" {
		return randomToken(), nil
	}
	if _, err := HashPassword(typed); err != nil {
		return "", err
	}
	return typed, nil
}

func (s *Server) consoleUserAdd(c echo.Context) error {
	me := consoleUser(c)
	email, role := store.NormalizeEmail(c.FormValue("email")), c.FormValue("role")
	form := views.UserAddForm{Email: email, Role: role}
	var invalid store.ValidationError
	if err := store.ValidateUser(email, role); errors.As(err, &invalid) {
		for _, f := range invalid {
			switch f.Field {
			case "email":
				form.EmailError = upperFirst(f.Message) + "."
			case "role":
				form.RoleError = upperFirst(f.Message) + "."
			}
		}
	}
	password, err := newPassword(c.FormValue("password"))
	if err != nil {
		form.PasswordError = upperFirst(err.Error()) + "."
	}
	if form.EmailError != "" || form.RoleError != "" || form.PasswordError != "" {
		return s.renderUsers(c, http.StatusUnprocessableEntity, usersOutcome{errText: "The user was not added; see the form below.", add: form})
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := s.store.CreateUser(c.Request().Context(), email, hash, role, me.Email); err != nil {
		e := classifyError(err)
		if !inlineStatus(e.Status) {
			return err
		}
		form.EmailError = errorText(e)
		return s.renderUsers(c, e.Status, usersOutcome{errText: "The user was not added; see the form below.", add: form})
	}
	return s.renderUsers(c, http.StatusOK, usersOutcome{notice: fmt.Sprintf("Added %s as %s %s.", email, roleArticle(role), role),
		shown: &views.ShownPassword{Email: email, Password: password}, add: views.UserAddForm{Role: store.RoleReviewer}})
}

func (s *Server) consoleUserRole(c echo.Context) error {
	me := consoleUser(c)
	email, role := store.NormalizeEmail(c.FormValue("email")), c.FormValue("role")
	if email == me.Email {
		return s.userFailure(c, errSelf("change the role of"))
	}
	if _, err := s.store.UpdateUser(c.Request().Context(), email, store.UserUpdate{Role: &role}, me.Email); err != nil {
		return s.userFailure(c, err)
	}
	return s.usersDone(c, "role", email)
}

func (s *Server) consoleUserDisable(c echo.Context) error {
	me := consoleUser(c)
	email := store.NormalizeEmail(c.FormValue("email"))
	disabled := c.FormValue("disabled") == "1"
	if email == me.Email && disabled {
		return s.userFailure(c, errSelf("disable"))
	}
	if _, err := s.store.UpdateUser(c.Request().Context(), email, store.UserUpdate{Disabled: &disabled}, me.Email); err != nil {
		return s.userFailure(c, err)
	}
	return s.usersDone(c, map[bool]string{true: "disabled", false: "enabled"}[disabled], email)
}

func (s *Server) consoleUserPassword(c echo.Context) error {
	me := consoleUser(c)
	email := store.NormalizeEmail(c.FormValue("email"))
	if email == me.Email {
		// It would end the admin's own session mid-page; the CLI is the
		// way to change one's own password.
		return s.userFailure(c, errSelf("reset the password of"))
	}
	password, err := newPassword(c.FormValue("password"))
	if err != nil {
		return s.userFailure(c, &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: err.Error()})
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := s.store.UpdateUser(c.Request().Context(), email, store.UserUpdate{PasswordHash: &hash}, me.Email); err != nil {
		return s.userFailure(c, err)
	}
	return s.renderUsers(c, http.StatusOK, usersOutcome{notice: "Reset the password of " + email + ".",
		shown: &views.ShownPassword{Email: email, Password: password}, add: views.UserAddForm{Role: store.RoleReviewer}})
}

// trimLines splits a textarea into its non-empty lines.
func trimLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
