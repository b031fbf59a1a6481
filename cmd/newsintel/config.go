package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/newsintel/newsintel/feeds"
	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/mlflow"
	"github.com/newsintel/newsintel/web"
)

// config is the whole configuration, read from the environment once at
// start. README.md documents every variable; keep the two in step.
type config struct {
	ListenAddr         string
	DataDir            string
	DBURL              string
	ModelDir           string
	APIKeys            []web.APIKey
	AuthDisabled       bool // AUTH_DISABLED=1 as set; see serve for the effective value
	CORSAllowedOrigins []string
	MLflowTrackingURI  string
	MLflowEnabled      bool
	ClassifierVersion  string
	LogLevel           slog.Level
	LogFormat          string
	AutoMigrate        bool
	MaxBodyBytes       int64
	RequestTimeout     time.Duration
	ShutdownTimeout    time.Duration
	BatchMaxSize       int
	BatchMaxWait       time.Duration
	QueueSize          int
	Review             classify.ReviewRule
	// ModelPollInterval is how often serve reads the active model version.
	ModelPollInterval time.Duration
	// FinetuneBaseData, FinetuneTolerance and FinetuneAutoLabels configure
	// fine-tuning (see inference/finetune); FinetuneAutoLabels 0 is off.
	FinetuneBaseData   string
	FinetuneTolerance  float64
	FinetuneAutoLabels int
	Queue              web.QueueConfig
	// Console is complete but for the session key, which serve takes from
	// SESSION_SECRET or the database (console.go).
	Console       web.ConsoleConfig
	SessionSecret string
	// ArtifactStoreURL is the default store of bundle-artifacts --push and
	// pull-artifacts; S3 reaches an s3:// one. MLflow is the tracking
	// client's configuration (used when MLflowEnabled) and
	// MLflowExperiment the experiment fine-tunes are logged under. See
	// config_artifacts.go.
	ArtifactStoreURL string
	S3               artifacts.S3Config
	MLflow           mlflow.Config
	MLflowExperiment string
	// IngestWorkers is how many ingest jobs (imports, feeds) this process
	// runs at once; 0 works no jobs (an API-only replica).
	IngestWorkers int
	// JobPollInterval is how often an idle job queue looks for work.
	JobPollInterval time.Duration
	// SweepInterval is how often serve enqueues again the pending items
	// that no unfinished job holds (their job was discarded), of those
	// pending longer than the interval itself.
	SweepInterval time.Duration
	// FeedScanInterval is how often serve looks for feeds due a poll;
	// Feed bounds each poll (timeout, size, per-host spacing).
	FeedScanInterval time.Duration
	Feed             feeds.Options
}

// loadConfig reads and validates the environment. It reports every bad
// variable at once, each by name, so one restart fixes them all.
func loadConfig(getenv func(string) string) (config, error) {
	p := envParser{getenv: getenv}
	c := config{
		ListenAddr:        p.str("LISTEN_ADDR", "127.0.0.1:8000"),
		DataDir:           p.str("DATA_DIR", "./var"),
		MLflowTrackingURI: p.str("MLFLOW_TRACKING_URI", ""),
		ClassifierVersion: p.str("CLASSIFIER_VERSION", ""),
		LogFormat:         p.oneOf("LOG_FORMAT", "text", "text", "json"),
		AuthDisabled:      p.boolean("AUTH_DISABLED", false),
		AutoMigrate:       p.boolean("AUTO_MIGRATE", true),
		MaxBodyBytes:      p.positiveInt("MAX_BODY_BYTES", 10<<20),
		RequestTimeout:    p.duration("REQUEST_TIMEOUT", 30*time.Second),
		ShutdownTimeout:   p.duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		BatchMaxSize:      int(p.positiveInt("BATCH_MAX_SIZE", 64)),
		BatchMaxWait:      p.durationOrZero("BATCH_MAX_WAIT", 0),
		QueueSize:         int(p.positiveInt("INFERENCE_QUEUE_SIZE", 1024)),
		ModelPollInterval: p.duration("MODEL_POLL_INTERVAL", 5*time.Second),
		FinetuneBaseData:  p.str("FINETUNE_BASE_DATA", filepath.Join("..", "shared", "data", "ag_news")),
		FinetuneTolerance: p.tolerance("FINETUNE_TOLERANCE", 0.01),
	}
	c.FinetuneAutoLabels = int(p.nonNegativeInt("FINETUNE_AUTO_LABELS"))
	c.IngestWorkers = 2
	if getenv("INGEST_WORKERS") != "" {
		c.IngestWorkers = int(p.nonNegativeInt("INGEST_WORKERS"))
	}
	c.JobPollInterval = p.duration("JOB_POLL_INTERVAL", time.Second)
	c.FeedScanInterval = p.duration("FEED_SCAN_INTERVAL", 30*time.Second)
	c.SweepInterval = p.duration("INGEST_SWEEP_INTERVAL", 5*time.Minute)
	c.Feed = feeds.Options{
		Timeout:      p.duration("FEED_TIMEOUT", feeds.Defaults.Timeout),
		MaxBytes:     p.positiveInt("FEED_MAX_BYTES", feeds.Defaults.MaxBytes),
		HostInterval: p.duration("FEED_HOST_INTERVAL", feeds.Defaults.HostInterval),
	}
	c.DBURL = p.str("DB_URL", "sqlite://"+filepath.Join(c.DataDir, "newsintel.db"))
	c.ModelDir = p.str("MODEL_DIR", filepath.Join(c.DataDir, "models"))
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		p.fail("LISTEN_ADDR", fmt.Sprintf("%q is not host:port (for example 127.0.0.1:8000 or :8000)", c.ListenAddr))
	}
	if keys, err := web.ParseAPIKeys(getenv("API_KEY"), getenv("API_KEYS")); err != nil {
		p.errs = append(p.errs, err)
	} else {
		c.APIKeys = keys
	}
	c.CORSAllowedOrigins = p.origins("CORS_ALLOWED_ORIGINS")
	rule, err := classify.NewReviewRule(p.str("REVIEW_STRATEGY", classify.LeastConfidence), p.fraction("REVIEW_THRESHOLD"))
	if err != nil {
		p.fail("REVIEW_STRATEGY", err.Error())
	}
	c.Review = rule
	c.Queue = web.QueueConfig{
		Lease:        p.duration("REVIEW_LEASE", 15*time.Minute),
		UndoWindow:   p.duration("REVIEW_UNDO_WINDOW", 10*time.Minute),
		DoubleReview: p.boolean("REVIEW_DOUBLE", false),
	}
	c.SessionSecret = p.str("SESSION_SECRET", "")
	if c.SessionSecret != "" && len(c.SessionSecret) < 32 {
		p.fail("SESSION_SECRET", "must be at least 32 characters (or unset, to have one generated and kept in the database)")
	}
	c.Console = web.ConsoleConfig{
		IdleTimeout:          p.duration("SESSION_IDLE_TIMEOUT", time.Hour),
		MaxAge:               p.duration("SESSION_MAX_AGE", 12*time.Hour),
		SecureCookies:        p.boolean("SESSION_COOKIE_SECURE", false),
		ProxyHeader:          p.str("TRUSTED_PROXY_HEADER", ""),
		ProxyCIDRs:           p.cidrs("TRUSTED_PROXY_CIDRS"),
		LoginLimitPerAccount: int(p.positiveInt("LOGIN_MAX_FAILURES", 5)),
		LoginLimitPerIP:      int(p.positiveInt("LOGIN_MAX_FAILURES_PER_IP", 20)),
		LoginWindow:          p.duration("LOGIN_FAILURE_WINDOW", 15*time.Minute),
	}
	if c.Console.ProxyHeader != "" && len(c.Console.ProxyCIDRs) == 0 {
		p.fail("TRUSTED_PROXY_CIDRS", "TRUSTED_PROXY_HEADER is set, so name the proxy's addresses (for example 10.0.0.0/8); the header is believed only from them")
	}
	switch level := strings.ToLower(p.str("LOG_LEVEL", "info")); level {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		p.fail("LOG_LEVEL", fmt.Sprintf("%q is not one of debug, info, warn, error", level))
	}
	// The runbook turns MLflow off with MLFLOW_ENABLED=0; it is on when a
	// tracking URI is given, unless turned off.
	c.MLflowEnabled = p.boolean("MLFLOW_ENABLED", c.MLflowTrackingURI != "")
	if c.MLflowEnabled && c.MLflowTrackingURI == "" {
		p.fail("MLFLOW_ENABLED", "is on but MLFLOW_TRACKING_URI is empty; set the URI or MLFLOW_ENABLED=0")
	}
	if c.MLflowTrackingURI != "" {
		if u, err := url.Parse(c.MLflowTrackingURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.fail("MLFLOW_TRACKING_URI", fmt.Sprintf("%q is not an http(s) URL", c.MLflowTrackingURI))
		}
	}
	p.artifactSettings(&c)
	if err := errors.Join(p.errs...); err != nil {
		return config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// listensOnLoopback reports whether addr can only be reached from this
// machine.
func listensOnLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// envParser reads typed variables and collects what is wrong with them.
type envParser struct {
	getenv func(string) string
	errs   []error
}

func (p *envParser) fail(name, msg string) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", name, msg))
}

func (p *envParser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *envParser) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(p.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (p *envParser) boolean(name string, def bool) bool {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, fmt.Sprintf("%q is not a boolean (use 1 or 0)", v))
		return def
	}
	return b
}

func (p *envParser) positiveInt(name string, def int64) int64 {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		p.fail(name, fmt.Sprintf("%q is not a positive whole number", v))
		return def
	}
	return n
}

// fraction reads a number in [0, 1]; 0 when unset.
func (p *envParser) fraction(name string) float64 {
	v := p.str(name, "")
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 1 {
		p.fail(name, fmt.Sprintf("%q is not a number in (0, 1]", v))
		return 0
	}
	return f
}

// nonNegativeInt reads a whole number >= 0; 0 when unset.
func (p *envParser) nonNegativeInt(name string) int64 {
	v := p.str(name, "")
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		p.fail(name, fmt.Sprintf("%q is not a whole number (0 turns it off)", v))
		return 0
	}
	return n
}

// tolerance reads a number in [0, 1).
func (p *envParser) tolerance(name string, def float64) float64 {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f >= 1 {
		p.fail(name, fmt.Sprintf("%q is not a number in [0, 1) (for example 0.01)", v))
		return def
	}
	return f
}

// durationOrZero is duration, but 0 is allowed.
// cidrs reads a comma-separated list of networks; a bare address is a
// network of one.
func (p *envParser) cidrs(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(p.str(name, ""), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			if a, err := netip.ParseAddr(f); err == nil {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
		}
		pfx, err := netip.ParsePrefix(f)
		if err != nil {
			p.fail(name, fmt.Sprintf("%q is not a network (for example 10.0.0.0/8 or 192.168.1.5)", f))
			continue
		}
		out = append(out, pfx.Masked())
	}
	return out
}

func (p *envParser) durationOrZero(name string, def time.Duration) time.Duration {
	if v := p.str(name, ""); v == "0" {
		return 0
	}
	return p.duration(name, def)
}

func (p *envParser) duration(name string, def time.Duration) time.Duration {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, fmt.Sprintf("%q is not a positive duration (for example 30s or 2m)", v))
		return def
	}
	return d
}

// origins reads a comma-separated list of browser origins allowed to call
// the API: "*" or scheme://host[:port] each.
func (p *envParser) origins(name string) []string {
	var out []string
	for _, o := range strings.Split(p.getenv(name), ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
				p.fail(name, fmt.Sprintf("%q is not an origin such as https://console.example.com", o))
				continue
			}
			o = strings.TrimSuffix(o, "/")
		}
		out = append(out, o)
	}
	return out
}
