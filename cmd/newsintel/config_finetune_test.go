package main

import (
	"strings"
	"testing"
	"time"
)

func TestFinetuneConfig(t *testing.T) {
	c, err := loadConfig(envOf(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelPollInterval != 5*time.Second || c.FinetuneTolerance != 0.01 || c.FinetuneAutoLabels != 0 ||
		!strings.HasSuffix(c.FinetuneBaseData, "ag_news") {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = loadConfig(envOf(map[string]string{"MODEL_POLL_INTERVAL": "250ms", "FINETUNE_TOLERANCE": "0",
		"FINETUNE_AUTO_LABELS": "50", "FINETUNE_BASE_DATA": "data.csv"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelPollInterval != 250*time.Millisecond || c.FinetuneTolerance != 0 || c.FinetuneAutoLabels != 50 || c.FinetuneBaseData != "data.csv" {
		t.Fatalf("values: %+v", c)
	}
	for name, value := range map[string]string{"MODEL_POLL_INTERVAL": "0s", "FINETUNE_TOLERANCE": "1",
		"FINETUNE_AUTO_LABELS": "-3"} {
		if _, err := loadConfig(envOf(map[string]string{name: value})); err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s=%q: %v", name, value, err)
		}
	}
	if _, err := loadConfig(envOf(map[string]string{"FINETUNE_TOLERANCE": "lots"})); err == nil {
		t.Error("a non-numeric tolerance was accepted")
	}
}
