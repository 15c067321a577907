#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# deb.sh - the Debian package, end to end: dpkg-buildpackage -us -uc -b
# on a copy of the source (with dpkg-buildflags' flags only, never the
# CI build's sanitizers), lintian without errors, `apt-get install
# ./spoolguard_*.deb`, every installed piece where it belongs, the demo
# and the README's examples run with the installed binary from /, the
# service checked (started where systemd runs), then purge leaves
# nothing behind.  Also: `make install prefix=P` in the built tree makes
# a binary that looks under P.  It installs and removes a package, so it
# runs only as root with SPOOLGUARD_LIVE=1 (CI); otherwise it is skipped.
. "$(dirname "$0")/../cli/lib.sh"

if [ "$(id -u)" -ne 0 ] || [ "${SPOOLGUARD_LIVE:-0}" != 1 ] ||
	[ -n "${SPOOLGUARD_IN_PACKAGE_BUILD:-}" ]; then
	echo "SKIP: the package test runs as root with SPOOLGUARD_LIVE=1"
	exit 77
fi
if dpkg-query -W -f='${Status}' spoolguard 2>/dev/null | grep -q installed; then
	echo "SKIP: a spoolguard package is installed here; not touching it"
	exit 77
fi
for tool in dpkg-buildpackage dh lintian apt-get; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh installs it with SPOOLGUARD_LIVE=1)"
done
top=$(cd "$SPOOLGUARD_TESTDATA/.." && pwd)
chmod 755 "$work"

# ---- build, from a copy of the sources, in a clean environment ---------
mkdir "$work/src"
if [ -d "$top/.git" ] || [ -f "$top/.git" ]; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$top" && xargs -0 cp --parents -t "$work/src" 2>/dev/null) ||
		fail "cannot copy the sources"
else
	(cd "$top" && tar --exclude='./build*' --exclude=./autom4te.cache \
		-cf - .) | (cd "$work/src" && tar -xf -)
fi
[ -f "$work/src/debian/control" ] || fail "no debian/ in the sources"
start=$(date +%s)
(
	cd "$work/src" &&
		env -u CFLAGS -u CPPFLAGS -u LDFLAGS -u CONFIGURE_FLAGS \
			-u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u ASAN_OPTIONS \
			-u UBSAN_OPTIONS \
			SPOOLGUARD_IN_PACKAGE_BUILD=1 \
			DEB_BUILD_OPTIONS="nocheck parallel=2" \
			dpkg-buildpackage -us -uc -b
) >"$work/build.log" 2>&1 || {
	tail -n 60 "$work/build.log" >&2
	fail "dpkg-buildpackage failed"
}
echo "package built in $(($(date +%s) - start)) s"
deb=$(ls "$work"/spoolguard_*.deb)
[ -f "$deb" ] || fail "no .deb was made"
# No sanitizer or -Werror from the CI build leaked into the package.
if grep -q -- '-fsanitize' "$work/build.log"; then
	fail "the package was built with -fsanitize"
fi
dpkg-deb -x "$deb" "$work/unpacked"
if nm -D "$work/unpacked/usr/bin/spoolguard" | grep -q '__asan\|__ubsan'; then
	fail "the packaged binary is built with sanitizers"
fi

# ---- lintian: no errors ----------------------------------------------------
lintian --fail-on error --no-tag-display-limit "$work"/spoolguard_*.changes \
	>"$work/lintian" 2>&1 || {
	cat "$work/lintian" >&2
	fail "lintian reports errors"
}
grep -q '^E:' "$work/lintian" && { cat "$work/lintian" >&2; fail "lintian: E: tags"; }
echo "lintian: $(grep -c '^[WI]:' "$work/lintian") warnings/info, no errors"

# ---- make install prefix=P rebuilds for P ---------------------------------
make -s -C "$work/src" install prefix=/opt/sg-prefix DESTDIR="$work/dest" \
	>"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "make install prefix=P"; }
grep -q /opt/sg-prefix/share/spoolguard/rules "$work/dest/opt/sg-prefix/bin/spoolguard" ||
	fail "make install prefix=P installed a binary that does not look under P"
grep -q /opt/sg-prefix/share/spoolguard/rules \
	"$work/dest/opt/sg-prefix/share/man/man5/spoolguard-rules.5" ||
	fail "make install prefix=P installed a manual that does not name P"

# ---- install ---------------------------------------------------------------
cleanup_pkg() { apt-get purge -y -qq -o DPkg::Lock::Timeout=300 spoolguard >/dev/null 2>&1 || true; }
trap 'cleanup_pkg; rm -rf "$work"' EXIT
(cd "$work" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
	--no-install-recommends "./$(basename "$deb")") >"$work/apt.log" 2>&1 || {
	cat "$work/apt.log" >&2
	fail "apt-get install ./$(basename "$deb") failed"
}
for f in /usr/bin/spoolguard /etc/spoolguard/spoolguard.conf \
	/usr/share/spoolguard/rules/default.rules \
	/usr/share/spoolguard/rules/postfix.rules \
	/usr/share/spoolguard/demo/iis/Queue/NTFS_0003-nul-header.EML \
	/lib/systemd/system/spoolguard.service \
	/lib/systemd/system/spoolguard.timer \
	/usr/share/bash-completion/completions/spoolguard \
	/usr/share/man/man1/spoolguard.1.gz \
	/usr/share/man/man5/spoolguard.conf.5.gz \
	/usr/share/man/man5/spoolguard-rules.5.gz \
	/usr/share/doc/spoolguard/copyright \
	/usr/share/doc/spoolguard/COPYING.gz; do
	assert_file "$f"
done
dpkg-query -W -f='${Conffiles}\n' spoolguard | grep -q ' /etc/spoolguard/spoolguard.conf ' ||
	fail "spoolguard.conf is not a conffile"
[ "$(stat -c %a /var/lib/spoolguard)" = 700 ] || fail "/var/lib/spoolguard is not 0700"
zcat /usr/share/man/man5/spoolguard.conf.5.gz | grep -q '^\.I /etc/spoolguard/spoolguard.conf' ||
	fail "the installed spoolguard.conf(5) does not name /etc"
unset SPOOLGUARD_CONFIG SPOOLGUARD_RULES_DIR SPOOLGUARD_QUARANTINE
(cd / && spoolguard config) >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "spoolguard config"; }
assert_grep '^/etc/spoolguard/spoolguard.conf: ok' "$work/out"
(cd / && spoolguard rules list) >"$work/out"
assert_grep '^ *from /usr/share/spoolguard/rules/postfix.rules' "$work/out"

# ---- the demo and the README's examples, with the installed binary ----------
(cd / && TMPDIR="$work" sh "$top/scripts/demo.sh" /usr/bin/spoolguard) \
	>"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; fail "the demo failed"; }
assert_grep 'quarantine (quarantined)' "$work/demo.log"
sed -n '/^<!-- examples: begin -->$/,/^<!-- examples: end -->$/p' "$top/README.md" |
	sed -n '/^    /s/^    //p' >"$work/readme.sh"
[ "$(wc -l <"$work/readme.sh")" -ge 5 ] || fail "no examples found in README.md"
# Not sh -e: scan's exit status 1 (something quarantined) is success;
# every example must print what it is there to show, and nothing may
# complain on standard error.
(cd / && TMPDIR="$work" sh "$work/readme.sh") >"$work/readme.out" \
	2>"$work/readme.err" || fail "the README's examples end in failure"
[ ! -s "$work/readme.err" ] || {
	cat "$work/readme.out" "$work/readme.err" >&2
	fail "the README's examples complain with the installed package"
}
for want in '^default ' 'header.nul' 'clean (accept)' 'would-quarantine' \
	'quarantine (quarantined)' '^released ' \
	'^/etc/spoolguard/spoolguard.conf: ok'; do
	assert_grep "$want" "$work/readme.out"
done

# ---- the service: started where systemd runs, verified elsewhere -----------
if [ -d /run/systemd/system ]; then
	mkdir -p "$work/spool"
	cp -R /usr/share/spoolguard/demo/iis "$work/spool/"
	printf '[scan]\nmin-age=0\n[spool demo]\npath=%s\n' "$work/spool/iis" \
		>/etc/spoolguard/spoolguard.conf
	mkdir -p /run/systemd/system/spoolguard.service.d
	printf '[Service]\nReadWritePaths=%s\n' "$work" \
		>/run/systemd/system/spoolguard.service.d/test.conf
	systemctl daemon-reload
	systemctl start spoolguard.service || fail "systemctl start spoolguard.service failed"
	rm -rf /run/systemd/system/spoolguard.service.d
	systemctl daemon-reload
	[ -n "$(find /var/lib/spoolguard/quarantine -name report.json)" ] ||
		fail "the service quarantined nothing"
	rm -rf /var/lib/spoolguard/quarantine
	echo "systemctl start spoolguard.service: scanned and quarantined"
else
	systemd-analyze verify /lib/systemd/system/spoolguard.service \
		/lib/systemd/system/spoolguard.timer >"$work/verify" 2>&1 || {
		cat "$work/verify" >&2
		fail "systemd-analyze verify of the installed units"
	}
	[ ! -s "$work/verify" ] || { cat "$work/verify" >&2; fail "systemd-analyze verify complained"; }
	echo "no systemd running: installed units verified"
fi

# ---- purge leaves nothing --------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=300 spoolguard >"$work/purge.log" 2>&1 || {
	cat "$work/purge.log" >&2
	fail "apt-get purge spoolguard failed"
}
trap 'rm -rf "$work"' EXIT
for f in /usr/bin/spoolguard /etc/spoolguard /var/lib/spoolguard \
	/usr/share/spoolguard /lib/systemd/system/spoolguard.service; do
	assert_no_file "$f"
done
echo "built, linted, installed, run, purged in $(($(date +%s) - start)) s"
