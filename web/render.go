package web

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/views"
)

// render is the one way pages reach the client. It renders into a buffer
// first, so a template error becomes a clean 500 instead of half a page
// under a 200. An HTMX request that is not boosted swaps part of a page
// already shown, so it gets the body alone; everything else gets the full
// document.
func (s *Server) render(c echo.Context, status int, title string, body templ.Component) error {
	req := c.Request()
	page := body
	if req.Header.Get("HX-Request") != "true" || req.Header.Get("HX-Boosted") == "true" {
		page = views.Layout(s.layoutView(c, title), body)
	}
	var buf bytes.Buffer
	if err := page.Render(req.Context(), &buf); err != nil {
		return err
	}
	h := c.Response().Header()
	// Caches must not serve a fragment to a full-page request or back.
	h.Add("Vary", "HX-Request")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}
