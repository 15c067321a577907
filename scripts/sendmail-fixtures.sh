#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sendmail-fixtures.sh - make the Sendmail queue fixtures under
# testdata/spool/sendmail/ with the real sendmail binary of Debian's
# sendmail-bin package, unpacked (apt-get download + dpkg-deb -x), never
# installed, so it does not fight the installed Exim.
#
# sendmail runs with a private .cf built by m4 from the unpacked sendmail-cf
# (queue-only delivery, its own queue directory, no aliases, no network:
# messages are only queued), inside a private mount and UTS namespace
# (unshare) where the host name is fully qualified in a private /etc/hosts,
# because sendmail sleeps for a minute when it cannot qualify its own name.
# Then one corrupt variant per container.* rule the qf reader implements is
# derived with python3.  Needs root, unshare, m4, apt-get, python3.
#
# Usage: scripts/sendmail-fixtures.sh [TESTDATA_SENDMAIL_DIR]
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/testdata/spool/sendmail}
w=$(mktemp -d /tmp/sg-sm-fix.XXXXXX)
trap 'rm -rf "$w"' EXIT
cd "$w"
apt-get download sendmail-bin sendmail-cf libwrap0 >/dev/null 2>&1 ||
	{ echo "sendmail-fixtures: cannot download the packages" >&2; exit 77; }
for deb in ./*.deb; do dpkg-deb -x "$deb" "$w/root"; done
sm=$w/root/usr/libexec/sendmail/sendmail
chmod ug-s "$sm" # no set-gid: LD_LIBRARY_PATH must apply
LD_LIBRARY_PATH=$w/root/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH
mkdir -m 700 "$w/mqueue"
printf 'hosts files\naliases files\n' > "$w/service.switch"
printf '127.0.0.1 localhost\n127.0.1.1 sm.spoolguard.test sm\n' > "$w/hosts"
cat > "$w/sm.mc" <<EOF
include(\`$w/root/usr/share/sendmail/cf/m4/cf.m4')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME',\`sm.spoolguard.test')dnl
define(\`confSERVICE_SWITCH_FILE',\`$w/service.switch')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
define(\`confBIND_OPTS',\`-DNSRCH -DEFNAMES')dnl
define(\`confDONT_PROBE_INTERFACES',\`True')dnl
define(\`QUEUE_DIR',\`$w/mqueue')dnl
define(\`confDELIVERY_MODE',\`queueonly')dnl
define(\`STATUS_FILE',\`$w/statistics')dnl
define(\`confTRUSTED_USERS',\`root')dnl
define(\`ALIAS_FILE',\`')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
m4 "$w/sm.mc" > "$w/sm.cf"

run() {
	unshare -m -u sh -c "mount --bind '$w/hosts' /etc/hosts &&
		hostname sm && '$sm' -C '$w/sm.cf' -odq -oi $*"
}
# 1) local submission
printf 'From: alice@example.test\nTo: bob@remote.example\nSubject: sendmail fixture 1\n\nhello\nworld\n' |
	run -f alice@example.test bob@remote.example
# 2) three recipients, a folded header, a long line in the body
long=$(printf '%0500d' 0 | tr 0 b)
printf 'From: carol@example.test\nTo: x@remote.example,\n  y@remote.example\nSubject: sendmail fixture 2\nX-Folded: one\n\ttwo\n\nbody %s\n' "$long" |
	run -f carol@example.test x@remote.example y@remote.example z@remote.example
# 3) SMTP on stdin with DSN parameters (paced: sendmail rejects a client
#    that talks before the greeting)
{
	for l in 'EHLO client.example' \
	    'MAIL FROM:<dave@client.example> RET=HDRS ENVID=env-9' \
	    'RCPT TO:<erin@remote.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;erin@remote.example' \
	    'DATA'; do
		sleep 1
		printf '%s\r\n' "$l"
	done
	sleep 1
	printf 'From: dave@client.example\r\nSubject: sendmail fixture 3\r\n\r\nsmtp body\r\n.\r\n'
	sleep 1
	printf 'QUIT\r\n'
} | run -bs > "$w/bs.out" || true
grep -q "^250 2.0.0 .* Message accepted" "$w/bs.out" || cat "$w/bs.out" >&2
sleep 3 # the SMTP server process finishes the queue file after QUIT

rm -rf "$out/mqueue" "$out/corrupt"
mkdir -p "$out/mqueue" "$out/corrupt/mqueue"
cp "$w"/mqueue/qf* "$w"/mqueue/df* "$out/mqueue/"
chmod 644 "$out"/mqueue/*

python3 - "$out/mqueue" "$out/corrupt/mqueue" <<'EOF'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
ids = sorted(f[2:] for f in os.listdir(src) if f.startswith('qf'))
def load(i):
    return (open(os.path.join(src, 'qf' + i), 'rb').read(),
            open(os.path.join(src, 'df' + i), 'rb').read())
base = next(i for i in ids if b'sendmail fixture 1' in load(i)[0])
Q0, D0 = load(base)
def put(tag, q, d):
    nid = base[:-2] + tag
    if q is not None:
        open(os.path.join(dst, 'qf' + nid), 'wb').write(q.replace(base.encode(), nid.encode()))
    if d is not None:
        open(os.path.join(dst, 'df' + nid), 'wb').write(d)
def sub(q, old, new):
    assert old in q, old
    return q.replace(old, new, 1)
put('M1', Q0[:-2], D0)                                   # no "." end line
put('T1', Q0 + b'Rextra@remote.example\n', D0)         # data after "."
put('U1', sub(Q0, b'\nS', b'\nXunknown\nS'), D0)         # unknown line code
put('V1', Q0[Q0.index(b'\n') + 1:], D0)                  # V line missing
put('W1', sub(Q0, b'V8\n', b'V99\n'), D0)                # unsupported version
put('I1', sub(Q0, b'\nK', b'\nI8/1/999999999\nK'), D0)   # I names another inode
put('N1', sub(Q0, b'Subject: sendmail', b'Subject:\0sendmail'), D0)  # NUL
put('O1', Q0, None)                                      # qf without df
put('O2', None, D0)                                      # df without qf
put('K1', sub(Q0, b'H??Subject: sendmail fixture 1\n',   # near-miss: folded
              b'H??Subject: sendmail fixture 1\n\tcontinued\n'), D0)
EOF
chmod 644 "$out"/corrupt/mqueue/*
ls -l "$out/mqueue" "$out/corrupt/mqueue"
