package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/web"
)

const userUsage = `usage:
  newsintel user add --email EMAIL --role reviewer|analyst|admin
        the password is read from stdin (one line), or generated and
        printed when stdin is empty
  newsintel user list
  newsintel user passwd --email EMAIL      (new password from stdin, or generated)
  newsintel user disable --email EMAIL
  newsintel user enable --email EMAIL
  newsintel user role --email EMAIL --role ROLE`

// user is `newsintel user …`: console accounts.
func user(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, userUsage)
		return fmt.Errorf("%w: user needs a subcommand", errUsage)
	}
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the user's email")
	role := fs.String("role", "", "reviewer, analyst or admin")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	needEmail := args[0] != "list"
	if fs.NArg() > 0 || (needEmail && *email == "") {
		fmt.Fprintln(stderr, userUsage)
		return fmt.Errorf("%w: user %s needs --email", errUsage, args[0])
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
	if cfg.AutoMigrate {
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	const actor = "cli"

	switch args[0] {
	case "add":
		hash, shown, err := passwordFrom(stdin)
		if err != nil {
			return err
		}
		u, err := db.CreateUser(ctx, *email, hash, *role, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s (%s)\n", u.Email, u.Role)
		if shown != "" {
			fmt.Fprintf(stdout, "password: %s\n(shown once; the user can be given a new one with `newsintel user passwd`)\n", shown)
		}
		return nil
	case "list":
		users, err := db.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tROLE\tCREATED\tSTATE")
		for _, u := range users {
			state := "enabled"
			if u.Disabled() {
				state = "disabled " + u.DisabledAt.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Email, u.Role, u.CreatedAt.Format(time.DateOnly), state)
		}
		return tw.Flush()
	case "passwd":
		hash, shown, err := passwordFrom(stdin)
		if err != nil {
			return err
		}
		if _, err := db.UpdateUser(ctx, *email, store.UserUpdate{PasswordHash: &hash}, actor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "changed the password of %s; their sessions have ended\n", store.NormalizeEmail(*email))
		if shown != "" {
			fmt.Fprintf(stdout, "password: %s\n", shown)
		}
		return nil
	case "disable", "enable":
		off := args[0] == "disable"
		if _, err := db.UpdateUser(ctx, *email, store.UserUpdate{Disabled: &off}, actor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%sd %s\n", args[0], store.NormalizeEmail(*email))
		return nil
	case "role":
		if _, err := db.UpdateUser(ctx, *email, store.UserUpdate{Role: role}, actor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is now %s\n", store.NormalizeEmail(*email), *role)
		return nil
	default:
		fmt.Fprintln(stderr, userUsage)
		return fmt.Errorf("%w: unknown user subcommand %q", errUsage, args[0])
	}
}

// passwordFrom reads a password from the first line of stdin, or, when
// stdin is empty, generates one and returns it to be shown.
func passwordFrom(stdin io.Reader) (hash, generated string, err error) {
	var password string
	if stdin != nil {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", "", fmt.Errorf("read the password from stdin: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if password == "" {
		b := make([]byte, 15)
		rand.Read(b) // never fails (crypto/rand documents it)
		password = base64.RawURLEncoding.EncodeToString(b)
		generated = password
	}
	hash, err = web.HashPassword(password)
	if err != nil {
		return "", "", err
	}
	return hash, generated, nil
}
