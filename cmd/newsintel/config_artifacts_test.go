package main

import (
	"strings"
	"testing"
	"time"
)

func TestArtifactConfig(t *testing.T) {
	c, err := loadConfig(envOf(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ArtifactStoreURL != "" || c.S3.Endpoint != "" || c.S3.PathStyle || c.MLflowEnabled || c.MLflowExperiment != "newsintel-topic" {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = loadConfig(envOf(map[string]string{"ARTIFACT_STORE_URL": "s3://models/newsintel", "S3_ENDPOINT": "minio:9000",
		"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok", "AWS_DEFAULT_REGION": "eu-west-1",
		"MLFLOW_TRACKING_URI": "http://mlflow:5000", "MLFLOW_EXPERIMENT_NAME": "exp", "MLFLOW_HTTP_REQUEST_TIMEOUT": "2.5",
		"MLFLOW_TRACKING_TOKEN": "t0k"}))
	if err != nil {
		t.Fatal(err)
	}
	s3 := c.S3
	if c.ArtifactStoreURL != "s3://models/newsintel" || s3.Endpoint != "minio:9000" || !s3.PathStyle || s3.Region != "eu-west-1" ||
		s3.AccessKeyID != "id" || s3.SecretAccessKey != "secret" || s3.SessionToken != "tok" {
		t.Fatalf("S3: %+v", c)
	}
	if !c.MLflowEnabled || c.MLflow.TrackingURI != "http://mlflow:5000" || c.MLflowExperiment != "exp" ||
		c.MLflow.Timeout != 2500*time.Millisecond || c.MLflow.Token != "t0k" {
		t.Fatalf("MLflow: %+v", c)
	}
	// AWS_ENDPOINT_URL wins over S3_ENDPOINT, AWS_REGION over
	// AWS_DEFAULT_REGION, and path style can be turned off.
	c, err = loadConfig(envOf(map[string]string{"AWS_ENDPOINT_URL": "https://s3.example.com", "S3_ENDPOINT": "minio:9000",
		"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "eu-west-1", "S3_PATH_STYLE": "0", "ARTIFACT_STORE_URL": "/srv/models"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.S3.Endpoint != "https://s3.example.com" || c.S3.Region != "us-east-2" || c.S3.PathStyle || c.ArtifactStoreURL != "/srv/models" {
		t.Fatalf("precedence: %+v", c.S3)
	}

	for _, tc := range []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{"ARTIFACT_STORE_URL": "ftp://host/models"}, "ARTIFACT_STORE_URL"},
		{map[string]string{"ARTIFACT_STORE_URL": "s3:///prefix"}, "ARTIFACT_STORE_URL"},
		{map[string]string{"ARTIFACT_STORE_URL": "file://host/x"}, "ARTIFACT_STORE_URL"},
		{map[string]string{"AWS_ENDPOINT_URL": "ftp://minio:9000"}, "AWS_ENDPOINT_URL"},
		{map[string]string{"S3_ENDPOINT": "http://minio:9000/path"}, "S3_ENDPOINT"},
		{map[string]string{"AWS_ACCESS_KEY_ID": "id"}, "AWS_SECRET_ACCESS_KEY"},
		{map[string]string{"AWS_SESSION_TOKEN": "tok"}, "AWS_SESSION_TOKEN"},
		{map[string]string{"S3_PATH_STYLE": "maybe"}, "S3_PATH_STYLE"},
		{map[string]string{"MLFLOW_TRACKING_URI": "http://m:5000", "MLFLOW_HTTP_REQUEST_TIMEOUT": "soon"}, "MLFLOW_HTTP_REQUEST_TIMEOUT"},
		{map[string]string{"MLFLOW_TRACKING_TOKEN": "t", "MLFLOW_TRACKING_USERNAME": "u"}, "MLFLOW_TRACKING_TOKEN"},
	} {
		if _, err := loadConfig(envOf(tc.env)); err == nil || !strings.Contains(err.Error(), tc.name+":") {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.name)
		}
	}
}
