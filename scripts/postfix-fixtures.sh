#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# postfix-fixtures.sh - make Postfix queue-file fixtures with a real Postfix.
#
# Runs a private Postfix from Debian's unpacked package (never installed:
# it would replace an installed Exim; see tests/live/postfix-instance.sh),
# queues a few messages (plain, multi-recipient, a long line stored as L records, 8-bit MIME with DSN, a
# header_checks HOLD, a postdrop file left in maildrop/), stops it and
# copies the queue files to OUT/<queue>/<id>, with OUT/expected/<id>.txt
# holding what `postcat -bh` prints for each.  Then it derives damaged
# variants (one per container.* rule the reader enforces) and near misses
# into OUT/derived/, and from the postdrop file into OUT/derived-maildrop/.
# Needs root (Postfix checks ownership), apt, python3.
#
# Usage: scripts/postfix-fixtures.sh [OUT]   (default testdata/spool/postfix)
#        KEEP=1 keeps the work directory; POSTFIX_DEB=file uses that .deb.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$here/../testdata/spool/postfix}
W=$(mktemp -d "${TMPDIR:-/tmp}/sg-pf-fixtures.XXXXXX")
PF=
cleanup() {
	[ -z "$PF" ] || pf_stop
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "$0: must run as root" >&2; exit 1; }

# 1-3. A private instance (tests/live/postfix-instance.sh).
# shellcheck source=../tests/live/postfix-instance.sh
. "$here/../tests/live/postfix-instance.sh"
pf_instance "$W"
pf_start
sleep 2

# 4. Mail.
printf 'From: Alice <alice@spoolguard.test>\nTo: bob@example.net, carol@example.org\nSubject: plain fixture\nMessage-ID: <plain@spoolguard.test>\n\nHello Bob and Carol.\n' |
	"$SM" -t -f alice@spoolguard.test
{
	printf 'From: list@spoolguard.test\nTo: undisclosed-recipients:;\nSubject: five recipients\n\nHi all.\n'
} | "$SM" -f list@spoolguard.test u1@example.com u2@example.com u3@example.com u4@example.com u5@example.com
{
	printf 'From: alice@spoolguard.test\nTo: erin@example.net\nSubject: long line\n\n'
	head -c 5000 /dev/zero | tr '\0' 'x'
	printf '\nend of long line\n'
} | "$SM" -f alice@spoolguard.test erin@example.net
printf 'From: alice@spoolguard.test\nTo: frank@example.net\nSubject: 8-bit\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\303\274\303\237e aus K\303\266ln.\n--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAwQFBgc=\n--b1--\n' |
	"$SM" -B 8BITMIME -N success,delay -V envid-1 -f alice@spoolguard.test frank@example.net
printf 'From: alice@spoolguard.test\nTo: dave@example.net\nSubject: [HOLDME] held\n\nheld by header_checks\n' |
	"$SM" -f alice@spoolguard.test dave@example.net

# Wait until the four relayable messages are deferred (qmgr tried once).
for _ in $(seq 60); do
	n=$(find "$I/spool/deferred" -type f | wc -l)
	[ "$n" -ge 4 ] && break
	sleep 1
done
pf_stop
sleep 1
# A postdrop file that no pickup takes: Postfix is stopped.
printf 'From: alice@spoolguard.test\nTo: gina@example.net\nSubject: maildrop\n\nleft in maildrop\n' |
	"$SM" -f alice@spoolguard.test gina@example.net

# 5. Copy them out, with what postcat prints as their text.
rm -rf "$OUT"/deferred "$OUT"/hold "$OUT"/maildrop "$OUT"/expected \
	"$OUT"/derived "$OUT"/derived-maildrop
mkdir -p "$OUT/expected" "$OUT/derived" "$OUT/derived-maildrop"
for q in deferred hold maildrop; do
	find "$I/spool/$q" -type f | sort | while read -r f; do
		id=$(basename "$f")
		mkdir -p "$OUT/$q"
		cp "$f" "$OUT/$q/$id"
		chmod 0644 "$OUT/$q/$id"
		if [ "$q" != maildrop ]; then
			"$PC" -c "$PFCONF" -bh "$f" >"$OUT/expected/$id.txt"
		fi
	done
done
"$PC" -c "$PFCONF" -bh "$(find "$I/spool/maildrop" -type f | head -n1)" \
	>"$OUT/expected/$(basename "$(find "$I/spool/maildrop" -type f | head -n1)").txt" 2>/dev/null || true

# 6. Damaged variants and near misses, derived from the plain message
# (derived/) and from the postdrop file (derived-maildrop/).
base=$(grep -l 'plain fixture' "$OUT"/deferred/* | head -n1)
drop=$(find "$OUT/maildrop" -type f | sort | head -n1)
python3 - "$base" "$OUT/derived" "$drop" "$OUT/derived-maildrop" <<'PY'
import os, sys

base, out = sys.argv[1], sys.argv[2]
data = open(base, 'rb').read()

def enc_len(n):
    b = bytearray()
    while True:
        c = n & 0x7f
        n >>= 7
        if n:
            b.append(c | 0x80)
        else:
            b.append(c)
            return bytes(b)

def parse(d):
    recs, o = [], 0
    while o < len(d):
        t, p, n, sh = d[o], o + 1, 0, 0
        while True:
            c = d[p]; p += 1
            n |= (c & 0x7f) << sh; sh += 7
            if not c & 0x80:
                break
        recs.append([chr(t), d[p:p + n]])
        o = p + n
    return recs

def build(recs, fix=True, size=None):
    """Serializes; with fix, recomputes the C record from the layout."""
    out, offs = bytearray(), []
    for t, v in recs:
        offs.append(len(out))
        if isinstance(v, int):      # a pointer placeholder: index of target
            v = b'%15d' % 0
        out += t.encode('latin1') + enc_len(len(v)) + v
    # fill pointers now that offsets are known
    for i, (t, v) in enumerate(recs):
        if isinstance(v, int):
            tgt = offs[v] if v < len(offs) else len(out)
            o = offs[i] + 2
            out[o:o + 15] = b'%15d' % tgt
    kinds = [r[0] for r in recs]
    if fix and kinds[0] == 'C' and 'M' in kinds and 'X' in kinds:
        m = [i for i, r in enumerate(recs) if r[0] == 'M'][0]
        x = [i for i, r in enumerate(recs) if r[0] == 'X'][0]
        f = [int(s) for s in recs[0][1].split()]
        data_off = offs[m] + 2
        f[0], f[1] = offs[x] - data_off, data_off
        if f[4]:
            f[4] = f[0]
        if size:
            f = [size.get(k, f[k]) for k in range(6)]
        c = b' '.join(b'%15d' % v for v in f)
        out[2:2 + 95] = c
    return bytes(out)

recs = parse(data)
def idx(t, nth=0):
    return [i for i, r in enumerate(recs) if r[0] == t][nth]

def save(name, blob):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(blob)

good = build(recs)
assert good == data, "rebuilding the base must give it back"
fields = [int(s) for s in recs[0][1].split()]

# -- damaged: one per rule --
save('BADtruncated', data[:len(data) - 10])                      # record-overrun
save('BADdataoffset', build(recs, size={1: fields[1] + 4}))      # size-mismatch
save('BADdatasize', build(recs, size={0: fields[0] + 7}))        # size-mismatch
r = [list(x) for x in recs]; r.insert(2, ['Z', b'zzz'])
save('BADtype', build(r))                                        # unknown-record
r = [list(x) for x in recs]; r.insert(2, ['\0', b'nul'])
save('BADnultype', build(r))                                     # unknown-record
s = idx('S')
blob = bytearray(build(recs)); o = len(build(recs[:s]))
blob[o + 1:o + 2] = bytes([0x95, 0x80, 0x80, 0x80, 0x00])       # 5 length bytes
save('BADlenbytes', bytes(blob))                                 # bad-length
blob = bytearray(build(recs)); o = len(build(recs[:idx('R', 1)]))
blob[o + 1] = 0x7f                                               # R says 127 bytes
save('BADpastEOF', bytes(blob))                                  # record-overrun
save('BADnoend', build(recs[:-1]))                               # missing-end
r = [list(x) for x in recs]; n = idx('N', 3)
r.insert(n, ['p', n + 1]); r.insert(n + 1, ['p', n])             # p <-> p
save('BADptrloop', build(r))                                     # pointer-loop
save('BADtrailing', build(recs) + b'garbage after the end')      # trailing-data
save('BADflags', build(recs, size={3: 0x40}))                    # bad-field
save('BADrcptcount', build(recs, size={2: 5}))                   # rcpt-count-mismatch
save('BADcontentlen', build(recs, size={4: -1}))                 # bad-field
r = [list(x) for x in recs]; del r[idx('S')]
save('BADnosender', build(r))                                    # missing-record
save('BADnosize', build(recs[1:]))                               # missing-record

# -- near misses: each must stay clean --
# A header moved behind E and reached by pointers (a milter edit).
r = [list(x) for x in recs]; n = idx('N', 2); moved = r[n]
r[n] = ['p', len(r)]                      # jump to the appended block
r += [moved, ['p', n + 1]]                # the header, then back
save('OKpointerafterend', build(r))
r = [list(x) for x in recs]; r.insert(1, ['p', b'%15d' % 0])     # dummy pointer
save('OKdummypointer', build(r))
r = [list(x) for x in recs]; r[idx('R')][0] = 'D'                # one done
save('OKdonercpt', build(r))
save('OKflagsmask', build(recs, size={3: 0x1f}))
# Records behind E that no pointer reaches: an added header, deleted again.
h = b'X-Added: then deleted by a milter'
save('OKorphanedit', build(recs) + b'N' + enc_len(len(h)) + h +
     b'p' + enc_len(15) + b'%15d' % len(build(recs[:idx('X')])))
blob = bytearray(build(recs)); o = len(build(recs[:s]))
ln = len(recs[s][1])
blob[o + 1:o + 2] = bytes([0x80 | ln, 0x80, 0x80, 0x00])          # 4 length bytes
save('OKlen4bytes', bytes(blob))

# -- the postdrop file: pickup(8) reads each record with rec_get(...,
# line_length_limit) and removes the file at one longer than that (2048,
# Postfix's default): a body line of 2049 bytes as one N record fires
# container.postfix-record-length, one of 2048 (the longest record
# sendmail(1) writes) is the near miss.
drop = parse(open(sys.argv[3], 'rb').read())
out = sys.argv[4]
def body_line(n):
    r = [list(x) for x in drop]
    r.insert([r[0] for r in drop].index('X'), ['N', b'x' * n])
    return build(r, fix=False)
save('BADrecordlen', body_line(2049))                            # postfix-record-length
save('OKrecordlen', body_line(2048))
PY
# The size record of OKlen4bytes moved by 3 bytes: let the reader decide;
# it is made consistent here so that it is a near miss.
python3 - "$OUT/derived/OKlen4bytes" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read())
f = [int(s) for s in d[2:97].split()]
f[1] += 3; f[0] -= 0
d[2:97] = b' '.join(b'%15d' % v for v in f)
open(p, 'wb').write(bytes(d))
PY
chmod 0644 "$OUT"/derived/* "$OUT"/derived-maildrop/*
find "$OUT" -type f | sort
