package finetune

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// DataCounts says what a run trained and evaluated on, by source.
type DataCounts struct {
	// BaseData names the base data set; BaseTrain and FrozenEval are its
	// two parts.
	BaseData   string `json:"base_data"`
	BaseTrain  int    `json:"base_train"`
	FrozenEval int    `json:"frozen_eval"`
	// BaseReplaced counts base training examples dropped because a human
	// labeled the same article.
	BaseReplaced int `json:"base_replaced_by_human"`
	// Human counts the usable human labels, HumanBySource by "review" and
	// "feedback"; HumanTrain and HumanEval are what was trained on and held
	// out (the newest).
	Human         int            `json:"human"`
	HumanBySource map[string]int `json:"human_by_source"`
	HumanTrain    int            `json:"human_train"`
	HumanEval     int            `json:"human_eval"`
	// Skipped human labels: a label the model does not have, a later
	// label of the same article, or an article in the frozen evaluation set.
	SkippedUnknownLabel int `json:"skipped_unknown_label"`
	SkippedSuperseded   int `json:"skipped_superseded"`
	SkippedEvalOverlap  int `json:"skipped_eval_overlap"`
}

// dataset is a run's data: what to train on and the two evaluation sets.
type dataset struct {
	train      []topic.Example
	frozenEval []topic.Example
	humanEval  []topic.Example
	// labelIDs are the human labels in train.
	labelIDs []int64
	counts   DataCounts
}

// loadBase reads the base data: an AG News folder (as `train --agnews`) or
// a CSV/JSONL file (as `train --data`).
func loadBase(path, textCol, labelCol string) ([]topic.Example, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("finetune: base data: %w", err)
	}
	if st.IsDir() {
		exs, _, err := topic.LoadAGNews(path)
		return exs, err
	}
	return topic.LoadExamples(path, textCol, labelCol)
}

// buildDataset splits the base data into training and the frozen
// evaluation set (the seeded dev split, the same every run), holds out the
// newest human labels, and joins the rest to the training data. Human
// labels win over the base data for the same article.
func buildDataset(base []topic.Example, baseName string, labels []string, human []store.TrainingLabel, c *Config) (*dataset, error) {
	sp, err := topic.SplitExamples(base, topic.Options{Labels: labels, Seed: c.Seed, DevFraction: c.EvalFraction})
	if err != nil {
		return nil, fmt.Errorf("finetune: base data: %w", err)
	}
	d := &dataset{frozenEval: sp.Dev}
	d.counts = DataCounts{BaseData: filepath.Base(baseName), FrozenEval: len(sp.Dev), Human: len(human), HumanBySource: map[string]int{}}

	known := map[string]bool{}
	for _, l := range labels {
		known[l] = true
	}
	// The newest label of each article wins, in label order (oldest first).
	type humanEx struct {
		ex   topic.Example
		id   int64
		keys []string
	}
	var cands []humanEx
	last := map[string]int{}
	for _, l := range human {
		d.counts.HumanBySource[l.Source]++
		if !known[l.Label] {
			d.counts.SkippedUnknownLabel++
			continue
		}
		text := topic.ArticleText(l.Title, l.Body)
		ex := topic.Example{Text: text, Label: l.Label, Source: fmt.Sprintf("label %d (%s)", l.LabelID, l.Source), Key: topic.DedupKey(text)}
		// AG News deduplicates on the description alone, so an article
		// is matched with the base data by either key.
		keys := []string{ex.Key, topic.DedupKey(l.Body)}
		last[ex.Key] = len(cands)
		cands = append(cands, humanEx{ex, l.LabelID, keys})
	}
	var uniq []humanEx
	for i, h := range cands {
		if last[h.ex.Key] != i {
			d.counts.SkippedSuperseded++
			continue
		}
		uniq = append(uniq, h)
	}

	hold := int(math.Ceil(float64(len(uniq)) * c.HoldoutFraction))
	if hold < c.MinHoldout {
		hold = min(c.MinHoldout, len(uniq)/2)
	}
	frozen := map[string]bool{}
	for _, ex := range sp.Dev {
		frozen[keyOf(ex)] = true
	}
	humanKeys := map[string]bool{}
	cut := len(uniq) - hold
	for i, h := range uniq {
		overlap := false
		for _, k := range h.keys {
			humanKeys[k] = true
			overlap = overlap || frozen[k]
		}
		switch {
		case i >= cut:
			d.humanEval = append(d.humanEval, h.ex)
		case overlap:
			d.counts.SkippedEvalOverlap++
		default:
			d.train = append(d.train, h.ex)
			d.labelIDs = append(d.labelIDs, h.id)
		}
	}
	d.counts.HumanTrain, d.counts.HumanEval = len(d.train), len(d.humanEval)
	for _, ex := range sp.Train {
		if humanKeys[keyOf(ex)] {
			d.counts.BaseReplaced++
			continue
		}
		d.train = append(d.train, ex)
		d.counts.BaseTrain++
	}
	return d, nil
}

func keyOf(ex topic.Example) string {
	if ex.Key != "" {
		return ex.Key
	}
	return topic.DedupKey(ex.Text)
}
