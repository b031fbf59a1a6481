package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

func TestEvalSummaries(t *testing.T) {
	env := map[string]string{"MODEL_DIR": sharedModelDir()}
	var out bytes.Buffer
	err := run(context.Background(), []string{"eval-summaries", "--data", "fixture=testdata/summaries.jsonl", "--data", "testdata/summaries.jsonl", "--sentences", "2", "--json"},
		envOf(env), nil, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var rep evalSummariesReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if len(rep.Corpora) != 2 || rep.Corpora[0].Corpus != "fixture" || rep.Corpora[1].Corpus != "summaries" {
		t.Fatalf("corpora: %+v", rep.Corpora)
	}
	r := rep.Corpora[0].Report
	if r.Articles != 3 || len(r.Methods) != 5 {
		t.Fatalf("report: %d articles, %d methods", r.Articles, len(r.Methods))
	}
	want := []string{"learned-lexical-3s75w", "learned-lexical-2", "lead-2", "textrank-2", "oracle-2"}
	for k, m := range r.Methods {
		if m.Method != want[k] {
			t.Errorf("method %d is %s, want %s", k, m.Method, want[k])
		}
		if m.Rouge1.F1 <= 0 || m.Rouge1.F1 > 1 {
			t.Errorf("%s: R1 %v", m.Method, m.Rouge1.F1)
		}
	}
	// Lead-2 is exactly right on the first article only; the fixture's
	// references were picked so that the leads are not always the answer.
	// The oracle, which sees the references, is at least as good as any
	// method.
	lead, oracle := r.Methods[2], r.Methods[4]
	if lead.Rouge1.F1 >= 0.99 || lead.MeanSentences != 2 {
		t.Errorf("lead: %+v", lead)
	}
	for _, m := range r.Methods {
		if m.Rouge2.F1 > oracle.Rouge2.F1+1e-9 {
			t.Errorf("%s R2 %.3f above the oracle's %.3f", m.Method, m.Rouge2.F1, oracle.Rouge2.F1)
		}
	}

	for _, args := range [][]string{{"eval-summaries", "--data"}, {"eval-summaries", "--data", "x", "extra"},
		{"eval-summaries", "--data", "testdata/summaries.jsonl", "--cross"}, {"eval-summaries", "--data", "testdata/summaries.jsonl", "--sentences", "0"}} {
		if err := run(context.Background(), args, envOf(env), nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if err := run(context.Background(), []string{"eval-summaries", "--data", "testdata/none.jsonl"}, envOf(env), nil, io.Discard, io.Discard); err == nil {
		t.Error("a missing file was not an error")
	}
}
