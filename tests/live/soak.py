# SPDX-License-Identifier: GPL-2.0-or-later
# soak.py - the traffic, the planting and the accounting of tests/live/soak.sh.
#
#   soak.py smtp PORT PREFIX FIRST COUNT DEFER_EVERY MANIFEST
#       COUNT messages through SMTP (a few sessions, many transactions
#       each); message n has Subject "<PREFIX><n>" (a unique token) and
#       one recipient: box<n>@soak.test (delivered), or, every
#       DEFER_EVERY-th, far<n>@remote.invalid (deferred for good).
#       Appends "<token> deliver|defer" to MANIFEST.
#   soak.py slow-smtp PORT TOKEN STALL MANIFEST
#       One message whose DATA stalls STALL seconds after its header.
#   soak.py plant DERIVED DEFERRED N_PF CORRUPT INPUT N_EX INTERVAL MANIFEST
#       N_PF damaged Postfix files from DERIVED into DEFERRED/<h>/ as
#       Postfix stores a deferred message (owner, 0700, the queue id from
#       the inode, next retry in an hour) and N_EX corrupt Exim pairs from
#       CORRUPT into INPUT under fresh ids, as Exim writes a message (-D
#       first, then -H, each by rename), one every INTERVAL seconds.
#       Appends "postfix <id> <sha256>" and "exim <id> <sha256 -H>
#       <sha256 -D>" to MANIFEST.
#   soak.py account ...   (see account())
#       Finds where every message ended, prints the accounting table and
#       exits 1 on any loss, duplicate, or misplaced message.
import hashlib
import os
import re
import smtplib
import socket
import sys
import time


def sha(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def message(token, rcpt):
    return ('From: soak@soak.test\r\nTo: %s\r\nSubject: %s\r\n'
            'Message-ID: <%s@soak.test>\r\n\r\nsoak body\r\n' %
            (rcpt, token, token))


def cmd_smtp(port, prefix, first, count, defer_every, manifest):
    port, first, count, defer_every = (int(port), int(first), int(count),
                                       int(defer_every))
    out = open(manifest, 'a')
    n = first
    end = first + count
    while n < end:
        s = smtplib.SMTP('127.0.0.1', port, timeout=120)
        s.ehlo('client.soak.test')
        for _ in range(100):
            if n >= end:
                break
            token = '%s%06d' % (prefix, n)
            if defer_every > 0 and n % defer_every == 0:
                rcpt, kind = 'far%d@remote.invalid' % n, 'defer'
            else:
                rcpt, kind = 'box%d@soak.test' % n, 'deliver'
            s.sendmail('soak@soak.test', [rcpt], message(token, rcpt))
            out.write('%s %s\n' % (token, kind))
            n += 1
        s.quit()
    out.close()


def cmd_slow_smtp(port, token, stall, manifest):
    rcpt = 'slow@soak.test'
    s = socket.create_connection(('127.0.0.1', int(port)), timeout=300)
    f = s.makefile('rb')

    def reply():
        while True:
            line = f.readline()
            if not line:
                raise SystemExit('slow-smtp: connection closed')
            if line[3:4] != b'-':
                return line

    def say(text, want):
        s.sendall(text.encode())
        line = reply()
        if not line.startswith(want):
            raise SystemExit('slow-smtp: %r after %r' % (line, text))

    reply()
    say('EHLO slow.soak.test\r\n', b'250')
    say('MAIL FROM:<soak@soak.test>\r\n', b'250')
    say('RCPT TO:<%s>\r\n' % rcpt, b'250')
    say('DATA\r\n', b'354')
    body = message(token, rcpt)
    head, rest = body.split('\r\n\r\n', 1)
    s.sendall((head + '\r\n').encode())
    time.sleep(float(stall))
    say('\r\n' + rest + '.\r\n', b'250')
    say('QUIT\r\n', b'221')
    with open(manifest, 'a') as out:
        out.write('%s deliver\n' % token)


# Exim ids: 6 + 6 + 2 base-62 characters.
B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'


def b62(n, width):
    s = ''
    for _ in range(width):
        s = B62[n % 62] + s
        n //= 62
    return s


def plant_postfix(derived, deferred, seq, uid, gid, later, out):
    """One damaged file, stored as Postfix stores a deferred message."""
    names = sorted(f for f in os.listdir(derived) if f.startswith('BAD'))
    data = open(os.path.join(derived, names[seq % len(names)]), 'rb').read()
    tmp = os.path.join(deferred, '..', '.plant')
    with open(tmp, 'wb') as f:
        f.write(data)
    os.chown(tmp, uid, gid)
    os.chmod(tmp, 0o700)
    # next retry in an hour: qmgr leaves it alone, as it would
    os.utime(tmp, (later, later))
    # a short queue id: 5 hex digits of microseconds, the inode in hex
    qid = '%05X%X' % (0x30000 + seq, os.stat(tmp).st_ino)
    out.write('postfix %s %s\n' % (qid, hashlib.sha256(data).hexdigest()))
    out.flush()
    os.rename(tmp, os.path.join(deferred, qid[0], qid))


def cmd_plant(derived, deferred, n_pf, corrupt_dir, input_dir, n_ex,
              interval, manifest):
    """
    plant DERIVED DEFERRED N_PF CORRUPT_DIR INPUT_DIR N_EX INTERVAL MANIFEST
    N_PF Postfix files and N_EX Exim pairs, one every INTERVAL seconds,
    taking turns.
    """
    st = os.stat(deferred)
    later = time.time() + 3600
    n_pf, n_ex = int(n_pf), int(n_ex)
    out = open(manifest, 'a')
    i = j = 0
    while i < n_pf or j < n_ex:
        if i < n_pf and (j >= n_ex or i * n_ex <= j * n_pf):
            plant_postfix(derived, deferred, i, st.st_uid, st.st_gid, later,
                          out)
            i += 1
        else:
            plant_exim(corrupt_dir, input_dir, j, out)
            j += 1
        time.sleep(float(interval))
    out.close()


def plant_exim(corrupt_dir, input_dir, i, out):
    """One corrupt pair under a fresh id, -D first, then -H."""
    names = sorted(f[:-2] for f in os.listdir(corrupt_dir)
                   if f.endswith('-H') and
                   os.path.exists(os.path.join(corrupt_dir, f[:-2] + '-D')))
    # a pair both files of which are damaged on purpose; K1 is valid
    names = [n for n in names if not n.endswith('-K1')]
    st = os.stat(input_dir)
    base = names[i % len(names)]
    h = open(os.path.join(corrupt_dir, base + '-H'), 'rb').read()
    d = open(os.path.join(corrupt_dir, base + '-D'), 'rb').read()
    # the first six characters are the time, as in Exim's own ids: Exim
    # dates a -H it cannot read by them (keep_malformed, 4 days)
    nid = '%s-Soak%s-%s' % (b62(int(time.time()), 6), b62(i // 62, 2),
                            b62(i % 62, 2))
    h = h.replace(base.encode(), nid.encode())
    # received now, for the same reason; the fixtures are older
    lines = h.split(b'\n')
    if len(lines) > 4 and re.match(rb'^[0-9]+ [0-9]+$', lines[3]):
        lines[3] = b'%d 0' % int(time.time())
        h = b'\n'.join(lines)
    if d.startswith(base.encode() + b'-D\n'):
        d = nid.encode() + d[len(base):]
    for suffix, data in (('-D', d), ('-H', h)):
        tmp = os.path.join(input_dir, '.plant' + suffix)
        with open(tmp, 'wb') as f:
            f.write(data)
        os.chown(tmp, st.st_uid, st.st_gid)
        os.chmod(tmp, 0o640)
        os.rename(tmp, os.path.join(input_dir, nid + suffix))
    out.write('exim %s %s %s\n' % (nid, hashlib.sha256(h).hexdigest(),
                                   hashlib.sha256(d).hexdigest()))
    out.flush()


TOKEN = re.compile(rb'SOAK(?:PF|EX)[A-Za-z]*[0-9]{6}')


def tokens_in(paths):
    """token -> number of files holding it"""
    seen = {}
    for p in paths:
        try:
            data = open(p, 'rb').read()
        except OSError:
            continue
        for t in set(TOKEN.findall(data)):
            t = t.decode()
            seen[t] = seen.get(t, 0) + 1
    return seen


def files_under(*dirs):
    out = []
    for d in dirs:
        for root, _, files in os.walk(d):
            out.extend(os.path.join(root, f) for f in files)
    return out


def unfrozen(data):
    """-H without the "-frozen <time>" line that a freeze inserts"""
    return re.sub(rb'\n-frozen [0-9]+\n', b'\n', data, count=1)


def account(args):
    """
    account MANIFEST_PF MANIFEST_EX PLANTED PFQUEUE PFMAIL EXSPOOL EXMAIL
            EXLOG STORE
    """
    (man_pf, man_ex, planted, pfq, pfmail, exspool, exmail, exlog,
     store) = args
    expected = {}
    for mta, man in (('postfix', man_pf), ('exim', man_ex)):
        for line in open(man):
            token, kind = line.split()
            if token in expected:
                print('FAIL: token %s sent twice' % token)
                return 1
            expected[token] = (mta, kind)

    pf_queue = files_under(*[os.path.join(pfq, q) for q in
                             ('incoming', 'active', 'deferred', 'hold',
                              'maildrop', 'corrupt')])
    ex_input = [p for p in files_under(os.path.join(exspool, 'input'),
                                       os.path.join(exspool, 'Finput'))
                if p.endswith('-H')]
    store_files = files_under(store)
    held = tokens_in([p for p in pf_queue if '/hold/' in p] +
                     [p for p in ex_input
                      if b'\n-frozen ' in open(p, 'rb').read()])
    where = {
        'delivered': tokens_in(files_under(pfmail, exmail)),
        'queued': tokens_in(pf_queue + ex_input),
        'quarantined': tokens_in(store_files),
    }
    rows = {}
    problems = []
    for token, (mta, kind) in sorted(expected.items()):
        counts = {w: where[w].get(token, 0) for w in where}
        places = [w for w in counts if counts[w] > 0]
        r = rows.setdefault(mta, {'sent': 0, 'deliver': 0, 'defer': 0,
                                  'delivered': 0, 'queued': 0,
                                  'quarantined': 0, 'lost': 0,
                                  'duplicated': 0})
        r['sent'] += 1
        r[kind] += 1
        if not places:
            r['lost'] += 1
            problems.append('%s (%s, %s) is nowhere: LOST' % (token, mta,
                                                              kind))
            continue
        if len(places) > 1 or counts[places[0]] > 1:
            r['duplicated'] += 1
            problems.append('%s is in %s' % (token, counts))
        for w in places:
            r[w] += 1
        if 'quarantined' in places:
            problems.append('%s, a good message, was quarantined' % token)
        if token in held:
            problems.append('%s, a good message, was held' % token)
        if kind == 'defer' and 'delivered' in places:
            problems.append('%s was meant to be deferred' % token)

    # planted corrupt messages, by queue id
    exlog_text = ''
    try:
        exlog_text = open(os.path.join(exlog, 'mainlog'),
                          errors='replace').read()
    except OSError:
        pass
    crows = {}
    for line in open(planted):
        f = line.split()
        mta, qid = f[0], f[1]
        c = crows.setdefault(mta, {'planted': 0, 'quarantined': 0,
                                   'held': 0, 'queued': 0,
                                   'delivered': 0, 'lost': 0})
        c['planted'] += 1
        stored = [p for p in store_files
                  if os.path.basename(p) in (qid, qid + '-H', qid + '-D')]
        if mta == 'postfix':
            inq = [p for p in pf_queue if os.path.basename(p) == qid]
            if stored and inq:
                problems.append('postfix %s is in the store and queued'
                                % qid)
            if stored:
                c['quarantined'] += 1
                if len(stored) != 1 or sha(stored[0]) != f[2]:
                    problems.append('postfix %s: stored bytes differ from '
                                    'the planted ones' % qid)
            elif inq:
                if '/hold/' in inq[0]:
                    c['held'] += 1
                else:
                    c['queued'] += 1
                if sha(inq[0]) != f[2]:
                    problems.append('postfix %s changed in the queue' % qid)
            else:
                c['lost'] += 1
                problems.append('postfix %s (planted) is nowhere: LOST' % qid)
            continue
        hpath = [p for p in ex_input if os.path.basename(p) == qid + '-H']
        if stored and hpath:
            problems.append('exim %s is in the store and queued' % qid)
        if stored:
            c['quarantined'] += 1
            byname = {os.path.basename(p): p for p in stored}
            # the msglog goes along when Exim has written one
            if not {qid + '-H', qid + '-D'} <= set(byname) or \
                    not set(byname) <= {qid + '-H', qid + '-D', qid}:
                problems.append('exim %s: the store holds %s' %
                                (qid, sorted(byname)))
            elif (hashlib.sha256(unfrozen(open(byname[qid + '-H'], 'rb')
                                          .read())).hexdigest() != f[2] or
                  sha(byname[qid + '-D']) != f[3]):
                problems.append('exim %s: stored bytes differ from the '
                                'planted ones' % qid)
        elif hpath:
            data = open(hpath[0], 'rb').read()
            if b'\n-frozen ' in data:
                c['held'] += 1
            else:
                c['queued'] += 1
        elif re.search(r'\b%s Completed' % re.escape(qid), exlog_text):
            c['delivered'] += 1  # Exim took it before any scan did
        else:
            c['lost'] += 1
            problems.append('exim %s (planted) is nowhere: LOST' % qid)

    # store entries: each one a planted message
    planted_ids = {l.split()[1] for l in open(planted)}
    for p in store_files:
        if '/files/' not in p:
            continue
        name = os.path.basename(p)
        qid = name[:-2] if name[-2:] in ('-H', '-D') else name
        if qid not in planted_ids:
            problems.append('the store holds %s, which was not planted' % p)

    print('')
    print('%-8s %6s %8s %6s %10s %7s %12s %5s %11s' %
          ('MTA', 'sent', 'to-box', 'defer', 'delivered', 'queued',
           'quarantined', 'lost', 'duplicated'))
    for mta in ('postfix', 'exim'):
        r = rows.get(mta)
        if r is None:
            continue
        print('%-8s %6d %8d %6d %10d %7d %12d %5d %11d' %
              (mta, r['sent'], r['deliver'], r['defer'], r['delivered'],
               r['queued'], r['quarantined'], r['lost'], r['duplicated']))
    print('')
    print('%-8s %8s %12s %5s %7s %10s %5s' %
          ('planted', 'corrupt', 'quarantined', 'held', 'queued',
           'delivered', 'lost'))
    for mta in ('postfix', 'exim'):
        c = crows.get(mta)
        if c is None:
            continue
        print('%-8s %8d %12d %5d %7d %10d %5d' %
              (mta, c['planted'], c['quarantined'], c['held'], c['queued'],
               c['delivered'], c['lost']))
    print('')
    undelivered = [t for t, (m, k) in expected.items()
                   if k == 'deliver' and where['delivered'].get(t, 0) == 0]
    for t in undelivered[:20]:
        problems.append('%s (%s) was not delivered' % (t, expected[t][0]))
    if problems:
        for p in problems[:50]:
            print('FAIL: %s' % p)
        if len(problems) > 50:
            print('FAIL: ... and %d more' % (len(problems) - 50))
        return 1
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'smtp':
        cmd_smtp(*args)
    elif cmd == 'slow-smtp':
        cmd_slow_smtp(*args)
    elif cmd == 'plant':
        cmd_plant(*args)
    elif cmd == 'account':
        sys.exit(account(args))
    else:
        sys.exit('soak.py: unknown command %s' % cmd)


if __name__ == '__main__':
    main()
