package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/newsintel/newsintel/inference/summarize"
)

func TestEvalSummaries(t *testing.T) {
	env := map[string]string{"MODEL_DIR": sharedModelDir()}
	var out bytes.Buffer
	err := run(context.Background(), []string{"eval-summaries", "--data", "testdata/summaries.jsonl", "--sentences", "2", "--json"},
		envOf(env), nil, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var rep summarize.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if rep.Articles != 3 || len(rep.Methods) != 5 {
		t.Fatalf("report: %d articles, %d methods", rep.Articles, len(rep.Methods))
	}
	for _, m := range rep.Methods {
		if m.Rouge1.F1 <= 0 || m.Rouge1.F1 > 1 || m.MeanSentences != 2 {
			t.Errorf("%s: R1 %v, %v sentences", m.Method, m.Rouge1.F1, m.MeanSentences)
		}
	}
	// Lead-2 is exactly right on the first article only; the fixture's
	// references were picked so that the leads are not always the answer.
	if rep.Methods[0].Method != "lead-2" || rep.Methods[0].Rouge1.F1 >= 0.99 {
		t.Errorf("lead: %+v", rep.Methods[0])
	}

	for _, args := range [][]string{{"eval-summaries"}, {"eval-summaries", "--data"}, {"eval-summaries", "--data", "x", "extra"}} {
		if err := run(context.Background(), args, envOf(env), nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if err := run(context.Background(), []string{"eval-summaries", "--data", "testdata/none.jsonl"}, envOf(env), nil, io.Discard, io.Discard); err == nil {
		t.Error("a missing file was not an error")
	}
}
