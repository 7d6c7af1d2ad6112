package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples: every config in examples/ (and examples/nat64/) and the packaged default pass
// `xlatd -config FILE -check` (interfaces that do not exist here are only a
// warning).
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.toml"))
	// NAT64 examples live in examples/nat64/ until the NAT64 keys are in
	// config/ (config's own TestExamples loads examples/*.toml).
	nat, _ := filepath.Glob(filepath.Join("..", "..", "examples", "nat64", "*.toml"))
	files = append(files, nat...)
	files = append(files, filepath.Join("..", "..", "packaging", "xlatd.toml"))
	if len(files) < 5 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"-config", f, "-check"}, &stdout, &stderr)
			if code != 0 && strings.Contains(filepath.Base(f), "nat64") && nat64NotYet(stderr.String()) {
				// TODO(integration): remove once the nat64 branch has landed.
				t.Skipf("-check refuses NAT64 in this build (nat64 work not merged):\n%s", stderr.String())
			}
			if code != 0 || !strings.Contains(stdout.String(), "config OK") {
				t.Errorf("xlatd -config %s -check: exit %d\n%s%s", f, code, stdout.String(), stderr.String())
			}
		})
	}
}

// nat64NotYet: -check failed only because NAT64 is not implemented or its
// keys are not known yet.
func nat64NotYet(stderr string) bool {
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasSuffix(line, ":") {
			continue
		}
		if !strings.Contains(line, "not implemented") && !strings.Contains(line, "unknown key") {
			return false
		}
	}
	return true
}
