// Package configs holds example xlatd configurations for benchmarking on
// real NICs; the test keeps them valid against the config package.
package configs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/xlatd/xlatd/config"
)

func TestExamplesValid(t *testing.T) {
	files, _ := filepath.Glob("*.toml")
	if len(files) == 0 {
		t.Fatal("no example configs")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// The configs bench/testbed.sh gives xlatd must stay valid too.
func TestTestbedConfigsValid(t *testing.T) {
	for _, c := range []string{"xlatd", "afxdp_fwd"} {
		cmd := exec.Command("bash", "../testbed.sh", "conf", c)
		cmd.Env = append(os.Environ(), "XB_PREFIX=xbconf")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("testbed.sh conf %s: %v", c, err)
		}
		cfg, err := config.Parse(out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c, err, out)
		}
		if cfg.Datapath.ForwardOnly != (c == "afxdp_fwd") {
			t.Fatalf("%s: forward_only = %v", c, cfg.Datapath.ForwardOnly)
		}
	}
}
