#!/bin/sh
# --metrics: the textfile parses under both Prometheus parsers (Debian's
# python3-prometheus-client: the classic text format and OpenMetrics),
# its counters grow across runs (the second run adds to the first),
# per-rule and per-format counts, last-run gauges, the store's entries
# and bytes, and build info.  Skipped (77) where the parsers are missing;
# scripts/setup.sh installs them for `test`.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
	echo "SKIP: no python3-prometheus-client"
	exit 77
fi

make_spool "$work/spool"
prom="$work/spoolguard.prom"
expect_rc 1 sg scan --no-syslog --min-age 0 -n --metrics "$prom" "$work/spool"
cp "$prom" "$work/first.prom"
expect_rc 1 sg scan --no-syslog --min-age 0 -q "$work/store" --metrics "$prom" "$work/spool"
cp "$prom" "$work/second.prom"
# A third run finds the spool clean: the counters stay, the gauges drop.
expect_rc 0 sg scan --no-syslog --min-age 0 -q "$work/store" --metrics "$prom" "$work/spool"
[ "$(stat -c %a "$prom")" = 644 ] || fail "metrics file not 0644"

"$py" - "$work/first.prom" "$work/second.prom" "$prom" <<'EOF' || fail "metrics: see above"
import sys
from prometheus_client.parser import text_string_to_metric_families as classic
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics

def samples(path):
    text = open(path).read()
    # Both parsers take the whole file; they must agree on every sample.
    a = {(s.name, tuple(sorted(s.labels.items()))): s.value
         for f in classic(text) for s in f.samples}
    fams = list(openmetrics(text))
    b = {(s.name, tuple(sorted(s.labels.items()))): s.value
         for f in fams for s in f.samples}
    assert a == b, (path, set(a.items()) ^ set(b.items()))
    types = {f.name: f.type for f in fams}
    # The classic parser: gauges typed as gauges.  Counters cannot be
    # typed under both (classic wants "# TYPE x_total counter", which
    # OpenMetrics rejects as a clashing name); it reads their samples,
    # with the same values, as untyped.
    ctypes = {}
    for f in classic(text):
        ctypes.setdefault(f.name, set()).add(f.type)
    for name, t in types.items():
        if t == "gauge":
            assert ctypes.get(name) == {"gauge"}, (name, ctypes.get(name))
        else:
            assert ctypes.get(name + "_total") == {"unknown"}, (name, ctypes)
    return b, types

def get(s, name, **labels):
    return s[(name, tuple(sorted(labels.items())))]

one, types = samples(sys.argv[1])
two, _ = samples(sys.argv[2])
three, _ = samples(sys.argv[3])
assert types["spoolguard_messages_examined"] == "counter", types
assert types["spoolguard_rule_messages"] == "counter", types
assert types["spoolguard_last_run_messages"] == "gauge", types
assert types["spoolguard_build_info"] == "gauge", types
# The demo spool: 7 messages, 3 of them must go.
assert get(one, "spoolguard_runs_total") == 1
assert get(one, "spoolguard_messages_examined_total") == 7, one
assert get(one, "spoolguard_messages_quarantined_total") == 3
# Counters carry over and grow; last-run gauges are each run's own.
assert get(two, "spoolguard_runs_total") == 2
assert get(two, "spoolguard_messages_examined_total") == 14
assert get(three, "spoolguard_messages_examined_total") == 18
assert get(three, "spoolguard_messages_quarantined_total") == 6
assert get(three, "spoolguard_last_run_messages", outcome="examined") == 4
assert get(three, "spoolguard_last_run_messages", outcome="quarantined") == 0
assert get(three, "spoolguard_last_run_exit_status") == 0
assert get(two, "spoolguard_last_run_exit_status") == 1
for s in (one, two, three):
    for k, v in s.items():
        if k[0].endswith("_total"):
            assert v >= 0
for k, v in one.items():
    if k[0].endswith("_total"):
        assert three[k] >= v, (k, v, three[k])
# Per rule and per format.
assert get(three, "spoolguard_rule_messages_total", rule="header.nul",
           severity="quarantine") == 2 * get(one, "spoolguard_rule_messages_total",
                                             rule="header.nul", severity="quarantine")
assert get(two, "spoolguard_format_messages_total", format="maildir",
           verdict="quarantine") == 2
assert get(one, "spoolguard_format_messages_total", format="plain",
           verdict="clean") >= 1
# The store: absent on a dry run without one, then its real size.
assert ("spoolguard_quarantine_entries", ()) not in one
assert get(two, "spoolguard_quarantine_entries") == 3
assert get(two, "spoolguard_quarantine_bytes") > 0
build = [k for k in two if k[0] == "spoolguard_build_info"]
assert len(build) == 1 and dict(build[0][1])["version"], build
EOF
# The entries and bytes are the store's.
n=$(find "$work/store" -name report.json | wc -l)
grep -q "^spoolguard_quarantine_entries $n\$" "$prom" || fail "entries gauge is not $n"
bytes=$(find "$work/store" -path '*/files/*' -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
grep -q "^spoolguard_quarantine_bytes $bytes\$" "$prom" || fail "bytes gauge is not $bytes"
tail -n 1 "$prom" | grep -q '^# EOF$' || fail "no # EOF at the end"
