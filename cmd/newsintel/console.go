package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/web"
)

// consoleConfig completes the console configuration with its session key:
// SESSION_SECRET when set, else a key generated once and kept in the
// database, so restarts (and every replica) keep accepting the sessions
// already issued.
func consoleConfig(ctx context.Context, cfg config, db *store.DB) (web.ConsoleConfig, error) {
	cc := cfg.Console
	if cfg.SessionSecret != "" {
		cc.SessionKey = []byte(cfg.SessionSecret)
		return cc, nil
	}
	secret, err := db.Secret(ctx, "session", func() (string, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return hex.EncodeToString(b), nil
	})
	if err != nil {
		return cc, err
	}
	cc.SessionKey = []byte(secret)
	return cc, nil
}
