#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# manpages.sh - the installed manual pages (gen/, written by the build with
# the real paths): groff -ww and mandoc -Tlint find nothing, no line is
# wider than 80 columns at MANWIDTH=80, no @word@ is left, the paths are
# the binary's, and JSON OBJECT FORMAT in spoolguard(1) names every key
# of every JSON object spoolguard prints.
. "$(dirname "$0")/lib.sh"

gen="$(dirname "$SPOOLGUARD_BIN")/gen"
pages="$gen/spoolguard.1 $gen/spoolguard-rules.5 $gen/spoolguard.conf.5"
paths="$(dirname "$SPOOLGUARD_BIN")/sg-paths.h"
path_of() { sed -n "s/^#define $1 \"\(.*\)\"\$/\1/p" "$paths"; }
pkgdatadir=$(path_of SG_PKGDATA_DIR)
sysconfdir=$(path_of SG_SYSCONF_DIR)
bindir=$(path_of SG_BINDIR)
[ -n "$pkgdatadir" ] && [ -n "$sysconfdir" ] && [ -n "$bindir" ] ||
	fail "no installation paths in $paths"
for p in $pages; do
	assert_file "$p"
	if grep -n '@[a-zA-Z_]*@' "$p"; then
		fail "$p: a placeholder is left"
	fi
	groff -ww -z -t -man "$p" 2>"$work/groff" || true
	[ ! -s "$work/groff" ] || {
		cat "$work/groff" >&2
		fail "groff -ww complains about $p"
	}
	if command -v mandoc >/dev/null; then
		mandoc -Tlint -Wwarning "$p" >"$work/mandoc" 2>&1 || true
		[ ! -s "$work/mandoc" ] || {
			cat "$work/mandoc" >&2
			fail "mandoc -Tlint complains about $p"
		}
	else
		echo "mandoc is not installed: -Tlint not run"
	fi
	if command -v man >/dev/null; then
		# Measured with the package's paths, so that a build under a
		# long prefix (distcheck's) measures the same page.
		sed -e "s|$pkgdatadir|/usr/share/spoolguard|g" \
			-e "s|$sysconfdir|/etc/spoolguard|g" \
			-e "s|$bindir|/usr/bin|g" "$p" >"$work/page"
		MANWIDTH=80 man -E ascii -l "$work/page" 2>/dev/null |
			awk -v p="$p" 'length > 80 { print p ": " $0; n++ }
				END { exit n > 0 }' ||
			fail "$p has lines over 80 columns at MANWIDTH=80"
	fi
done

# The pages name the paths the binary uses.
expect_rc 0 sg scan --help
conf=$(sed -n 's/.*--config=FILE.*(default: \(.*\))$/\1/p' "$work/out")
[ -n "$conf" ] || fail "scan --help names no default configuration file"
grep -q -F -- "$conf" "$gen/spoolguard.1" || fail "spoolguard(1) does not name $conf"
grep -q -F -- "$conf" "$gen/spoolguard.conf.5" ||
	fail "spoolguard.conf(5) does not name $conf"

# Every JSON key spoolguard prints is described (properties hold the
# readers' own names, documented with each reader).
d="$SPOOLGUARD_TESTDATA/demo"
make_spool "$work/spool"
: >"$work/json"
sg scan -fjson --no-syslog --min-age 0 -q "$work/store" "$work/spool" \
	>>"$work/json" || true
sg inspect -fjson "$d/iis/Pickup/0001-envelope-ok.eml" \
	"$SPOOLGUARD_TESTDATA/mime/bad-parameter.eml" >>"$work/json"
sg check -fjson "$d/iis/Queue/NTFS_0003-nul-header.EML" >>"$work/json" || true
sg inspect -fjson "$SPOOLGUARD_TESTDATA"/spool/exim/input/*-H >>"$work/json" || true
for id in $(sg quarantine -q "$work/store" list | awk '{ print $1 }'); do
	sg quarantine -q "$work/store" show --json "$id" >>"$work/json"
done
grep -q '"quarantine":{' "$work/json" || fail "no report.json was read"
grep -q '"parts":\[' "$work/json" || fail "no inspect object was read"
grep -q '"summary":{' "$work/json" || fail "no summary object was read"
sed 's/"properties":{[^}]*}/"properties":null/g' "$work/json" |
	grep -o '"[a-z_0-9]*":' | tr -d '":' | sort -u >"$work/keys"
sed -n '/^\.SH JSON OBJECT FORMAT/,/^\.SH [^J]/p' "$gen/spoolguard.1" \
	>"$work/section"
[ -s "$work/section" ] || fail "spoolguard(1) has no JSON OBJECT FORMAT"
n=0
while read -r key; do
	n=$((n + 1))
	grep -Eq "(^|[^a-z_])$key([^a-z_]|\$)" "$work/section" ||
		fail "JSON key '$key' is not in spoolguard(1) JSON OBJECT FORMAT"
done <"$work/keys"
[ "$n" -gt 40 ] || fail "only $n JSON keys seen"
echo "$n JSON keys, all documented"
