package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/newsintel/newsintel/store"
)

const taxonomyUsage = `usage:
  newsintel taxonomy list
  newsintel taxonomy show NAME
  newsintel taxonomy put NAME --file FILE.json   (FILE: {"topics":[{"name","description","examples":[…]}, …]}; - reads stdin)
  newsintel taxonomy delete NAME`

// taxonomy manages custom taxonomies from the command line, the same ones
// PUT /taxonomies/:name manages over HTTP.
func taxonomy(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	usage := func(msg string) error {
		fmt.Fprintln(stderr, taxonomyUsage)
		return fmt.Errorf("%w: %s", errUsage, msg)
	}
	if len(args) == 0 {
		return usage("taxonomy needs a subcommand")
	}
	sub, rest := args[0], args[1:]
	var name, file string
	switch sub {
	case "list":
		if len(rest) != 0 {
			return usage("list takes no arguments")
		}
	case "show", "delete":
		if len(rest) != 1 {
			return usage(sub + " takes a taxonomy name")
		}
		name = rest[0]
	case "put":
		if len(rest) != 3 || rest[1] != "--file" {
			return usage("put takes NAME --file FILE")
		}
		name, file = rest[0], rest[2]
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
	case "list":
		all, err := db.Taxonomies(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTOPICS\tUPDATED")
		for _, t := range all {
			names := make([]string, len(t.Topics))
			for i, tp := range t.Topics {
				names[i] = tp.Name
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, strings.Join(names, ", "), t.UpdatedAt.UTC().Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "show":
		t, err := db.Taxonomy(ctx, name)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(t)
	case "delete":
		if err := db.DeleteTaxonomy(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted taxonomy %s\n", name)
		return nil
	}

	var in io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	var body struct {
		Topics []store.Topic `json:"topics"`
	}
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields() // a typo in a hand-written file should not pass silently
	if err := dec.Decode(&body); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	created, err := db.PutTaxonomy(ctx, store.Taxonomy{Name: name, Topics: body.Topics})
	var invalid store.ValidationError
	if errors.As(err, &invalid) {
		for _, f := range invalid {
			fmt.Fprintf(stderr, "%s: %s\n", f.Field, f.Message)
		}
		return fmt.Errorf("taxonomy %s is not valid", name)
	}
	if err != nil {
		return err
	}
	verb := "replaced"
	if created {
		verb = "created"
	}
	fmt.Fprintf(stdout, "%s taxonomy %s with %d topics\n", verb, name, len(body.Topics))
	return nil
}
