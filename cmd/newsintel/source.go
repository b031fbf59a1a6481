package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/newsintel/newsintel/store"
)

const sourceUsage = `usage:
  newsintel source add NAME URL [--interval 15m] [--taxonomy T]
  newsintel source list
  newsintel source pause NAME
  newsintel source resume NAME
  newsintel source delete NAME`

// sourceCmd manages feed sources from the command line, the same ones
// /sources manages over HTTP. Running servers poll them.
func sourceCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	usage := func(msg string) error {
		fmt.Fprintln(stderr, sourceUsage)
		return fmt.Errorf("%w: %s", errUsage, msg)
	}
	if len(args) == 0 {
		return usage("source needs a subcommand")
	}
	sub, rest := args[0], args[1:]
	var n store.NewSource
	switch sub {
	case "list":
		if len(rest) != 0 {
			return usage("list takes no arguments")
		}
	case "pause", "resume", "delete":
		if len(rest) != 1 {
			return usage(sub + " takes a source name")
		}
		n.Name = rest[0]
	case "add":
		if len(rest) < 2 {
			return usage("add takes NAME URL")
		}
		n.Name, n.URL = rest[0], rest[1]
		fs := flag.NewFlagSet("source add", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.DurationVar(&n.PollInterval, "interval", 15*time.Minute, "time between polls (1m to 168h)")
		fs.StringVar(&n.Taxonomy, "taxonomy", "", "classify with this custom taxonomy instead of the topic model")
		if err := fs.Parse(rest[2:]); err != nil || fs.NArg() > 0 {
			return usage("add takes NAME URL [--interval D] [--taxonomy T]")
		}
		if v := n.Validate(); len(v) > 0 {
			return usage(v.Error())
		}
	default:
		return usage("unknown subcommand " + sub)
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer db.Close()

	switch sub {
	case "add":
		if n.Taxonomy != "" {
			if _, err := db.Taxonomy(ctx, n.Taxonomy); err != nil {
				return fmt.Errorf("--taxonomy: %w", err)
			}
		}
		s, err := db.AddSource(ctx, n)
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("a source named %q exists", n.Name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added source %s (%s), polled every %s by running servers\n", s.Name, s.URL, s.PollInterval)
	case "pause", "resume":
		s, err := db.SetSourcePaused(ctx, n.Name, sub == "pause")
		if err != nil {
			return err
		}
		state := "resumed (polled at once)"
		if s.Paused {
			state = "paused"
		}
		fmt.Fprintf(stdout, "source %s %s\n", s.Name, state)
	case "delete":
		if err := db.DeleteSource(ctx, n.Name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted source %s (its articles stay)\n", n.Name)
	case "list":
		all, err := db.Sources(ctx)
		if err != nil {
			return err
		}
		counts, err := db.SourceCounts(ctx, time.Now().Add(-7*24*time.Hour))
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tURL\tEVERY\tSTATE\tLAST FETCH\tSTATUS\tARTICLES/DAY\tLAST ERROR")
		for _, s := range all {
			state, last := "active", "never"
			if s.Paused {
				state = "paused"
			}
			if s.LastFetchAt != nil {
				last = s.LastFetchAt.UTC().Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.1f\t%s\n", s.Name, s.URL, s.PollInterval, state, last, s.LastStatus,
				float64(counts[s.ID].New)/7, s.LastError)
		}
		return tw.Flush()
	}
	return nil
}
