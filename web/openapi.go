package web

import (
	"bytes"
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/views"
)

// openAPISpec is the OpenAPI 3.1 description of the JSON API, written by
// hand next to the handlers. openapi_test.go keeps it honest: every route
// of the table outside specExempt has an operation and every operation a
// route, and real answers of each route validate against it.
//
//go:embed openapi.json
var openAPISpec []byte

// openAPI is GET /openapi.json. It is public: it describes the API, and
// holds no secret.
func (s *Server) openAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPISpec)
}

// docs is GET /docs: the API reference, rendered in the browser from
// /openapi.json by the vendored Swagger UI (static/vendor), so it works
// offline and loads nothing from elsewhere. It is a document of its own,
// not a console page, so it skips render and the console's layout.
func (s *Server) docs(c echo.Context) error {
	v := views.DocsView{
		SpecURL:    s.echo.Reverse(RouteOpenAPI),
		CSSURLs:    []string{s.assets.URL("vendor/swagger-ui/swagger-ui.css")},
		ScriptURLs: []string{s.assets.URL("vendor/swagger-ui/swagger-ui-bundle.js"), s.assets.URL("js/docs.js")},
	}
	var buf bytes.Buffer
	if err := views.DocsPage(v).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
