#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# exim-fixtures.sh - make the Exim spool fixtures under testdata/spool/exim/
# with the real Exim (Debian's exim4-daemon-light), then derive one corrupt
# variant per container.* rule the Exim reader implements.
#
# Exim runs with a private configuration (-C): its own spool and log in a
# temporary directory, queue_only, routers that can never reach the network,
# no daemon.  Messages come in by local submission and by an SMTP session on
# stdin (-bs) with DSN and ACL variables, one with NULs in the body, one in
# wire format (-spool_file_wireformat); one is frozen; then one foreground
# queue run.  Needs root (Exim's -C with trusted_users) and python3 for the
# byte surgery on the corrupt copies.
#
# Usage: scripts/exim-fixtures.sh [TESTDATA_EXIM_DIR]
#        (default: testdata/spool/exim next to this script)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/testdata/spool/exim}
exim=$(command -v exim4 || command -v exim || true)
[ -n "$exim" ] || { echo "exim-fixtures: no exim binary" >&2; exit 77; }

w=$(mktemp -d /tmp/sg-exim-fix.XXXXXX)
trap 'rm -rf "$w"' EXIT
chmod 755 "$w"
mkdir -p "$w/spool" "$w/log" "$w/mbox"
user=Debian-exim
id "$user" >/dev/null 2>&1 || user=root
chown -R "$user:$user" "$w/spool" "$w/log" "$w/mbox"

write_conf() {
	cat > "$1" <<EOF
primary_hostname = spoolguard.test
qualify_domain = spoolguard.test
spool_directory = $w/spool
log_file_path = $w/log/%slog
exim_user = $user
exim_group = $user
queue_only = true
message_logs = true
dsn_advertise_hosts = *
chunking_advertise_hosts = *
trusted_users = root
keep_environment =
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
$2
begin acl
acl_rcpt:
  accept  set acl_m_rcptnote = multi-line\nvalue with \$local_part
          set acl_c_conn     = connection var
acl_data:
  accept  add_header = X-Spoolguard-Test: yes
begin routers
okdomain:
  driver = accept
  domains = ok.test
  transport = local_file
everything_else:
  driver = redirect
  allow_defer
  data = :defer: simulated temporary failure
begin transports
local_file:
  driver = appendfile
  file = $w/mbox/all.mbox
  user = $user
  group = $user
begin retry
*   *   F,2d,15m
EOF
	chmod 644 "$1"
}
write_conf "$w/exim.conf" ""
write_conf "$w/exim-wire.conf" "spool_wireformat = true"
X="$exim -C $w/exim.conf"

# 1) local submission, queued only
printf 'From: Alice <alice@spoolguard.test>\nTo: bob@remote.example\nSubject: fixture 1 local\n\nhello\nworld\n' |
	$X -odq -f alice@spoolguard.test bob@remote.example
# 2) null sender, three recipients, a long header
long=$(printf '%0300d' 0 | tr 0 a)
printf 'From: MAILER-DAEMON@spoolguard.test\nTo: x@remote.example,\n  z@ok.test\nSubject: fixture 2 bounce\nX-Long: %s\n\nbounce\n' "$long" |
	$X -odq -f '<>' x@remote.example y@remote.example z@ok.test
# 3) SMTP on stdin with DSN parameters and ACL variables
printf 'EHLO client.example\r\nMAIL FROM:<carol@client.example> RET=HDRS ENVID=env-123\r\nRCPT TO:<dave@remote.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;dave@remote.example\r\nRCPT TO:<erin@ok.test>\r\nDATA\r\nFrom: Carol <carol@client.example>\r\nTo: dave@remote.example, erin@ok.test\r\nSubject: fixture 3 smtp dsn\r\nMessage-ID: <f3@client.example>\r\n\r\nbody line\r\n.\r\nQUIT\r\n' |
	$X -odq -bs -oMa 192.0.2.10.54321 -oMi 127.0.0.1.25 -oMr esmtp >/dev/null
# 4) NUL bytes in the body, recipients for a non-recipients tree
printf 'From: frank@spoolguard.test\nTo: a@ok.test\nSubject: fixture 4 nul\n\nnul:\000\000:end\nsecond\n' |
	$X -odq -f frank@spoolguard.test a@ok.test b@ok.test c@ok.test d@remote.example
# 5) wire format (CRLF -D), through SMTP
msg5='From: gina@client.example\r\nSubject: fixture 5 wire\r\n\r\nwire body\r\n'
len5=$(printf "$msg5" | wc -c)
printf "EHLO client.example\r\nMAIL FROM:<gina@client.example>\r\nRCPT TO:<hal@remote.example>\r\nBDAT $len5 LAST\r\n$msg5""QUIT\r\n" |
	$exim -C "$w/exim-wire.conf" -odq -bs -oMa 198.51.100.7.40000 -oMi 127.0.0.1.25 >/dev/null
# 6) a message to be frozen
printf 'From: ivan@spoolguard.test\nSubject: fixture 6 frozen\n\nfreeze me\n' |
	$X -odq -f ivan@spoolguard.test judy@remote.example
frozen=$(ls "$w/spool/input" | sed -n 's/-H$//p' | sort | tail -1)
# one foreground queue run: ok.test delivered, the rest deferred
$X -qff || true
# freeze after the run (-qff would thaw it)
$X -Mf "$frozen"

rm -rf "$out/input" "$out/msglog" "$out/corrupt"
mkdir -p "$out/input" "$out/msglog" "$out/corrupt/input"
cp "$w"/spool/input/*-H "$w"/spool/input/*-D "$out/input/"
cp "$w"/spool/msglog/* "$out/msglog/" 2>/dev/null || true
chmod 644 "$out"/input/* "$out"/msglog/* 2>/dev/null || true

# Corrupt variants: copies of fixture 1 under new ids, one damage each.
python3 - "$out/input" "$out/corrupt/input" <<'EOF'
import os, re, sys
src, dst = sys.argv[1], sys.argv[2]
ids = sorted(f[:-2] for f in os.listdir(src) if f.endswith('-H'))
def load(i):
    return (open(os.path.join(src, i + '-H'), 'rb').read(),
            open(os.path.join(src, i + '-D'), 'rb').read())
# the local one with From: Alice (fixture 1)
base = next(i for i in ids if b'fixture 1 local' in load(i)[0])
H0, D0 = load(base)
def put(tag, h, d, drop=None):
    nid = base[:-2] + tag
    h = h.replace(base.encode(), nid.encode()) if h is not None else None
    if d is not None and not d.startswith(b'OTHER'):
        d = d.replace(base.encode(), nid.encode(), 1)
    elif d is not None:
        d = d[len(b'OTHER'):]
    if h is not None:
        open(os.path.join(dst, nid + '-H'), 'wb').write(h)
    if d is not None:
        open(os.path.join(dst, nid + '-D'), 'wb').write(d)
def sub(h, old, new):
    assert old in h, old
    return h.replace(old, new, 1)
# lying header length (the From: record claims 200 more bytes)
m = re.search(rb'\n(\d{3})F From', H0)
put('L1', sub(H0, m.group(0), b'\n%03dF From' % (int(m.group(1)) + 200)), D0)
# recipient count 99999
put('R1', sub(H0, b'\n1\nbob@', b'\n99999\nbob@'), D0)
# count != lines (2 declared, 1 line)
put('R2', sub(H0, b'\n1\nbob@', b'\n2\nbob@'), D0)
# NUL inside a header record (same length)
put('N1', sub(H0, b'Subject: fixture 1', b'Subject:\0fixture 1'), D0)
# huge -aclc length
put('A1', sub(H0, b'-body_linecount', b'-aclc _x 999999999\nshort\n-body_linecount'), D0)
# an -acl value that ends exactly at end of file (ASan: no read past it)
put('E1', H0[:H0.index(b'-body_linecount')] + b'-acl 0 5\nhello', D0)
# a -H line Exim would split (20011 bytes) and one it reads whole (16383)
def helo(total):
    pad = b'h' * (total - len(b'-helo_name ') - 1)
    return sub(H0, b'-body_linecount', b'-helo_name ' + pad + b'\n-body_linecount')
put('W1', helo(20011), D0)
put('W2', helo(16383), D0)
# -D first line naming another id
other = b'1xUxat-0003Zz-99-D\n'
put('I1', H0, b'OTHER' + other + D0[D0.index(b'\n') + 1:])
# wrong body_linecount
put('B1', re.sub(rb'-body_linecount \d+', b'-body_linecount 7', H0), D0)
# orphan -H and orphan -D
put('O1', H0, None)
put('O2', None, D0)
# bad flag char in a header record
put('F1', sub(H0, m.group(0), b'\n%sQ From' % m.group(1)), D0)
# a DSN orcpt length running out of its line
put('S1', sub(H0, b'\nbob@remote.example\n', b'\nbob@remote.example rfc822;bob@remote.example 999,12  0,-1#3\n'), D0)
# file ends before the blank line and the header records
put('T1', H0[:H0.index(b'\nbob@remote.example\n') + 20], D0)
# near-miss: a deleted ('*') record with a correct length stays valid
put('K1', H0 + b'010* X-Gone: 1\n', D0)
EOF
chmod 644 "$out"/corrupt/input/*
ls -l "$out/input" "$out/corrupt/input"
