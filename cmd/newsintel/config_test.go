package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != "127.0.0.1:8000" || c.DataDir != "./var" || c.DBURL != "sqlite://var/newsintel.db" {
		t.Errorf("addr %q, data dir %q, db %q", c.ListenAddr, c.DataDir, c.DBURL)
	}
	if !c.AutoMigrate || c.AuthDisabled || c.MLflowEnabled || c.LogLevel != slog.LevelInfo || c.LogFormat != "text" {
		t.Errorf("defaults: %+v", c)
	}
	if c.MaxBodyBytes != 10<<20 || c.RequestTimeout != 30*time.Second || c.ShutdownTimeout != 20*time.Second || c.BatchMaxWait != 0 {
		t.Errorf("limits: %+v", c)
	}
}

func TestConfigValues(t *testing.T) {
	c, err := loadConfig(envOf(map[string]string{
		"DATA_DIR":             "/srv/ni",
		"API_KEY":              "aaaaaaaaaaaaaaaaaaaa",
		"API_KEYS":             "new:bbbbbbbbbbbbbbbbbbbb; ",
		"CORS_ALLOWED_ORIGINS": "https://a.example.com/, http://localhost:8501",
		"MLFLOW_TRACKING_URI":  "http://mlflow:5000",
		"LOG_LEVEL":            "DEBUG",
		"LOG_FORMAT":           "json",
		"REQUEST_TIMEOUT":      "5s",
		"BATCH_MAX_WAIT":       "3ms",
		"REVIEW_LEASE":         "5m",
		"REVIEW_DOUBLE":        "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DBURL != "sqlite:///srv/ni/newsintel.db" {
		t.Errorf("DB_URL default under DATA_DIR: %q", c.DBURL)
	}
	if len(c.APIKeys) != 2 || c.APIKeys[1].Name != "new" {
		t.Errorf("keys: %+v", c.APIKeys)
	}
	if strings.Join(c.CORSAllowedOrigins, " ") != "https://a.example.com http://localhost:8501" {
		t.Errorf("origins: %q", c.CORSAllowedOrigins)
	}
	if !c.MLflowEnabled || c.LogLevel != slog.LevelDebug || c.LogFormat != "json" || c.RequestTimeout != 5*time.Second || c.BatchMaxWait != 3*time.Millisecond {
		t.Errorf("values: %+v", c)
	}
	if c.Queue.Lease != 5*time.Minute || c.Queue.UndoWindow != 10*time.Minute || !c.Queue.DoubleReview {
		t.Errorf("review queue: %+v", c.Queue)
	}
	off, err := loadConfig(envOf(map[string]string{"MLFLOW_TRACKING_URI": "http://mlflow:5000", "MLFLOW_ENABLED": "0"}))
	if err != nil || off.MLflowEnabled {
		t.Errorf("MLFLOW_ENABLED=0 did not disable: %v %+v", err, off)
	}
}

// Every bad variable is reported, by name, in one error.
func TestConfigErrors(t *testing.T) {
	cases := map[string]string{
		"LISTEN_ADDR":          "8000",
		"API_KEYS":             "short",
		"CORS_ALLOWED_ORIGINS": "console.example.com",
		"MLFLOW_TRACKING_URI":  "mlflow:5000",
		"LOG_LEVEL":            "loud",
		"LOG_FORMAT":           "xml",
		"AUTH_DISABLED":        "maybe",
		"AUTO_MIGRATE":         "sometimes",
		"MAX_BODY_BYTES":       "-1",
		"REQUEST_TIMEOUT":      "30",
		"SHUTDOWN_TIMEOUT":     "0s",
		"BATCH_MAX_SIZE":       "0",
		"BATCH_MAX_WAIT":       "soon",
		"INFERENCE_QUEUE_SIZE": "many",
		"REVIEW_STRATEGY":      "vibes",
		"REVIEW_THRESHOLD":     "2",
		"REVIEW_LEASE":         "forever",
		"REVIEW_UNDO_WINDOW":   "-1m",
		"REVIEW_DOUBLE":        "twice",
		"SESSION_SECRET":       "short",
		"SESSION_MAX_AGE":      "1 day",
		"TRUSTED_PROXY_CIDRS":  "10.0.0.0/33",
		"LOGIN_MAX_FAILURES":   "0",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(envOf(map[string]string{name: value}))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%q: err = %v", name, value, err)
			}
		})
	}
	_, err := loadConfig(envOf(cases))
	if err == nil {
		t.Fatal("no error")
	}
	for name := range cases {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("combined error does not name %s:\n%v", name, err)
		}
	}
	_, err = loadConfig(envOf(map[string]string{"MLFLOW_ENABLED": "1"}))
	if err == nil || !strings.Contains(err.Error(), "MLFLOW_TRACKING_URI") {
		t.Errorf("MLFLOW_ENABLED=1 without URI: %v", err)
	}
}

func TestListensOnLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8000": true, "localhost:8000": true, "[::1]:8000": true, "127.0.0.2:1": true,
		":8000": false, "0.0.0.0:8000": false, "10.0.0.5:8000": false, "[::]:8000": false, "example.com:80": false,
	} {
		if got := listensOnLoopback(addr); got != want {
			t.Errorf("%s: %v, want %v", addr, got, want)
		}
	}
}
