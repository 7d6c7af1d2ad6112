// Package configs holds example xlatd configurations for benchmarking on
// real NICs; the test keeps them valid against the config package.
package configs

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// The NAT64 config bench/testbed.sh writes (conf xlatd_nat64) uses the keys
// of ../shared/CONTRACT.md. Until the daemon has NAT64 the config package
// refuses the mode and may not know some contract keys yet; anything else
// wrong with the config fails here, and once the daemon accepts nat64 the
// config must parse cleanly.
func TestTestbedNAT64Config(t *testing.T) {
	cmd := exec.Command("bash", "../testbed.sh", "conf", "xlatd_nat64")
	cmd.Env = append(os.Environ(), "XB_PREFIX=xbconf")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testbed.sh conf xlatd_nat64: %v", err)
	}
	cfg, err := config.Parse(out)
	if err == nil {
		if cfg.Translate.Mode != "nat64" || len(cfg.NAT64.Pool4) != 1 || cfg.NAT64.Pool4[0].String() != "198.51.100.128/26" {
			t.Fatalf("%+v", cfg.Translate)
		}
		return
	}
	// Contract keys this build may not decode yet.
	pending := map[string]bool{"nat64.max_sessions": true}
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, e := range errs {
		var ke *config.KeyError
		switch {
		case errors.As(e, &ke) && ke.Key == "translate.mode" && strings.Contains(ke.Msg, "not implemented"):
		case errors.As(e, &ke) && ke.Msg == "unknown key" && pending[ke.Key]:
		default:
			t.Errorf("nat64 bench config: %v", e)
		}
	}
	if t.Failed() {
		t.Logf("config:\n%s", out)
	}
}
