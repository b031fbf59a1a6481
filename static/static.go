// Package static holds the console's CSS and scripts, embedded in the
// binary so the console works air-gapped, and serves them under
// content-hashed names so browsers may cache them forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// vendor/ holds third-party dist files as their packages ship them; only
// their scripts and styles are embedded, not the licence, notice and
// README kept beside them.
//
//go:embed css js img vendor/swagger-ui/*.js vendor/swagger-ui/*.css
var files embed.FS

// Prefix is the URL path the assets are served under.
const Prefix = "/static/"

// Asset is one embedded file.
type Asset struct {
	Name        string // as embedded, e.g. "css/app.css"
	Hashed      string // e.g. "css/app.3f2a9c1d0b7e.css"
	ContentType string
	Body        []byte
}

// Assets indexes the embedded files by their plain and hashed names.
type Assets struct {
	byName   map[string]*Asset
	byHashed map[string]*Asset
}

// New reads and hashes every embedded file.
func New() (*Assets, error) {
	a := &Assets{byName: map[string]*Asset{}, byHashed: map[string]*Asset{}}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(p)
		asset := &Asset{
			Name:        p,
			Hashed:      strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:6]) + ext,
			ContentType: mime.TypeByExtension(ext),
			Body:        body,
		}
		if asset.ContentType == "" {
			asset.ContentType = "application/octet-stream"
		}
		a.byName[p], a.byHashed[asset.Hashed] = asset, asset
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: index assets: %w", err)
	}
	return a, nil
}

// URL returns the cacheable URL of the embedded file name. It panics on an
// unknown name: asset names are constants in templates, and a typo must
// fail the first test that renders the page, not ship a broken link.
func (a *Assets) URL(name string) string {
	asset, ok := a.byName[name]
	if !ok {
		panic(fmt.Sprintf("static: no embedded asset %q", name))
	}
	return Prefix + asset.Hashed
}

// Get finds an asset by its embedded name, for the few URLs that cannot
// carry a hash (/favicon.ico).
func (a *Assets) Get(name string) (*Asset, bool) {
	asset, ok := a.byName[name]
	return asset, ok
}

// Lookup finds an asset by the hashed name in its URL (without Prefix).
func (a *Assets) Lookup(hashed string) (*Asset, bool) {
	asset, ok := a.byHashed[hashed]
	return asset, ok
}
