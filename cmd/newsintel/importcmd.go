package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/store"
)

// importCmd is `newsintel import FILE`: stage a JSONL or CSV file's rows
// and, unless --no-wait, work the ingest queue in this process until
// every row is processed, then print what became of them. Run again on
// the same file after a crash, it resumes where it stopped. `import
// --cancel ID` cancels an import instead (as POST /imports/:id/cancel).
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("source", "", "source of rows that name none (default: the file's name)")
	taxonomy := fs.String("taxonomy", "", "classify with this custom taxonomy instead of the topic model")
	format := fs.String("format", "", "jsonl or csv (default: from the file's extension)")
	columns := fs.String("columns", "", "comma-separated column names of a CSV file without a header row, e.g. label,title,description")
	workers := fs.Int("workers", 0, "ingest jobs run at once in this process (default: $INGEST_WORKERS, at least 1)")
	noWait := fs.Bool("no-wait", false, "stage the rows and return; running servers process them")
	bench := fs.Int("bench", 0, "first classify the file's first N rows offline (no database) and report that rate beside the import's")
	cancelID := fs.Int64("cancel", 0, "cancel import ID instead: reject its pending rows as \"cancelled\" and cancel its queued jobs")
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *cancelID != 0 {
		if file != "" || fs.NArg() > 0 || *cancelID < 0 {
			return fmt.Errorf("%w: import --cancel takes a positive import ID and no file", errUsage)
		}
		return cancelImportCmd(ctx, *cancelID, getenv, stdout, stderr)
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 || file == "" {
		fs.Usage()
		return fmt.Errorf("%w: import takes one FILE (.jsonl or .csv)", errUsage)
	}
	var cols []string
	if *columns != "" {
		cols = strings.Split(*columns, ",")
	}
	if *format == "" {
		f, err := ingest.FormatOf(file)
		if err != nil {
			return fmt.Errorf("%w: %v; or give --format", errUsage, err)
		}
		*format = f
	}
	if *source == "" {
		*source = strings.TrimSuffix(baseName(file), "."+*format)
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	total, err := countRows(file, *format, cols)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()

	n := max(cfg.IngestWorkers, 1)
	if *workers > 0 {
		n = *workers
	}
	if *noWait {
		n = 0
	}
	var (
		classifier ingest.Classifier = refuseClassify{}
		summarizer ingest.Summarizer // nil with --no-wait: no jobs run here
	)
	offline := 0.0
	if n > 0 {
		svc, sum, closeEnc, err := importClassifier(ctx, cfg, db)
		if err != nil {
			return err
		}
		defer closeEnc()
		classifier, summarizer = svc, sum
		if *bench > 0 {
			if offline, err = offlineRate(ctx, svc, file, *format, cols, *taxonomy, *bench, n); err != nil {
				return err
			}
		}
	}
	// The time the import's jobs spend in the classifier, for --bench.
	var (
		classifyMu   sync.Mutex
		classifyTime time.Duration
		classified   int
	)
	onClassify := func(docs int, took time.Duration) {
		classifyMu.Lock()
		classifyTime += took
		classified += docs
		classifyMu.Unlock()
	}
	client, err := newJobClient(cfg, db, classifier, summarizer, nil, discardLogger(), n, false, onClassify)
	if err != nil {
		return err
	}
	if n > 0 {
		if err := client.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("job queue: %w", err)
		}
		defer stopJobs(client, cfg.ShutdownTimeout, log)
	}

	start := time.Now()
	reading := newProgress(stderr, "reading   ")
	im, resumed, err := ingest.ImportFile(ctx, db, client, ingest.FileImport{Path: file, Format: *format, Columns: cols,
		Source: *source, Taxonomy: *taxonomy, By: "cli", Progress: func(rows int) { reading.Update(rows, total) }})
	reading.Done()
	if resumed {
		fmt.Fprintf(stdout, "resumed import %d of %s from row %d\n", im.ID, file, im.RowsRead+1)
	}
	if errors.Is(err, store.ErrImportCancelled) {
		st, serr := db.ImportStatus(ctx, im.ID)
		if serr != nil {
			return serr
		}
		printImportSummary(stdout, st, file, time.Since(start))
		return fmt.Errorf("import %d was cancelled while reading %s", im.ID, file)
	}
	if err != nil {
		return err
	}
	if *noWait {
		fmt.Fprintf(stdout, "import %d: %d rows staged; the servers' ingest workers process them (GET /imports/%d)\n", im.ID, total, im.ID)
		return nil
	}
	st, err := waitImport(ctx, db, im.ID, total, stderr)
	if err != nil {
		return err
	}
	took := time.Since(start)
	printImportSummary(stdout, st, file, took)
	if st.CancelledAt != nil {
		return fmt.Errorf("import %d was cancelled", st.ID)
	}
	if offline > 0 {
		rate := float64(st.Count(store.ItemNew)) / took.Seconds()
		classifyMu.Lock()
		busy := classifyTime.Seconds() / (took.Seconds() * float64(n))
		classifyMu.Unlock()
		fmt.Fprintf(stdout, "bench: import %.1f new articles/s; offline classification %.1f articles/s (same run: the first %d rows, %d at a time, warm, no database); ratio %.2f\n",
			rate, offline, *bench, n, rate/offline)
		fmt.Fprintf(stdout, "bench: the %d ingest workers spent %.0f%% of the import's wall time in the classifier (%d articles in %s)\n",
			n, 100*busy, classified, classifyTime.Round(time.Millisecond))
	}
	return nil
}

// offlineRate classifies the file's first n valid rows in batches of
// ingest.BatchSize, workers at a time, as the ingest jobs do but without
// the queue or the database: the rate the import would reach if only the
// model counted. A first, untimed pass compiles the encoder's shapes, as
// the import's first batches do.
func offlineRate(ctx context.Context, c *classify.Service, path, format string, cols []string, taxonomy string, n, workers int) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rr, err := ingest.NewReader(f, format, cols)
	if err != nil {
		return 0, err
	}
	var docs []classify.Doc
	for len(docs) < n {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		if a, problems := row.Article.Check(); row.Invalid == "" && len(problems) == 0 {
			docs = append(docs, classify.Doc{Title: a.Title, Body: a.Body})
		}
	}
	if len(docs) == 0 {
		return 0, fmt.Errorf("--bench: no valid rows in %s", path)
	}
	pass := func() error {
		batches := make(chan []classify.Doc)
		errs := make(chan error, workers)
		for range workers {
			go func() {
				var first error
				for b := range batches {
					if _, err := c.Classify(ctx, b, taxonomy); err != nil && first == nil {
						first = err
					}
				}
				errs <- first
			}()
		}
		for i := 0; i < len(docs); i += ingest.BatchSize {
			batches <- docs[i:min(i+ingest.BatchSize, len(docs))]
		}
		close(batches)
		var first error
		for range workers {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	if err := pass(); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := pass(); err != nil {
		return 0, err
	}
	return float64(len(docs)) / time.Since(start).Seconds(), nil
}

// waitImport polls an import until every row is processed, drawing a
// progress bar of the rows done.
func waitImport(ctx context.Context, db *store.DB, id int64, total int, stderr io.Writer) (store.ImportStatus, error) {
	bar := newProgress(stderr, "processing")
	defer bar.Done()
	for {
		st, err := db.ImportStatus(ctx, id)
		if err != nil {
			return st, err
		}
		done := st.Count(store.ItemNew) + st.Count(store.ItemDuplicate) + st.Count(store.ItemRejected)
		bar.Update(done, max(total, done))
		if st.Finished() {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("import %d interrupted with %d of %d rows processed; run the same command again to resume: %w",
				id, done, total, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// printImportSummary prints new, duplicate and rejected counts, each with
// its reasons, most frequent first.
func printImportSummary(w io.Writer, st store.ImportStatus, file string, took time.Duration) {
	rows := st.Count(store.ItemNew) + st.Count(store.ItemDuplicate) + st.Count(store.ItemRejected)
	fmt.Fprintf(w, "import %d of %s: %d rows in %s (%.1f rows/s)\n", st.ID, file, rows, took.Round(time.Millisecond),
		float64(rows)/max(took.Seconds(), 1e-9))
	if st.CancelledAt != nil {
		fmt.Fprintf(w, "  cancelled at %s\n", st.CancelledAt.Format(time.RFC3339))
	}
	printImportCounts(w, st)
}

// printImportCounts prints the new, duplicate and rejected lines of a
// summary.
func printImportCounts(w io.Writer, st store.ImportStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, state := range []string{store.ItemNew, store.ItemDuplicate, store.ItemRejected} {
		fmt.Fprintf(tw, "  %s\t%d\t\n", state, st.Count(state))
		var reasons []store.ItemCount
		for _, c := range st.Counts {
			if c.State == state && c.Reason != "" {
				reasons = append(reasons, c)
			}
		}
		sort.SliceStable(reasons, func(i, j int) bool { return reasons[i].Count > reasons[j].Count })
		for _, r := range reasons {
			fmt.Fprintf(tw, "\t%d\t%s\n", r.Count, r.Reason)
		}
	}
	tw.Flush()
}

// countRows reads the file once for the progress bar's total.
func countRows(path, format string, cols []string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rr, err := ingest.NewReader(f, format, cols)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	n := 0
	for {
		_, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("%s: row %d: %w", path, n+1, err)
		}
		n++
	}
}

// importClassifier loads the encoder and the topic model serve would
// use (CLASSIFIER_VERSION, else the active version), and the summarizer
// serve would use.
func importClassifier(ctx context.Context, cfg config, db *store.DB) (*classify.Service, *summarize.Summarizer, func(), error) {
	log := discardLogger()
	loader := inference.Load(ctx, func(ctx context.Context) (*inference.Encoder, error) { return loadEncoder(ctx, cfg.ModelDir, log) })
	if err := loader.Wait(ctx); err != nil {
		return nil, nil, nil, fmt.Errorf("encoder: %w", err)
	}
	encoder := inference.NewService(loader, inference.BatcherOptions{MaxBatch: cfg.BatchMaxSize, MaxWait: cfg.BatchMaxWait, QueueSize: cfg.QueueSize})
	if err := ensureBuiltin(ctx, db, log); err != nil {
		encoder.Close()
		return nil, nil, nil, err
	}
	model, _, err := startModel(ctx, cfg, db, finetune.Models{DataDir: cfg.DataDir}, log)
	if err != nil {
		encoder.Close()
		return nil, nil, nil, err
	}
	summarizer, err := summarize.New(encoder, inference.ModelID)
	if err != nil {
		encoder.Close()
		return nil, nil, nil, err
	}
	return classify.New(encoder, model, storeTaxonomies{db}, nil), summarizer, func() { encoder.Close() }, nil
}

// refuseClassify is the classifier of an import that only stages rows:
// its client never works jobs, so this is never called.
type refuseClassify struct{}

func (refuseClassify) Classify(context.Context, []classify.Doc, string) (classify.Result, error) {
	return classify.Result{}, errors.New("this process stages rows only (--no-wait)")
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// cancelImportCmd is `newsintel import --cancel ID`: cancel an import
// that is not finished, as POST /imports/:id/cancel does, and print its
// final counts.
func cancelImportCmd(ctx context.Context, id int64, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := openMigrated(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// An insert-only client: it cancels jobs, it runs none.
	client, err := newJobClient(cfg, db, refuseClassify{}, nil, nil, discardLogger(), 0, false, nil)
	if err != nil {
		return err
	}
	st, err := ingest.CancelImport(ctx, db, client, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("import %d: no such import", id)
	}
	var conflict *store.Conflict
	if errors.As(err, &conflict) {
		return fmt.Errorf("import %d: cannot cancel: %s", id, conflict.Reason)
	}
	if err != nil {
		return err
	}
	cancelled := 0
	for _, c := range st.Counts {
		if c.State == store.ItemRejected && c.Reason == store.ReasonCancelled {
			cancelled = c.Count
		}
	}
	fmt.Fprintf(stdout, "import %d (%s) cancelled: %d pending rows rejected as cancelled; %d rows read\n", id, st.Name, cancelled, st.RowsRead)
	printImportCounts(stdout, st)
	return nil
}
