package store_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestLabelRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ids := seedQueue(t, db, 3, 1)
		claim(t, db, "ann@example.com", 1, time.Minute)

		o, err := label(db, "ann@example.com", ids[0], "World")
		if err != nil || o.State != store.StateLabeled || !o.Final || o.Replayed {
			t.Fatalf("label: %+v, %v", o, err)
		}
		// A retry is a no-op that answers the same.
		again, err := label(db, "ann@example.com", ids[0], "World")
		if err != nil || !again.Replayed || again.LabelID != o.LabelID || !again.Final {
			t.Fatalf("retry: %+v, %v", again, err)
		}
		for _, tc := range []struct {
			name     string
			reviewer string
			id       int64
			label    string
			want     error
		}{
			{"another label by the same reviewer", "ann@example.com", ids[0], "Sports", store.ErrConflict},
			{"labeled item, other reviewer", "bob@example.com", ids[0], "World", store.ErrConflict},
			{"unknown item", "ann@example.com", 999999, "World", store.ErrNotFound},
		} {
			if _, err := label(db, tc.reviewer, tc.id, tc.label); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		// A label outside the prediction's taxonomy is invalid, by path.
		_, err = label(db, "ann@example.com", ids[1], "Politics")
		var v store.ValidationError
		if !errors.As(err, &v) || v[0].Field != "items[0].label" {
			t.Fatalf("foreign label: %v", err)
		}
		// A live claim by someone else blocks a label.
		claim(t, db, "bob@example.com", 1, time.Minute) // takes ids[1]
		if _, err := label(db, "ann@example.com", ids[1], "World"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("label of another's claim: %v", err)
		}
		// A pending item may be labeled without a claim (bulk mode does).
		if o, err := label(db, "ann@example.com", ids[2], "Sports"); err != nil || o.State != store.StateLabeled {
			t.Fatalf("label of a pending item: %+v, %v", o, err)
		}
	})
}

func TestBulkLabelIsAllOrNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 3, 1)
		_, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: "ann@example.com", Items: []store.LabelInput{
			{ItemID: ids[0], Label: "World"}, {ItemID: ids[1], Label: "World"}, {ItemID: ids[2], Label: "Nope"},
		}})
		var v store.ValidationError
		if !errors.As(err, &v) || v[0].Field != "items[2].label" {
			t.Fatalf("bulk with a bad label: %v", err)
		}
		page, _ := db.ReviewQueue(ctx, store.QueueFilter{})
		if len(page.Items) != 3 {
			t.Fatalf("a failed bulk label left %d of 3 items pending", len(page.Items))
		}
		out, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: "ann@example.com", Items: []store.LabelInput{
			{ItemID: ids[0], Label: "World"}, {ItemID: ids[1], Label: "Sports", Note: "box score"}, {ItemID: ids[2], Label: "World"},
		}})
		if err != nil || len(out) != 3 || !out[1].Final {
			t.Fatalf("bulk: %+v, %v", out, err)
		}
		_, err = db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: "ann@example.com", Items: []store.LabelInput{
			{ItemID: ids[0], Label: "World"}, {ItemID: ids[0], Label: "World"}}})
		if !errors.As(err, &v) || v[0].Field != "items[1].id" {
			t.Fatalf("duplicate ids: %v", err)
		}
	})
}

func TestDoubleReviewAndAdjudication(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 2, 2)
		// Agreement: the first label sends the item back for a second
		// reviewer, never to the first again.
		if o, err := label(db, "ann@example.com", ids[0], "World"); err != nil || o.State != store.StatePending || o.Final {
			t.Fatalf("first of two: %+v, %v", o, err)
		}
		if got := claim(t, db, "ann@example.com", 5, time.Minute); len(got) != 1 || got[0] != ids[1] {
			t.Fatalf("ann was offered %v, want only %d", got, ids[1])
		}
		if o, err := label(db, "bob@example.com", ids[0], "World"); err != nil || o.State != store.StateLabeled || !o.Final {
			t.Fatalf("second, agreeing: %+v, %v", o, err)
		}
		// Disagreement goes to adjudication, out of reviewers' claims.
		if _, err := label(db, "ann@example.com", ids[1], "Sports"); err != nil {
			t.Fatal(err)
		}
		if o, err := label(db, "bob@example.com", ids[1], "World"); err != nil || o.Stage != store.StageAdjudication || o.Final {
			t.Fatalf("second, disagreeing: %+v, %v", o, err)
		}
		if got := claim(t, db, "cy@example.com", 5, time.Minute); len(got) != 0 {
			t.Fatalf("a reviewer was offered adjudication items %v", got)
		}
		adj, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "admin@example.com", N: 5, Lease: time.Minute, Stage: store.StageAdjudication})
		if err != nil || len(adj) != 1 || adj[0].ID != ids[1] || adj[0].Reviews != 2 {
			t.Fatalf("adjudication claim: %+v, %v", adj, err)
		}
		if o, err := label(db, "admin@example.com", ids[1], "Sports"); err != nil || !o.Final || o.State != store.StateLabeled {
			t.Fatalf("adjudication: %+v, %v", o, err)
		}

		st, err := db.ReviewStats(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Pairs) != 2 || st.ByState[store.StateLabeled] != 2 || st.ByLabel["World"] != 1 || st.ByLabel["Sports"] != 1 {
			t.Fatalf("stats: %+v", st)
		}
		if a := store.Kappa(st.Pairs); a.Observed != 0.5 {
			t.Fatalf("agreement %+v", a)
		}
		if st.LabelsPerDay[len(st.LabelsPerDay)-1].Count != 5 || len(st.ActiveReviewers) != 3 {
			t.Fatalf("activity: %+v, reviewers %v", st.LabelsPerDay, st.ActiveReviewers)
		}
	})
}

func TestSkipAndUndo(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 2, 1)
		act := func(r string, id int64) store.ActionRequest {
			return store.ActionRequest{ItemID: id, Reviewer: r, Lease: time.Minute, Window: time.Minute}
		}
		// Three skips take an item out of the queue; skippers are not
		// offered it again.
		for i, r := range []string{"a@x.org", "b@x.org", "c@x.org"} {
			o, err := db.SkipReviewItem(ctx, act(r, ids[0]))
			want := store.StatePending
			if i == 2 {
				want = store.StateSkipped
			}
			if err != nil || o.State != want {
				t.Fatalf("skip %d: %+v, %v", i, o, err)
			}
		}
		if got := claim(t, db, "a@x.org", 5, time.Minute); len(got) != 1 || got[0] != ids[1] {
			t.Fatalf("a was offered %v", got)
		}
		// Undo the last skip: the item is c's again, under a lease.
		if o, err := db.UndoReviewAction(ctx, act("c@x.org", ids[0])); err != nil || o.Undone != "skip" || o.State != store.StateClaimed {
			t.Fatalf("undo skip: %+v, %v", o, err)
		}

		// Undo a label: the label is retracted and the item reopens.
		o, err := label(db, "a@x.org", ids[1], "World")
		if err != nil || !o.Final {
			t.Fatal(o, err)
		}
		if u, err := db.UndoReviewAction(ctx, act("a@x.org", ids[1])); err != nil || u.Undone != "label" {
			t.Fatalf("undo label: %+v, %v", u, err)
		}
		it, err := db.ReviewItem(ctx, ids[1])
		if err != nil || it.State != store.StateClaimed || it.ClaimedBy != "a@x.org" || it.Reviews != 0 {
			t.Fatalf("after undo: %+v, %v", it, err)
		}
		// Nothing left to undo; and a relabel is allowed.
		if _, err := db.UndoReviewAction(ctx, act("a@x.org", ids[1])); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second undo: %v", err)
		}
		if o, err := label(db, "a@x.org", ids[1], "Sports"); err != nil || !o.Final {
			t.Fatalf("relabel: %+v, %v", o, err)
		}
		// Outside the window, undo is refused.
		stale := act("a@x.org", ids[1])
		stale.Window = time.Nanosecond
		time.Sleep(time.Millisecond)
		if _, err := db.UndoReviewAction(ctx, stale); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("undo outside the window: %v", err)
		}
		st, err := db.ReviewStats(ctx, 1)
		if err != nil || st.ByLabel["Sports"] != 1 || st.ByLabel["World"] != 0 {
			t.Fatalf("retracted label counted: %+v, %v", st.ByLabel, err)
		}
	})
}

func TestKappa(t *testing.T) {
	// Hand-computed: 10 pairs over A/B; raters agree on 7 (4 AA, 3 BB).
	// Rater 1 says A 6 times, rater 2 says A 5 times:
	// pe = .6*.5 + .4*.5 = .5, po = .7, kappa = .4.
	var pairs [][2]string
	for range 4 {
		pairs = append(pairs, [2]string{"A", "A"})
	}
	for range 3 {
		pairs = append(pairs, [2]string{"B", "B"})
	}
	pairs = append(pairs, [2]string{"A", "B"}, [2]string{"A", "B"}, [2]string{"B", "A"})
	a := store.Kappa(pairs)
	if a.Kappa == nil || math.Abs(*a.Kappa-0.4) > 1e-12 || a.Observed != 0.7 {
		t.Fatalf("kappa = %+v", a)
	}
	// With two labels, each label's one-vs-rest kappa equals the overall.
	if k := a.PerLabel["A"]; k == nil || math.Abs(*k-0.4) > 1e-12 {
		t.Fatalf("per-label kappa = %v", k)
	}
	if a := store.Kappa([][2]string{{"A", "A"}}); a.Kappa != nil {
		t.Fatalf("kappa of one constant pair should be undefined, got %v", *a.Kappa)
	}
	if a := store.Kappa(nil); a.Kappa != nil || a.Pairs != 0 {
		t.Fatalf("empty: %+v", a)
	}
}
