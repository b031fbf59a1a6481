package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/store"
)

// finetuneCmd is `newsintel finetune`: it trains a new topic model version
// from the base data and every usable human label, evaluates it against
// the active version on the frozen evaluation set and the newest human
// labels, and promotes it if it is not worse (see inference/finetune).
func finetuneCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("finetune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseData := fs.String("base-data", "", "AG News folder or CSV/JSONL file of labeled texts (default: $FINETUNE_BASE_DATA)")
	textCol := fs.String("text-col", "text", "text column or field of a --base-data file")
	labelCol := fs.String("label-col", "label", "label column or field of a --base-data file")
	tolerance := fs.Float64("tolerance", -1, "how much lower macro-F1 may be on each evaluation set (default: $FINETUNE_TOLERANCE, 0.01)")
	force := fs.Bool("force", false, "promote the new version even if the gate rejects it")
	dryRun := fs.Bool("dry-run", false, "train, evaluate and register the new version, but do not promote it")
	cacheDir := fs.String("cache-dir", "", "embedding cache folder (default: $DATA_DIR/cache/embeddings; 'off' disables it)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 || (*tolerance != -1 && (*tolerance < 0 || *tolerance >= 1)) || (*force && *dryRun) {
		fs.Usage()
		return fmt.Errorf("%w: finetune takes flags only, --tolerance in [0, 1), and not both --force and --dry-run", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if *baseData != "" {
		cfg.FinetuneBaseData = *baseData
	}
	if *tolerance != -1 {
		cfg.FinetuneTolerance = *tolerance
	}
	db, err := openMigrated(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureBuiltin(ctx, db, discardLogger()); err != nil {
		return err
	}
	emb, done, err := trainingEmbedder(ctx, cfg, *cacheDir, stderr)
	if err != nil {
		return err
	}
	defer done()
	// MLflow's warnings go to stderr: the CLI has no metrics to count them.
	ft, err := newFinetuner(cfg, db, emb, discardLogger(), newTracker(cfg, newLogger(cfg, stderr), nil))
	if err != nil {
		return err
	}
	ft.SetColumns(*textCol, *labelCol)

	bars := map[string]*progress{}
	rep, err := ft.Run(ctx, finetune.Options{TriggeredBy: store.TriggerCLI, Force: *force, DryRun: *dryRun,
		Actor: "cli", Progress: func(stage string, n, total int) {
			bar, ok := bars[stage]
			if !ok {
				bar = newProgress(stderr, fmt.Sprintf("%-16s", stage))
				bars[stage] = bar
			}
			bar.Update(n, total)
			if n == total {
				bar.Done()
			}
		}})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprint(stdout, reportText(rep))
	return nil
}

// reportText is the run's summary for a terminal.
func reportText(r *finetune.Report) string {
	var b strings.Builder
	c := r.Counts
	fmt.Fprintf(&b, "run %d: %s from %s in %.0fs\n", r.RunID, r.NewVersion, r.BaseVersion, r.Seconds)
	fmt.Fprintf(&b, "data: %s %d train / %d frozen eval; human labels %d (review %d, feedback %d): %d train, %d held out",
		c.BaseData, c.BaseTrain, c.FrozenEval, c.Human, c.HumanBySource["review"], c.HumanBySource["feedback"], c.HumanTrain, c.HumanEval)
	if skipped := c.SkippedUnknownLabel + c.SkippedSuperseded + c.SkippedEvalOverlap; skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped", skipped)
	}
	fmt.Fprintf(&b, "\n%-24s %10s %10s %10s %10s\n", "macro-F1", "frozen", "n", "human", "n")
	for _, v := range []finetune.VersionMetrics{r.Current, r.Candidate} {
		human, n := "-", "-"
		if v.Human != nil {
			human, n = fmt.Sprintf("%.4f", v.Human.MacroF1), fmt.Sprint(v.Human.N)
		}
		fmt.Fprintf(&b, "%-24s %10.4f %10d %10s %10s\n", v.Version, v.Frozen.MacroF1, v.Frozen.N, human, n)
	}
	fmt.Fprintf(&b, "%s\n", r.Decision)
	return b.String()
}
