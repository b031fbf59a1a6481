package web

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/views"
)

// navEntry is a sidebar link, shown to the roles that may open it.
type navEntry struct {
	label string
	route string
	roles []string
}

// nav is the sidebar, in order. Each entry's roles match its page's in
// pages(): nobody sees a link that would answer 403.
var nav = []navEntry{
	{"Review", RouteConsoleReview, reviewers},
	{"Trends", RouteConsoleTrends, analysts},
	{"Metrics", RouteConsoleMetrics, analysts},
	{"Articles", RouteConsoleArticles, anyone},
	{"Models", RouteConsoleModels, admins},
	{"Taxonomies", RouteConsoleTaxonomies, admins},
	{"Sources", RouteConsoleSources, admins},
	{"Users", RouteConsoleUsers, admins},
	{"API keys", RouteConsoleKeys, admins},
}

// layoutView builds the page shell for the request: with the sidebar for
// a logged-in user, bare otherwise.
func (s *Server) layoutView(c echo.Context, title string) views.LayoutView {
	v := views.LayoutView{Title: title, CSSURL: s.assets.URL("css/app.css"), FaviconURL: s.assets.URL(faviconAsset),
		ScriptURLs: []string{s.assets.URL("js/htmx.min.js"), s.assets.URL("js/console.js")}}
	u := consoleUser(c)
	if u == nil {
		return v
	}
	headers, _ := json.Marshal(map[string]string{HeaderCSRF: u.CSRF}) // a map of strings always marshals
	v.User = &views.UserView{Email: u.Email, Role: u.Role}
	v.HXHeaders, v.CSRF = string(headers), u.CSRF
	v.StatusURL, v.LogoutURL = s.echo.Reverse(RouteConsoleStatus), s.echo.Reverse(RouteConsoleLogout)
	path := c.Path()
	for _, n := range nav {
		url := s.echo.Reverse(n.route)
		if url == "" || !u.Can(n.roles...) {
			continue
		}
		v.Nav = append(v.Nav, views.NavItem{Label: n.label, URL: url, TestID: "nav-" + n.route, Active: path == url})
	}
	return v
}

// root sends browsers to the console.
func (s *Server) root(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, s.echo.Reverse(RouteConsoleHome))
}
