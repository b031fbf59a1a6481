package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/store"
)

// TestFinetuneNamesWhoStartedIt checks that each door tells the fine-tuner
// which it is and who came through it, and how the console shows a run's
// starter.
func TestFinetuneNamesWhoStartedIt(t *testing.T) {
	a := newAdminConsole(t)
	c, csrf := a.as(t, store.RoleAdmin)
	if res, _ := a.post(t, c, csrf, "/console/models/finetune", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("console fine-tune: %d", res.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, a.ts.URL+"/admin/finetune", strings.NewReader(`{"dry_run":true}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", newKey.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("API fine-tune: %d", res.StatusCode)
	}
	if len(a.ft.got) != 2 {
		t.Fatalf("fine-tuner got %+v", a.ft.got)
	}
	if g := a.ft.got[0]; g.Trigger != store.TriggerConsole || g.Actor != "admin@example.com" {
		t.Errorf("console request: %+v", g)
	}
	if g := a.ft.got[1]; g.Trigger != store.TriggerAPI || g.Actor != newKey.Name {
		t.Errorf("API request: %+v", g)
	}

	for _, tc := range []struct {
		run  store.TrainingRun
		want string
	}{
		{store.TrainingRun{TriggeredBy: store.TriggerConsole, StartedBy: "admin@example.com"}, "admin@example.com (console)"},
		{store.TrainingRun{TriggeredBy: store.TriggerAPI, StartedBy: "ops"}, "ops (api)"},
		{store.TrainingRun{TriggeredBy: store.TriggerAuto, StartedBy: "auto"}, "auto"},
		{store.TrainingRun{TriggeredBy: store.TriggerAPI}, "api"}, // a run from before started_by
	} {
		if got := runStarter(tc.run); got != tc.want {
			t.Errorf("runStarter(%+v) = %q, want %q", tc.run, got, tc.want)
		}
	}
}
