#!/bin/sh
# Builds the Debian package of xlatd with dpkg-deb alone.
#   packaging/deb.sh XLATD_BINARY VERSION OUTDIR
# The binary should be static (make deb builds it with CGO_ENABLED=0), so
# the package depends on nothing. Writes OUTDIR/xlatd_VERSION_ARCH.deb and
# prints its path.
set -eu
bin=$1 version=$2 out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
doc=$stage/usr/share/doc/xlatd

install -D -m 0755 "$bin" "$stage/usr/sbin/xlatd"
install -D -m 0644 "$root/packaging/xlatd.service" "$stage/lib/systemd/system/xlatd.service"
install -D -m 0644 "$root/packaging/xlatd.toml" "$stage/etc/xlatd/xlatd.toml"
install -d "$doc/examples"
for f in README.md docs/OPERATING.md docs/CONFIG.md docs/DESIGN.md; do
	[ -f "$root/$f" ] && install -m 0644 "$root/$f" "$doc/"
done
for f in "$root"/examples/*.toml; do
	[ -f "$f" ] && install -m 0644 "$f" "$doc/examples/"
done
cat >"$doc/copyright" <<EOC
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: xlatd
Comment: built from revision $(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
EOC
printf 'xlatd (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- xlatd builders <xlatd@localhost>  %s\n' \
	"$version" "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo source)" \
	"$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}")" |
	gzip -9n >"$doc/changelog.gz"

install -d "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOC
Package: xlatd
Version: $version
Architecture: $arch
Maintainer: xlatd builders <xlatd@localhost>
Installed-Size: $size
Section: net
Priority: optional
Recommends: iproute2, ethtool
Description: IPv4/IPv6 translator (SIIT, RFC 7915) on AF_XDP
 xlatd translates between IPv4 and IPv6 in user space on AF_XDP sockets:
 stateless IP/ICMP translation (RFC 7915) with RFC 6052 prefixes and
 RFC 7757 explicit address mappings. A small XDP program steers only the
 packets to translate to it; everything else stays with the kernel.
 .
 The service is installed but neither enabled nor started: name the
 interfaces in /etc/xlatd/xlatd.toml first, then systemctl enable --now xlatd.
EOC
echo /etc/xlatd/xlatd.toml >"$stage/DEBIAN/conffiles"
# md5sums of every file but the conffile (dpkg --verify, debsums).
(cd "$stage" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"

# Maintainer scripts: systemd is told about the unit; nothing is enabled or
# started by the package (the config must name the interfaces first). A
# running xlatd is restarted on upgrade and stopped on removal. Under
# dpkg --root (DPKG_ROOT set) nothing outside the root is touched.
cat >"$stage/DEBIAN/postinst" <<'EOC'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
	if [ -n "$2" ] && systemctl is-active --quiet xlatd.service; then
		systemctl restart xlatd.service || true
	fi
fi
exit 0
EOC
cat >"$stage/DEBIAN/prerm" <<'EOC'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	systemctl stop xlatd.service >/dev/null 2>&1 || true
fi
exit 0
EOC
cat >"$stage/DEBIAN/postrm" <<'EOC'
#!/bin/sh
set -e
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	[ "$1" = purge ] && systemctl disable xlatd.service >/dev/null 2>&1 || true
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
if [ "$1" = purge ]; then
	rm -rf "${DPKG_ROOT:-}/var/log/xlatd"
fi
exit 0
EOC
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"

mkdir -p "$out"
deb=$out/xlatd_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
