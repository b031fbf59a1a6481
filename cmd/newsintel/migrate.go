package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
)

// migrate is `newsintel migrate up|status`, the runbook's
// `alembic upgrade head` and its companion.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		fmt.Fprintln(stderr, "usage: newsintel migrate up|status")
		return fmt.Errorf("%w: migrate takes one argument, up or status", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DBURL)
	if err != nil {
		return err
	}
	defer db.Close()

	if args[0] == "up" {
		applied, err := db.Migrate(ctx)
		for _, m := range applied {
			fmt.Fprintf(stdout, "applied %04d_%s\n", m.Version, m.Name)
		}
		if err != nil {
			return err
		}
		queue, err := jobs.Migrate(ctx, db)
		for _, m := range queue {
			fmt.Fprintf(stdout, "applied job queue (River) %03d_%s\n", m.Version, m.Name)
		}
		if err != nil {
			return err
		}
		if len(applied) == 0 && len(queue) == 0 {
			fmt.Fprintf(stdout, "%s: schema is up to date\n", db)
		}
		return nil
	}

	status, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", db)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	for _, m := range status {
		state, at := "applied", m.AppliedAt.UTC().Format(time.RFC3339)
		switch {
		case m.Unknown:
			state = "unknown: recorded in the database, not in this binary"
		case m.Pending():
			state, at = "pending", "-"
		case m.Modified:
			state = "applied, file changed since"
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
	}
	// River's own migrations: it records no time, only the version.
	queue, err := jobs.Status(ctx, db)
	if err != nil {
		return err
	}
	for _, m := range queue {
		state := "applied"
		if !m.Applied {
			state = "pending"
		}
		fmt.Fprintf(tw, "river-%03d\t%s\t%s\t-\n", m.Version, strings.ReplaceAll(m.Name, " ", "_"), state)
	}
	return tw.Flush()
}
