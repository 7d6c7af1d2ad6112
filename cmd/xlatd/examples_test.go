package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples: every config in examples/ and the packaged default pass
// `xlatd -config FILE -check` (interfaces that do not exist here are only a
// warning).
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.toml"))
	files = append(files, filepath.Join("..", "..", "packaging", "xlatd.toml"))
	if len(files) < 5 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"-config", f, "-check"}, &stdout, &stderr)
			if code != 0 || !strings.Contains(stdout.String(), "config OK") {
				t.Errorf("xlatd -config %s -check: exit %d\n%s%s", f, code, stdout.String(), stderr.String())
			}
		})
	}
}
