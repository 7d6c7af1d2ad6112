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

// TestDeb builds the package with `make deb`, checks its contents and
// control data, installs it with dpkg into a throwaway root (dpkg --root:
// nothing on this machine is touched), runs `xlatd -check` on the installed
// config, and checks that the config is a conffile: kept, edited, across a
// remove, gone after a purge.
func TestDeb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package")
	}
	for _, tool := range []string{"dpkg-deb", "dpkg", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: make deps installs dpkg (Debian only)", tool)
		}
	}
	out := t.TempDir()
	cmd := exec.Command("make", "-s", "deb", "DEB_OUT="+out, "GO="+goBin())
	cmd.Dir = repoRoot
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make deb: %v\n%s", err, b)
	}
	debs, _ := filepath.Glob(filepath.Join(out, "xlatd_*.deb"))
	if len(debs) != 1 {
		t.Fatalf("make deb made %v\n%s", debs, b)
	}
	deb := debs[0]
	run := func(name string, args ...string) string {
		t.Helper()
		b, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
		}
		return string(b)
	}

	contents := run("dpkg-deb", "-c", deb)
	for _, f := range []string{"./usr/sbin/xlatd", "./lib/systemd/system/xlatd.service", "./etc/xlatd/xlatd.toml",
		"./usr/share/doc/xlatd/README.md", "./usr/share/doc/xlatd/CONFIG.md", "./usr/share/doc/xlatd/OPERATING.md",
		"./usr/share/doc/xlatd/copyright", "./usr/share/doc/xlatd/changelog.gz",
		"./usr/share/doc/xlatd/examples/xlatd-siit.toml"} {
		if !strings.Contains(contents, " "+f+"\n") {
			t.Errorf("package has no %s:\n%s", f, contents)
		}
	}
	if !strings.Contains(contents, "-rwxr-xr-x root/root") {
		t.Errorf("binary not 0755 root/root:\n%s", contents)
	}
	if c := run("dpkg-deb", "-f", deb, "Package"); strings.TrimSpace(c) != "xlatd" {
		t.Errorf("Package: %q", c)
	}
	if d := run("dpkg-deb", "-f", deb, "Depends"); strings.TrimSpace(d) != "" {
		t.Errorf("the static binary should depend on nothing, Depends: %q", d)
	}
	ctl := t.TempDir()
	run("dpkg-deb", "-e", deb, ctl)
	if cf, _ := os.ReadFile(filepath.Join(ctl, "conffiles")); string(cf) != "/etc/xlatd/xlatd.toml\n" {
		t.Errorf("conffiles: %q", cf)
	}
	info := run("dpkg-deb", "-I", deb)
	for _, s := range []string{"postinst", "prerm", "postrm", "Version: ", "Architecture: "} {
		if !strings.Contains(info, s) {
			t.Errorf("dpkg-deb -I has no %q:\n%s", s, info)
		}
	}

	// Install into a throwaway root. Maintainer scripts run outside it
	// (--force-script-chrootless, DPKG_ROOT set) and touch nothing then.
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"var/lib/dpkg/status", "var/lib/dpkg/available"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dpkg := func(args ...string) string {
		t.Helper()
		return run("dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-confold"}, args...)...)
	}
	dpkg("-i", deb)
	if s := dpkg("-s", "xlatd"); !strings.Contains(s, "Status: install ok installed") {
		t.Fatalf("not installed:\n%s", s)
	}
	if s := dpkg("--verify", "xlatd"); strings.TrimSpace(s) != "" {
		t.Errorf("dpkg --verify: %s", s)
	}
	if md5, _ := os.ReadFile(filepath.Join(ctl, "md5sums")); !strings.Contains(string(md5), "  usr/sbin/xlatd\n") {
		t.Errorf("md5sums does not list the binary:\n%s", md5)
	}
	bin := filepath.Join(root, "usr/sbin/xlatd")
	conf := filepath.Join(root, "etc/xlatd/xlatd.toml")
	if v := run(bin, "-version"); !strings.HasPrefix(v, "xlatd ") || !strings.Contains(v, "(") {
		t.Errorf("installed xlatd -version: %q (want the release and the revision)", v)
	}
	// The installed default config is valid (its interfaces may not exist
	// here: that is a warning, exit 0).
	if s := run(bin, "-config", conf, "-check"); !strings.Contains(s, "config OK") {
		t.Errorf("xlatd -check on the installed config:\n%s", s)
	}
	// Every installed example is valid too.
	ex, _ := filepath.Glob(filepath.Join(root, "usr/share/doc/xlatd/examples/*.toml"))
	for _, e := range ex {
		c := exec.Command(bin, "-config", e, "-check")
		if b, err := c.CombinedOutput(); err != nil {
			t.Errorf("xlatd -check %s: %v\n%s", filepath.Base(e), err, b)
		}
	}
	// A conffile: an operator's edit survives a remove, a purge removes it.
	edited := "# edited by the operator\n"
	orig, _ := os.ReadFile(conf)
	if err := os.WriteFile(conf, append([]byte(edited), orig...), 0o644); err != nil {
		t.Fatal(err)
	}
	dpkg("-r", "xlatd")
	if _, err := os.Stat(bin); !os.IsNotExist(err) {
		t.Errorf("binary left after remove: %v", err)
	}
	if b, err := os.ReadFile(conf); err != nil || !strings.HasPrefix(string(b), edited) {
		t.Errorf("edited conffile not kept across remove: %v", err)
	}
	dpkg("-P", "xlatd")
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("conffile left after purge: %v", err)
	}
}
