// Package packaging holds what an operator installs besides the binary: the
// systemd unit and the Debian package (make deb). Its tests check both.
package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var repoRoot = func() string { wd, _ := os.Getwd(); return filepath.Dir(wd) }()

func goBin() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// buildXlatd builds cmd/xlatd into dir.
func buildXlatd(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "xlatd")
	cmd := exec.Command(goBin(), "build", "-o", bin, "./cmd/xlatd")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestUnitVerify: systemd-analyze verify accepts xlatd.service without a
// warning (the binary path pointed at a freshly built xlatd, since
// /usr/sbin/xlatd is not installed here).
func TestUnitVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Geteuid() == 0 {
			t.Fatal("systemd-analyze not found: make deps installs it (apt-get install systemd)")
		}
		t.Skip("systemd-analyze not found and not root to install it: make deps (as root) installs systemd")
	}
	b, err := os.ReadFile("xlatd.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"Type=notify", "ExecReload=", "WatchdogSec=", "LimitMEMLOCK=infinity",
		"RuntimeDirectory=xlatd", "RestrictAddressFamilies=AF_XDP AF_NETLINK AF_UNIX AF_INET AF_INET6",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"} {
		if !strings.Contains(unit, "\n"+want) {
			t.Errorf("xlatd.service has no %q", want)
		}
	}
	dir := t.TempDir()
	bin := buildXlatd(t, dir)
	unit = strings.ReplaceAll(unit, "/usr/sbin/xlatd", bin)
	p := filepath.Join(dir, "xlatd.service")
	if err := os.WriteFile(p, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", p).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
