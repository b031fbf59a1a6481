package artifacts

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says how to reach an S3-compatible server. The caller fills it
// (the commands from AWS_ENDPOINT_URL or S3_ENDPOINT, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION); the package
// reads no environment itself, so tests and embedders stay in control.
type S3Config struct {
	// Endpoint is the server's URL ("http://127.0.0.1:9000") or host[:port],
	// which means HTTPS. Empty means Amazon S3.
	Endpoint string
	// Region is the bucket's region; empty lets the client ask the server.
	Region string
	// AccessKeyID and SecretAccessKey sign requests (SessionToken too, for
	// temporary credentials); with no key, requests are anonymous.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// PathStyle puts the bucket in the URL path rather than the host name.
	// The client already does so for servers other than Amazon's.
	PathStyle bool
	// Transport, when set, carries the requests (custom CAs, tests).
	Transport http.RoundTripper
}

// S3Store is a Store in an S3 bucket, its objects under a key prefix.
type S3Store struct {
	client *minio.Client
	bucket string
	prefix string
}

// NewS3Store returns the store of objects under prefix (no leading or
// trailing slash; may be empty) in bucket. It sends no request: a wrong
// endpoint or credentials show on the first Put, Get or List.
func NewS3Store(bucket, prefix string, cfg S3Config) (*S3Store, error) {
	endpoint, secure, err := s3Endpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	opts := &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken),
		Secure:    secure,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	}
	if cfg.PathStyle {
		opts.BucketLookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("artifacts: s3: %w", err)
	}
	return &S3Store{client: client, bucket: bucket, prefix: prefix}, nil
}

// s3Endpoint splits an endpoint setting into the host[:port] the client
// wants and whether to use TLS.
func s3Endpoint(raw string) (string, bool, error) {
	if raw == "" {
		return "s3.amazonaws.com", true, nil
	}
	if !strings.Contains(raw, "://") {
		return raw, true, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, fmt.Errorf("artifacts: s3 endpoint %q: %w", raw, err)
	}
	if u.Path != "" && u.Path != "/" {
		return "", false, fmt.Errorf("artifacts: s3 endpoint %q: a path is not supported", raw)
	}
	switch u.Scheme {
	case "http":
		return u.Host, false, nil
	case "https":
		return u.Host, true, nil
	}
	return "", false, fmt.Errorf("artifacts: s3 endpoint %q: scheme must be http or https", raw)
}

func (s *S3Store) key(name string) string {
	if s.prefix == "" {
		return name
	}
	return path.Join(s.prefix, name)
}

// Put uploads the object. S3 makes an object visible only once its upload
// completes, so a failed Put leaves any previous object in place.
func (s *S3Store) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := checkObjectName(name); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.key(name), r, size, minio.PutObjectOptions{ContentType: "application/gzip"})
	if err != nil {
		return fmt.Errorf("artifacts: s3: put s3://%s/%s: %w", s.bucket, s.key(name), err)
	}
	return nil
}

// Get opens the object. It asks for the object's metadata first, because
// the client otherwise reports a missing object only on the first Read.
func (s *S3Store) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkObjectName(name); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(name), minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat()
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			err = fmt.Errorf("%w: %w", fs.ErrNotExist, err)
		}
		return nil, fmt.Errorf("artifacts: s3: get s3://%s/%s: %w", s.bucket, s.key(name), err)
	}
	return obj, nil
}

// List returns the names of the objects directly under the prefix.
func (s *S3Store) List(ctx context.Context) ([]string, error) {
	prefix := ""
	if s.prefix != "" {
		prefix = s.prefix + "/"
	}
	var names []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("artifacts: s3: list s3://%s/%s: %w", s.bucket, prefix, obj.Err)
		}
		name := strings.TrimPrefix(obj.Key, prefix)
		// Keys ending in a slash are "folders" of deeper objects.
		if name != "" && !strings.Contains(name, "/") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}
