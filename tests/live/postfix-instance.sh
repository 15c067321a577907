# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# postfix-instance.sh - a private, offline Postfix from Debian's package
# (sourced by scripts/postfix-fixtures.sh and the Postfix tests of
# tests/live).
#
# pf_instance DIR: unpacks the postfix .deb (POSTFIX_DEB, or one that
# `apt-get download` fetches) under DIR/root without installing it (it
# would replace an installed Exim), points the binaries' RUNPATH at the
# private copy with patchelf, and writes DIR/inst/etc/{main,master}.cf:
# queue in DIR/inst/spool, no inet listener, relay on a dead loopback
# port, a header_checks HOLD rule for "[HOLDME]" subjects.  Extra main.cf
# lines come from PF_EXTRA_MAIN.  Sets R, I, PF (postfix), SM (sendmail),
# PQ (postqueue), PS (postsuper), PC (postcat), PFCONF.  Needs root.
# pf_start / pf_stop start and stop it (pf_stop: only once pf_instance
# has set PF); MAIL_CONFIG is exported.
#
# For the live tests (skip and fail from tests/live/live-lib.sh):
# pf_live DIR LOG: pf_instance DIR, its output in LOG; skip if it fails.
# pf_live_start LOG: pf_start, its output added to LOG; fail if it fails.
# pf_plant FILE N: FILE planted into deferred/ as Postfix stores it, under
# a short queue id made of N (its 5 hex digits of microseconds) and the
# inode number in hex (postsuper renames files whose name disagrees), in
# the hash directory named by the id's first character; prints the id.

pf_instance() {
	local W=$1 f
	R=$W/root
	I=$W/inst
	mkdir -p "$R" "$I/etc" "$I/spool" "$I/data"
	command -v patchelf >/dev/null ||
		apt-get install -y -qq patchelf >/dev/null 2>&1 || return 1
	if [ -z "${POSTFIX_DEB:-}" ]; then
		mkdir -p "$W/pkg"
		(cd "$W/pkg" && apt-get download postfix >/dev/null 2>&1) || return 1
		POSTFIX_DEB=$(ls "$W"/pkg/postfix_*.deb) || return 1
	fi
	dpkg-deb -x "$POSTFIX_DEB" "$R" || return 1
	for f in "$R"/usr/sbin/* "$R"/usr/lib/postfix/sbin/* "$R"/usr/lib/postfix/*.so; do
		if head -c 4 "$f" | grep -q ELF; then
			patchelf --set-rpath "$R/usr/lib/postfix" "$f" || return 1
		fi
	done
	# a mail owner and a setgid group of our own, not 'postfix'
	getent group sgpfown >/dev/null || groupadd --system sgpfown
	getent passwd sgpfown >/dev/null ||
		useradd --system -g sgpfown -d /nonexistent -M \
			-s /usr/sbin/nologin sgpfown
	getent group sgpfdrop >/dev/null || groupadd --system sgpfdrop
	chgrp sgpfdrop "$R/usr/sbin/postdrop" "$R/usr/sbin/postqueue"
	chmod 2555 "$R/usr/sbin/postdrop" "$R/usr/sbin/postqueue"
	chown sgpfown:sgpfown "$I/data"
	chmod 755 "$W" "$I"
	cat >"$I/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $I/spool
data_directory = $I/data
daemon_directory = $R/usr/lib/postfix/sbin
command_directory = $R/usr/sbin
meta_directory = $R/etc/postfix
shlib_directory = $R/usr/lib/postfix
sendmail_path = $R/usr/sbin/sendmail
newaliases_path = $R/usr/bin/newaliases
mailq_path = $R/usr/bin/mailq
manpage_directory = $R/usr/share/man
sample_directory = $R/etc/postfix
readme_directory = no
html_directory = no
mail_owner = sgpfown
setgid_group = sgpfdrop
maillog_file = $I/maillog
maillog_file_prefixes = $I
myhostname = mx.spoolguard.test
mydomain = spoolguard.test
myorigin = \$mydomain
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
local_recipient_maps =
relayhost = [127.0.0.1]:9
smtp_connect_timeout = 1s
smtp_dns_support_level = disabled
header_checks = regexp:$I/etc/header_checks
biff = no
${PF_EXTRA_MAIN:-}
CF
	echo '/^Subject:.*\[HOLDME\]/ HOLD spoolguard test' >"$I/etc/header_checks"
	cat >"$I/etc/master.cf" <<'CF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
	PFCONF=$I/etc
	PF=$R/usr/sbin/postfix
	SM=$R/usr/sbin/sendmail
	PQ=$R/usr/sbin/postqueue
	PS=$R/usr/sbin/postsuper
	PC=$R/usr/sbin/postcat
	export MAIL_CONFIG=$PFCONF
	"$PF" -c "$PFCONF" check </dev/null
}

pf_start() { "$PF" -c "$PFCONF" start </dev/null; }
pf_stop() {
	[ -z "${PF:-}" ] || "$PF" -c "$PFCONF" stop </dev/null >/dev/null 2>&1 || true
}

pf_live() {
	pf_instance "$1" >"$2" 2>&1 || skip "cannot set up Postfix: $(tail -n 3 "$2")"
}
pf_live_start() {
	pf_start >>"$1" 2>&1 || fail "postfix start: $(cat "$1")"
}

pf_plant() {
	local tmp=$I/plant.$2 id d q=$I/spool/deferred
	cp "$1" "$tmp" || return 1
	id=$(printf '%05X%X' "$2" "$(stat -c %i "$tmp")")
	d=$q/${id%"${id#?}"}
	# A hash directory made whole under another name and renamed into
	# place: qmgr must never meet one that is not yet its own (it dies).
	if [ ! -d "$d" ]; then
		mkdir -m 0700 "$q/.new" &&
			chown sgpfown:sgpfown "$q/.new" &&
			mv -T "$q/.new" "$d" || rm -rf "$q/.new"
	fi
	# owner, mode and next retry time (an hour on, so that qmgr leaves it
	# alone) first, then one rename: qmgr must never see it ready with a
	# retry time that has come
	chown sgpfown:sgpfown "$tmp" &&
		chmod 0700 "$tmp" &&
		touch -m -d '+1 hour' "$tmp" &&
		mv "$tmp" "$d/$id" || return 1
	echo "$id"
}
