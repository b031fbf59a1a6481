package mlflow

import (
	"strconv"
	"strings"
	"time"
)

// ConfigFromEnv builds a Config from MLflow's usual variables, read
// through getenv (os.Getenv in a command, a map in a test):
//
//	MLFLOW_TRACKING_URI          the server, as http://mlflow:5000
//	MLFLOW_ENABLED               0, false, no or off turns tracking off
//	MLFLOW_TRACKING_USERNAME     basic auth
//	MLFLOW_TRACKING_PASSWORD
//	MLFLOW_TRACKING_TOKEN        bearer token
//	MLFLOW_HTTP_REQUEST_TIMEOUT  seconds per request (default 10)
//
// enabled is false when MLFLOW_ENABLED says so or no tracking URI is set:
// tracking is optional, and without a server there is nothing to send to.
func ConfigFromEnv(getenv func(string) string) (cfg Config, enabled bool) {
	cfg = Config{
		TrackingURI: strings.TrimSpace(getenv("MLFLOW_TRACKING_URI")),
		Username:    getenv("MLFLOW_TRACKING_USERNAME"),
		Password:    getenv("MLFLOW_TRACKING_PASSWORD"),
		Token:       getenv("MLFLOW_TRACKING_TOKEN"),
	}
	if s, err := strconv.ParseFloat(strings.TrimSpace(getenv("MLFLOW_HTTP_REQUEST_TIMEOUT")), 64); err == nil && s > 0 {
		cfg.Timeout = time.Duration(s * float64(time.Second))
	}
	switch strings.ToLower(strings.TrimSpace(getenv("MLFLOW_ENABLED"))) {
	case "0", "false", "no", "off":
		return cfg, false
	}
	return cfg, cfg.TrackingURI != ""
}
