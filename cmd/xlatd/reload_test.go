package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestReloadCLI: `xlatd reload` without a daemon, or with a file the daemon
// would refuse, fails and says why (the e2e systemd test covers a running
// daemon).
func TestReloadCLI(t *testing.T) {
	bad := writeConfig(t, "[interfaces]\nipv6 = \"lo\"\nipv4 = \"lo\"\n[translate]\npool6 = \"64:ff9b::/33\"\n")
	off := writeConfig(t, "[interfaces]\nipv6 = \"lo\"\nipv4 = \"lo\"\n[control]\nsocket = \"\"\n")
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"reload", "-socket", filepath.Join(t.TempDir(), "none.sock")}, 1, "cannot reach the daemon"},
		{[]string{"reload", "-config", bad}, 1, "is not valid, the daemon keeps its configuration"},
		{[]string{"reload", "-config", off}, 1, "control socket turned off"},
		{[]string{"reload", "-bogus"}, 2, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.err) {
			t.Errorf("xlatd %q: exit %d (want %d)\n%s%s", tc.args, code, tc.code, stdout.String(), stderr.String())
		}
	}
}
