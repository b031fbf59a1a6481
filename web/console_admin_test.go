package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/store"
)

// topicForm is a taxonomy form: name, then rows of name, description and
// examples.
func topicForm(name string, rows ...[3]string) url.Values {
	f := url.Values{}
	if name != "" {
		f.Set("name", name)
	}
	for _, r := range rows {
		f.Add("topic_name", r[0])
		f.Add("topic_description", r[1])
		f.Add("topic_examples", r[2])
	}
	return f
}

func TestConsoleTaxonomies(t *testing.T) {
	a := newAdminConsole(t)
	c, csrf := a.as(t, store.RoleAdmin)
	ctx := context.Background()

	_, doc := a.get(t, c, "/console/taxonomies/new")
	if findTestID(doc, "topic-name-2").Length() != 1 {
		t.Fatal("the new form lacks three topic rows")
	}
	// "Add a topic" posts the form back with one more row, saving nothing.
	form := topicForm("desk", [3]string{"Politics", "", ""}, [3]string{"", "", ""}, [3]string{"", "", ""})
	form.Set("add_topic", "1")
	res, body := a.post(t, c, csrf, "/console/taxonomies", form)
	doc = adminDoc(t, body)
	if v, _ := findTestID(doc, "topic-name-0").Attr("value"); res.StatusCode != http.StatusOK || findTestID(doc, "topic-name-3").Length() != 1 || v != "Politics" {
		t.Fatalf("add a topic: %d, first name %q", res.StatusCode, v)
	}
	if _, err := a.db.Taxonomy(ctx, "desk"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("add a topic saved the taxonomy: %v", err)
	}

	// Validation errors sit beside their fields, with 422.
	form = topicForm("Bad Name", [3]string{"Politics", "", ""}, [3]string{"", "", ""}, [3]string{"politics", "", "  \n"})
	res, body = a.post(t, c, csrf, "/console/taxonomies", form)
	doc = adminDoc(t, body)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid taxonomy: %d", res.StatusCode)
	}
	if got := findTestID(doc, "taxonomy-name-error").Text(); !strings.Contains(got, "not a taxonomy name") {
		t.Errorf("name error %q", got)
	}
	if got := findTestID(doc, "topic-name-error-2").Text(); !strings.Contains(got, "appears twice") {
		t.Errorf("duplicate topic error on row 3: %q", got)
	}
	if inv, _ := findTestID(doc, "topic-name-2").Attr("aria-invalid"); inv != "true" {
		t.Error("the duplicate's field is not marked invalid")
	}
	if findTestID(doc, "flash-error").Length() != 1 {
		t.Error("no summary of the errors")
	}

	// A valid one is saved through PutTaxonomy and listed.
	form = topicForm("desk", [3]string{"Politics", "Government and elections", "The vote\n\nParliament sat"},
		[3]string{"", "", ""}, [3]string{"Culture", "", ""})
	res, _ = a.post(t, c, csrf, "/console/taxonomies", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	tx, err := a.db.Taxonomy(ctx, "desk")
	if err != nil || len(tx.Topics) != 2 || tx.Topics[0].Description != "Government and elections" || len(tx.Topics[0].Examples) != 2 {
		t.Fatalf("stored %+v, %v", tx, err)
	}
	_, doc = a.get(t, c, res.Header.Get("Location"))
	if findTestID(doc, "taxonomy-desk").Length() != 1 || !strings.Contains(findTestID(doc, "flash-notice").Text(), "desk") {
		t.Error("the list lacks the new taxonomy or the notice")
	}
	// Creating it again is a conflict; editing replaces its topics.
	if res, _ := a.post(t, c, csrf, "/console/taxonomies", form); res.StatusCode != http.StatusConflict {
		t.Errorf("create twice: %d", res.StatusCode)
	}
	_, doc = a.get(t, c, "/console/taxonomies/desk/edit")
	if v, _ := findTestID(doc, "topic-name-1").Attr("value"); v != "Culture" || findTestID(doc, "topic-name-2").Length() != 1 {
		t.Errorf("edit form: second topic %q, or no blank row", v)
	}
	res, _ = a.post(t, c, csrf, "/console/taxonomies/desk/edit", topicForm("", [3]string{"Politics", "", ""}, [3]string{"Arts", "", ""}, [3]string{"Sport", "", ""}))
	if tx, _ := a.db.Taxonomy(ctx, "desk"); res.StatusCode != http.StatusSeeOther || len(tx.Topics) != 3 || tx.Topics[1].Name != "Arts" {
		t.Errorf("edit: %d, stored %+v", res.StatusCode, tx)
	}
	res, body = a.post(t, c, csrf, "/console/taxonomies/desk/edit", topicForm("", [3]string{"Politics", "", ""}))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(findTestID(adminDoc(t, body), "flash-error").Text(), "at least 2 topics") {
		t.Errorf("edit to one topic: %d", res.StatusCode)
	}
	// Deleting goes through a confirmation.
	_, doc = a.get(t, c, "/console/taxonomies/desk/delete")
	if action, _ := findTestID(doc, "confirm-page").Find("form").Attr("action"); action != "/console/taxonomies/desk/delete" {
		t.Fatalf("delete confirmation posts to %q", action)
	}
	res, _ = a.post(t, c, csrf, "/console/taxonomies/desk/delete", nil)
	if _, err := a.db.Taxonomy(ctx, "desk"); res.StatusCode != http.StatusSeeOther || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete: %d, then %v", res.StatusCode, err)
	}
	if res, _ := a.post(t, c, csrf, "/console/taxonomies/desk/edit", form); res.StatusCode != http.StatusNotFound {
		t.Errorf("edit a deleted taxonomy: %d", res.StatusCode)
	}
}

func TestConsoleUsers(t *testing.T) {
	a := newAdminConsole(t)
	c, csrf := a.as(t, store.RoleAdmin)
	ctx := context.Background()

	// Added with a generated password, shown once.
	res, body := a.post(t, c, csrf, "/console/users", url.Values{"email": {" New@Example.com "}, "role": {"analyst"}})
	doc := adminDoc(t, body)
	password := findTestID(doc, "shown-password-value").Text()
	if res.StatusCode != http.StatusOK || len(password) < MinPasswordLength || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("add: %d, password %q, cache %q", res.StatusCode, password, res.Header.Get("Cache-Control"))
	}
	if u, err := a.db.UserByEmail(ctx, "new@example.com"); err != nil || u.Role != store.RoleAnalyst {
		t.Fatalf("stored %+v, %v", u, err)
	}
	if _, doc := a.get(t, c, "/console/users"); findTestID(doc, "shown-password").Length() != 0 || strings.Contains(doc.Text(), password) {
		t.Error("the password is shown again")
	}
	if res, _ := logIn(t, browser(t), a.ts.URL, "new@example.com", password); res.StatusCode != http.StatusSeeOther {
		t.Errorf("log in with the shown password: %d", res.StatusCode)
	}
	if n := a.raw.Int(t, `SELECT COUNT(*) FROM audit_log WHERE actor = 'admin@example.com' AND action = 'user.create' AND target = 'user:new@example.com'`); n != 1 {
		t.Errorf("%d audit rows for the add", n)
	}
	// Field errors inline; a taken email is a conflict.
	res, body = a.post(t, c, csrf, "/console/users", url.Values{"email": {"not-an-email"}, "role": {"admin"}, "password": {"short"}})
	doc = adminDoc(t, body)
	if res.StatusCode != http.StatusUnprocessableEntity || findTestID(doc, "add-email-error").Length() != 1 || findTestID(doc, "add-password-error").Length() != 1 {
		t.Errorf("invalid add: %d", res.StatusCode)
	}
	if v, _ := findTestID(doc, "user-add-email").Attr("value"); v != "not-an-email" {
		t.Errorf("the form lost the email: %q", v)
	}
	res, body = a.post(t, c, csrf, "/console/users", url.Values{"email": {"reviewer@example.com"}, "role": {"reviewer"}, "password": {"a typed password"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(findTestID(adminDoc(t, body), "add-email-error").Text(), "exists already") {
		t.Errorf("add an existing user: %d", res.StatusCode)
	}

	// Role changes and disabling redirect back; both are audited.
	res, _ = a.post(t, c, csrf, "/console/users/role", url.Values{"email": {"reviewer@example.com"}, "role": {"analyst"}})
	if u, _ := a.db.UserByEmail(ctx, "reviewer@example.com"); res.StatusCode != http.StatusSeeOther || u.Role != store.RoleAnalyst {
		t.Fatalf("role change: %d, role %s", res.StatusCode, u.Role)
	}
	_, doc = a.get(t, c, res.Header.Get("Location"))
	if got := findTestID(doc, "flash-notice").Text(); !strings.Contains(got, "reviewer@example.com is now an analyst") {
		t.Errorf("notice %q", got)
	}
	res, _ = a.post(t, c, csrf, "/console/users/disable", url.Values{"email": {"reviewer@example.com"}, "disabled": {"1"}})
	if u, _ := a.db.UserByEmail(ctx, "reviewer@example.com"); res.StatusCode != http.StatusSeeOther || !u.Disabled() {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if res, _ := logIn(t, browser(t), a.ts.URL, "reviewer@example.com", testPassword); res.StatusCode == http.StatusSeeOther {
		t.Error("a disabled user logged in")
	}
	res, _ = a.post(t, c, csrf, "/console/users/disable", url.Values{"email": {"reviewer@example.com"}, "disabled": {"0"}})
	if u, _ := a.db.UserByEmail(ctx, "reviewer@example.com"); res.StatusCode != http.StatusSeeOther || u.Disabled() {
		t.Fatalf("enable: %d", res.StatusCode)
	}
	if n := a.raw.Int(t, `SELECT COUNT(*) FROM audit_log WHERE actor = 'admin@example.com' AND action = 'user.update' AND target = 'user:reviewer@example.com'`); n != 3 {
		t.Errorf("%d audit rows for the updates, want 3", n)
	}

	// Resetting a password shows the new one once.
	res, body = a.post(t, c, csrf, "/console/users/password", url.Values{"email": {"analyst@example.com"}})
	password = findTestID(adminDoc(t, body), "shown-password-value").Text()
	if res.StatusCode != http.StatusOK || password == "" {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if res, _ := logIn(t, browser(t), a.ts.URL, "analyst@example.com", password); res.StatusCode != http.StatusSeeOther {
		t.Errorf("log in with the reset password: %d", res.StatusCode)
	}

	// An admin cannot lock themself out.
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/console/users/disable", url.Values{"email": {"admin@example.com"}, "disabled": {"1"}}},
		{"/console/users/role", url.Values{"email": {"ADMIN@example.com"}, "role": {"reviewer"}}},
		{"/console/users/password", url.Values{"email": {"admin@example.com"}}},
	} {
		res, body := a.post(t, c, csrf, tc.path, tc.form)
		if res.StatusCode != http.StatusConflict || !strings.Contains(findTestID(adminDoc(t, body), "flash-error").Text(), "yourself") {
			t.Errorf("%s on oneself: %d", tc.path, res.StatusCode)
		}
	}
	if u, _ := a.db.UserByEmail(ctx, "admin@example.com"); u.Disabled() || u.Role != store.RoleAdmin {
		t.Fatalf("the admin locked themself out: %+v", u)
	}
	// Their own row offers no controls to do it.
	_, doc = a.get(t, c, "/console/users")
	self := findTestID(doc, "user-admin@example.com")
	if self.Find(`[data-testid="user-disable"]`).Length() != 0 || self.Find("select").Length() != 0 {
		t.Error("the admin's own row offers disable or a role change")
	}
	if res, _ := a.post(t, c, csrf, "/console/users/role", url.Values{"email": {"ghost@example.com"}, "role": {"admin"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("role of an unknown user: %d", res.StatusCode)
	}
}

func TestConsoleKeys(t *testing.T) {
	a := newAdminConsole(t)
	c, _ := a.as(t, store.RoleAdmin)
	for range 2 {
		res, _ := fetch(t, http.DefaultClient, http.MethodGet, a.ts.URL+"/taxonomies", nil, keyHeader(oldKey))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("API call: %d", res.StatusCode)
		}
	}
	res, body := fetch(t, c, http.MethodGet, a.ts.URL+"/console/keys", nil, nil)
	doc := adminDoc(t, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("keys page: %d", res.StatusCode)
	}
	for _, secret := range []string{oldKey.Secret, newKey.Secret} {
		if strings.Contains(body, secret) {
			t.Fatal("the keys page shows a secret")
		}
	}
	old, fresh := findTestID(doc, "key-old"), findTestID(doc, "key-new")
	if got := old.Find(`[data-testid="key-requests"]`).Text(); got != "2" {
		t.Errorf("old key requests %q", got)
	}
	if got := old.Find(`[data-testid="key-last-used"]`).Text(); !strings.Contains(got, "UTC") {
		t.Errorf("old key last used %q", got)
	}
	if got := fresh.Find(`[data-testid="key-last-used"]`).Text(); !strings.Contains(got, "not since") {
		t.Errorf("new key last used %q", got)
	}
	if !strings.Contains(findTestID(doc, "keys-scope").Text(), "this replica") {
		t.Error("the page does not say the figures are this replica's")
	}
}
