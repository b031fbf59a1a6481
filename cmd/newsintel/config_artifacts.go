package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/mlflow"
)

// defaultMLflowExperiment is the experiment fine-tunes are logged under
// when MLFLOW_EXPERIMENT_NAME is unset.
const defaultMLflowExperiment = "newsintel-topic"

// artifactSettings reads the artifact store, S3 and MLflow client
// variables into c. loadConfig calls it after MLFLOW_TRACKING_URI and
// MLFLOW_ENABLED are read; problems go to p like every other variable's.
func (p *envParser) artifactSettings(c *config) {
	c.ArtifactStoreURL = p.str("ARTIFACT_STORE_URL", "")
	if c.ArtifactStoreURL != "" {
		if err := checkStoreURL(c.ArtifactStoreURL); err != nil {
			p.fail("ARTIFACT_STORE_URL", err.Error())
		}
	}

	// The AWS CLI's names, so that a shell already set up for `aws s3`
	// (or a MinIO client) works unchanged; S3_ENDPOINT is the older name
	// some deployments use.
	endpointVar := "AWS_ENDPOINT_URL"
	endpoint := p.str(endpointVar, "")
	if endpoint == "" {
		endpointVar = "S3_ENDPOINT"
		endpoint = p.str(endpointVar, "")
	}
	if endpoint != "" {
		if err := checkS3Endpoint(endpoint); err != nil {
			p.fail(endpointVar, err.Error())
		}
	}
	c.S3 = artifacts.S3Config{
		Endpoint:        endpoint,
		Region:          p.str("AWS_REGION", p.str("AWS_DEFAULT_REGION", "")),
		AccessKeyID:     p.str("AWS_ACCESS_KEY_ID", ""),
		SecretAccessKey: p.str("AWS_SECRET_ACCESS_KEY", ""),
		SessionToken:    p.str("AWS_SESSION_TOKEN", ""),
		// Self-hosted S3 servers (MinIO, Ceph) seldom have a DNS name per
		// bucket, so a custom endpoint defaults to path-style requests.
		PathStyle: p.boolean("S3_PATH_STYLE", endpoint != ""),
	}
	if (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
		p.fail("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both, or neither for anonymous access")
	}
	if c.S3.SessionToken != "" && c.S3.AccessKeyID == "" {
		p.fail("AWS_SESSION_TOKEN", "is set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}

	c.MLflowExperiment = p.str("MLFLOW_EXPERIMENT_NAME", defaultMLflowExperiment)
	// ConfigFromEnv reads the client's own variables (auth, timeout) the
	// way MLflow's Python client names them; loadConfig has validated the
	// URI and the switch already.
	c.MLflow, _ = mlflow.ConfigFromEnv(p.getenv)
	c.MLflow.TrackingURI = c.MLflowTrackingURI
	if v := p.str("MLFLOW_HTTP_REQUEST_TIMEOUT", ""); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs <= 0 || secs > 3600 {
			p.fail("MLFLOW_HTTP_REQUEST_TIMEOUT", fmt.Sprintf("%q is not a number of seconds in (0, 3600]", v))
		} else {
			c.MLflow.Timeout = time.Duration(secs * float64(time.Second))
		}
	}
	if c.MLflow.Token != "" && (c.MLflow.Username != "" || c.MLflow.Password != "") {
		p.fail("MLFLOW_TRACKING_TOKEN", "set either the token or MLFLOW_TRACKING_USERNAME/PASSWORD, not both")
	}
}

// checkStoreURL accepts what artifacts.Open does, without opening it: a
// folder path, a file:// URL or s3://bucket[/prefix].
func checkStoreURL(raw string) error {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil
	}
	switch strings.ToLower(scheme) {
	case "file":
		u, err := url.Parse(raw)
		if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
			return fmt.Errorf("%q is not a file:///absolute/path URL", raw)
		}
	case "s3":
		if bucket, _, _ := strings.Cut(rest, "/"); bucket == "" {
			return fmt.Errorf("%q names no bucket (want s3://bucket or s3://bucket/prefix)", raw)
		}
	default:
		return fmt.Errorf("%q: unsupported scheme %q (want a folder path, file:// or s3://)", raw, scheme)
	}
	return nil
}

// checkS3Endpoint accepts http(s)://host[:port] or a bare host[:port]
// (meaning HTTPS), as artifacts.S3Config.Endpoint does.
func checkS3Endpoint(raw string) error {
	if !strings.Contains(raw, "://") {
		if strings.ContainsAny(raw, "/?# ") {
			return fmt.Errorf("%q is not host[:port] or an http(s) URL", raw)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%q is not http(s)://host[:port] (no path)", raw)
	}
	return nil
}
