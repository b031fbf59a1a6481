package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// The Taxonomies page (admins) edits custom taxonomies through the same
// store methods and validation as PUT /taxonomies/:name.

func (s *Server) consoleTaxonomies(c echo.Context) error {
	all, err := s.store.Taxonomies(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.TaxonomiesView{NewURL: s.echo.Reverse(RouteConsoleTaxonomyNew), ScriptURL: s.assets.URL("js/admin.js")}
	exists := map[string]bool{}
	for _, t := range all {
		exists[t.Name] = true
		names := make([]string, len(t.Topics))
		for i, tp := range t.Topics {
			names[i] = tp.Name
		}
		v.Rows = append(v.Rows, views.TaxonomyRowView{Name: t.Name, Topics: strings.Join(names, ", "), Count: len(t.Topics),
			Updated: consoleTime(t.UpdatedAt), EditURL: s.echo.Reverse(RouteConsoleTaxonomyEdit, t.Name),
			DeleteURL: s.echo.Reverse(RouteConsoleTaxonomyDeleteAsk, t.Name)})
	}
	name := c.QueryParam("name")
	switch done := c.QueryParam("done"); {
	case (done == "created" || done == "saved") && exists[name]:
		v.Flash.Notice = fmt.Sprintf("Saved taxonomy %s; the next classification with it uses the new topics.", name)
	case done == "deleted" && name != "" && !exists[name]:
		v.Flash.Notice = "Deleted taxonomy " + name + "."
	}
	return s.render(c, http.StatusOK, "Taxonomies", views.TaxonomiesPage(v))
}

// blankTopics is how many empty topic rows a new taxonomy's form offers.
const blankTopics = 3

func (s *Server) taxonomyForm(c echo.Context, create bool, name string, rows []views.TopicFormView) views.TaxonomyFormView {
	v := views.TaxonomyFormView{Title: "Edit taxonomy " + name, Create: create, Name: name, Topics: rows, CSRF: consoleUser(c).CSRF,
		CancelURL: s.echo.Reverse(RouteConsoleTaxonomies), ScriptURL: s.assets.URL("js/admin.js")}
	if create {
		v.Title, v.ActionURL = "New taxonomy", s.echo.Reverse(RouteConsoleTaxonomyCreate)
	} else {
		v.ActionURL = s.echo.Reverse(RouteConsoleTaxonomySave, name)
	}
	return v
}

func (s *Server) consoleTaxonomyNew(c echo.Context) error {
	v := s.taxonomyForm(c, true, "", make([]views.TopicFormView, blankTopics))
	return s.render(c, http.StatusOK, v.Title, views.TaxonomyForm(v))
}

func (s *Server) consoleTaxonomyEdit(c echo.Context) error {
	t, err := s.store.Taxonomy(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	var rows []views.TopicFormView
	for _, tp := range t.Topics {
		rows = append(rows, views.TopicFormView{Name: tp.Name, Description: tp.Description, Examples: strings.Join(tp.Examples, "\n")})
	}
	v := s.taxonomyForm(c, false, t.Name, append(rows, views.TopicFormView{}))
	return s.render(c, http.StatusOK, v.Title, views.TaxonomyForm(v))
}

// topicRows reads the form's topic rows, empty ones included, and the
// taxonomy they make: kept[i] is the row of the taxonomy's topic i.
func topicRows(c echo.Context, name string) (rows []views.TopicFormView, t store.Taxonomy, kept []int, err error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, t, nil, err
	}
	names, descs, examples := form["topic_name"], form["topic_description"], form["topic_examples"]
	if len(descs) != len(names) || len(examples) != len(names) {
		return nil, t, nil, &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "every topic row needs a name, description and examples field"}
	}
	t.Name = name
	for i := range names {
		row := views.TopicFormView{Name: strings.TrimSpace(names[i]), Description: strings.TrimSpace(descs[i]), Examples: strings.TrimSpace(examples[i])}
		rows = append(rows, row)
		if row.Name == "" && row.Description == "" && row.Examples == "" {
			continue
		}
		kept = append(kept, i)
		t.Topics = append(t.Topics, store.Topic{Name: row.Name, Description: row.Description, Examples: trimLines(row.Examples)})
	}
	return rows, t, kept, nil
}

var topicField = regexp.MustCompile(`^topics\[(\d+)\]\.(name|description|examples)(?:\[(\d+)\])?$`)

// placeIssues puts each validation issue beside its field and returns
// those that belong to no single field.
func placeIssues(v *views.TaxonomyFormView, kept []int, issues store.ValidationError) []string {
	var general []string
	for _, f := range issues {
		msg := upperFirst(f.Message) + "."
		m := topicField.FindStringSubmatch(f.Field)
		if f.Field == "name" && v.Create {
			v.NameError = msg
			continue
		}
		if m == nil {
			general = append(general, msg)
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if i >= len(kept) {
			general = append(general, msg)
			continue
		}
		row := &v.Topics[kept[i]]
		switch m[2] {
		case "name":
			row.NameError = msg
		case "description":
			row.DescriptionError = msg
		case "examples":
			if m[3] != "" {
				j, _ := strconv.Atoi(m[3])
				msg = fmt.Sprintf("Example %d: %s", j+1, msg)
			}
			row.ExamplesError = strings.TrimSpace(row.ExamplesError + " " + msg)
		}
	}
	return general
}

func (s *Server) consoleTaxonomyCreate(c echo.Context) error {
	return s.saveTaxonomy(c, true, strings.TrimSpace(c.FormValue("name")))
}

func (s *Server) consoleTaxonomySave(c echo.Context) error {
	name := c.Param("name")
	if _, err := s.store.Taxonomy(c.Request().Context(), name); err != nil {
		return err // an edit of a taxonomy deleted meanwhile must not recreate it
	}
	return s.saveTaxonomy(c, false, name)
}

// saveTaxonomy stores the posted form, or shows it again: with one more
// row when asked, with the field errors (422) or the conflict (409) when
// it cannot be saved.
func (s *Server) saveTaxonomy(c echo.Context, create bool, name string) error {
	rows, t, kept, err := topicRows(c, name)
	if err != nil {
		return err
	}
	v := s.taxonomyForm(c, create, name, rows)
	if c.FormValue("add_topic") != "" {
		v.Topics = append(v.Topics, views.TopicFormView{})
		return s.render(c, http.StatusOK, v.Title, views.TaxonomyForm(v))
	}
	ctx := c.Request().Context()
	if create {
		if _, err := s.store.Taxonomy(ctx, name); err == nil {
			v.NameError = "A taxonomy named " + name + " exists already; edit it instead."
			v.Error = "The taxonomy was not saved."
			return s.render(c, http.StatusConflict, v.Title, views.TaxonomyForm(v))
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if _, err := s.store.PutTaxonomy(ctx, t); err != nil {
		var invalid store.ValidationError
		if !errors.As(err, &invalid) {
			return err
		}
		general := placeIssues(&v, kept, invalid)
		v.Error = strings.TrimSpace("The taxonomy was not saved. " + strings.Join(general, " "))
		if fieldMarked(v) {
			// Only when one is: pointing at marks that are not there sends
			// the user looking for them.
			v.Error += " Fix the fields marked below."
		}
		return s.render(c, http.StatusUnprocessableEntity, v.Title, views.TaxonomyForm(v))
	}
	done := map[bool]string{true: "created", false: "saved"}[create]
	q := url.Values{"done": {done}, "name": {name}}
	return c.Redirect(http.StatusSeeOther, s.echo.Reverse(RouteConsoleTaxonomies)+"?"+q.Encode())
}

// fieldMarked reports whether placeIssues put an error beside a field.
func fieldMarked(v views.TaxonomyFormView) bool {
	if v.NameError != "" {
		return true
	}
	for _, t := range v.Topics {
		if t.NameError != "" || t.DescriptionError != "" || t.ExamplesError != "" {
			return true
		}
	}
	return false
}

func (s *Server) taxonomyDeleteView(c echo.Context, t store.Taxonomy) views.AdminConfirmView {
	return views.AdminConfirmView{Title: "Delete taxonomy " + t.Name,
		Question: "Delete " + t.Name + " and its " + strconv.Itoa(len(t.Topics)) + " topics? Clients that classify with it get 404 from then on; " +
			"its past predictions stay.",
		ActionURL: s.echo.Reverse(RouteConsoleTaxonomyDelete, t.Name), CSRF: consoleUser(c).CSRF, Submit: "Delete " + t.Name, Danger: true,
		CancelURL: s.echo.Reverse(RouteConsoleTaxonomies), ScriptURL: s.assets.URL("js/admin.js")}
}

func (s *Server) consoleTaxonomyDeleteConfirm(c echo.Context) error {
	t, err := s.store.Taxonomy(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	v := s.taxonomyDeleteView(c, t)
	return s.render(c, http.StatusOK, v.Title, views.AdminConfirmPage(v))
}

func (s *Server) consoleTaxonomyDelete(c echo.Context) error {
	name := c.Param("name")
	if err := s.store.DeleteTaxonomy(c.Request().Context(), name); err != nil {
		return err
	}
	q := url.Values{"done": {"deleted"}, "name": {name}}
	return c.Redirect(http.StatusSeeOther, s.echo.Reverse(RouteConsoleTaxonomies)+"?"+q.Encode())
}
