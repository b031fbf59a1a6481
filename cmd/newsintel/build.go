package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// buildInfo is how the running binary was built, as recorded by the Go
// toolchain.
type buildInfo struct {
	Version      string // module version, "(devel)" for a source build
	GoVersion    string
	GOEXPERIMENT string
	Revision     string
}

func readBuild() buildInfo {
	b := buildInfo{Version: "(unknown)", GoVersion: "(unknown)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Version, b.GoVersion = info.Main.Version, info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "GOEXPERIMENT":
			b.GOEXPERIMENT = s.Value
		case "vcs.revision":
			b.Revision = s.Value
		}
	}
	return b
}

// SIMD reports whether the binary has the SIMD experiment, which the
// inference kernels need to be fast.
func (b buildInfo) SIMD() bool {
	for _, e := range strings.Split(b.GOEXPERIMENT, ",") {
		if e == "simd" {
			return true
		}
	}
	return false
}

func (b buildInfo) String() string {
	exp := b.GOEXPERIMENT
	if exp == "" {
		exp = "(none)"
	}
	s := fmt.Sprintf("newsintel %s\ngo: %s\nGOEXPERIMENT: %s\n", b.Version, b.GoVersion, exp)
	if b.Revision != "" {
		s += "revision: " + b.Revision + "\n"
	}
	if !b.SIMD() {
		s += "WARNING: built without GOEXPERIMENT=simd; inference runs about 40x slower.\n" +
			"Rebuild with: GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go build ./cmd/newsintel\n"
	}
	return s
}
