package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// APIKey is one accepted key. Name is not secret: it appears in logs and
// metrics so that a rotation (runbook 5.1) can be watched key by key.
type APIKey struct {
	Name   string
	Secret string
}

// keyNamePattern is what may stand before the colon of a "name:secret"
// entry. Anything else containing a colon is taken as a bare secret.
var keyNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// minSecretLen keeps out keys short enough to guess.
const minSecretLen = 16

// ParseAPIKeys reads API_KEY (one key) and API_KEYS (semicolon-separated).
// Entries are trimmed and empty ones ignored. An entry is "name:secret" or
// a bare secret, whose name is "key-" and the first 8 hex digits of its
// SHA-256: stable across restarts and rotations, and useless to an
// attacker. A secret listed twice counts once.
func ParseAPIKeys(apiKey, apiKeys string) ([]APIKey, error) {
	var keys []APIKey
	bySecret := map[string]bool{}
	byName := map[string]bool{}
	add := func(variable, entry string) error {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil
		}
		k := APIKey{Secret: entry}
		if name, secret, ok := strings.Cut(entry, ":"); ok && keyNamePattern.MatchString(name) {
			k = APIKey{Name: name, Secret: strings.TrimSpace(secret)}
		}
		if len(k.Secret) < minSecretLen {
			return fmt.Errorf("%s: a key is %d characters long; use at least %d (for example: openssl rand -hex 32)",
				variable, len(k.Secret), minSecretLen)
		}
		if k.Name == "" {
			sum := sha256.Sum256([]byte(k.Secret))
			k.Name = "key-" + hex.EncodeToString(sum[:4])
		}
		if bySecret[k.Secret] {
			return nil
		}
		if byName[k.Name] {
			return fmt.Errorf("%s: two different keys are both named %q", variable, k.Name)
		}
		bySecret[k.Secret], byName[k.Name] = true, true
		keys = append(keys, k)
		return nil
	}
	if err := add("API_KEY", apiKey); err != nil {
		return nil, err
	}
	for _, entry := range strings.Split(apiKeys, ";") {
		if err := add("API_KEYS", entry); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// presentedKey returns the key a request carries in X-API-Key or as an
// Authorization bearer token.
func presentedKey(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return strings.TrimSpace(k)
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return ""
}

// matchKey finds the configured key equal to presented. It compares against
// every key, in constant time each, so timing tells nothing about which
// key, or how much of one, matched.
func matchKey(keys []APIKey, presented string) (APIKey, bool) {
	var (
		found APIKey
		ok    bool
	)
	p := []byte(presented)
	for _, k := range keys {
		if subtle.ConstantTimeCompare([]byte(k.Secret), p) == 1 {
			found, ok = k, true
		}
	}
	return found, ok
}

// requireKey guards the protected routes.
func (s *Server) requireKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.AuthDisabled {
			return next(c)
		}
		req := c.Request()
		presented := presentedKey(req)
		k, ok := matchKey(s.cfg.APIKeys, presented)
		if !ok {
			s.metrics.authFailures.Inc()
			msg := "this route needs an API key in X-API-Key or Authorization: Bearer"
			if presented != "" {
				msg = "the API key is not valid"
			}
			return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: msg}
		}
		c.Set(echoKeyName, k.Name)
		s.keyUsage.touch(k.Name, time.Now())
		return next(c)
	}
}
