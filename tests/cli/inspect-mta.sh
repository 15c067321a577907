#!/bin/sh
# inspect and check on one file of an MTA's queue read it in that MTA's
# format (Postfix queue file, Exim -H/-D pair, Sendmail qf/df pair), not
# as a plain message: the format is shown, a damaged file gets its
# container.* findings (check exits 65) and a good one is clean (0).
. "$(dirname "$0")/lib.sh"

t="$SPOOLGUARD_TESTDATA/spool"
cp -R "$t/postfix" "$t/exim" "$t/sendmail" "$work/"

# Postfix: a queue root has incoming/ and active/ too (empty in git).
pf="$work/postfix"
mkdir -p "$pf/incoming" "$pf/active"
set -- "$pf"/deferred/*
good=$1
[ -f "$good" ] || fail "no deferred fixture in $pf"
mkdir "$pf/deferred/7"
expect_rc 0 sg inspect "$good"
assert_grep 'format  *postfix' "$work/out"
assert_grep 'queue  *deferred' "$work/out"
expect_rc 0 sg check "$good"
assert_grep 'clean' "$work/out"
# A damaged file in the hashed deferred/7/ gets its container finding ...
cp "$pf/derived/BADtype" "$pf/deferred/7/7C985A7678A"
expect_rc 65 sg check "$pf/deferred/7/7C985A7678A"
assert_grep 'container.unknown-record' "$work/out"
expect_rc 0 sg inspect "$pf/deferred/7/7C985A7678A"
assert_grep 'format  *postfix' "$work/out"
# ... while the same bytes outside a queue are a plain file.
expect_rc 0 sg inspect "$pf/derived/BADtype"
assert_grep 'format  *plain' "$work/out"
assert_no_grep 'container.unknown-record' "$work/out"

# Exim: either file of the pair names the message; -H, -D and msglog.
ex="$work/exim"
id=1xUyrX-0002id-2I
expect_rc 0 sg inspect "$ex/input/$id-H"
assert_grep 'format  *exim, 3 files' "$work/out"
assert_grep "$id-D (D," "$work/out"
assert_grep "msglog/$id (msglog," "$work/out"
expect_rc 0 sg check "$ex/input/$id-D"
assert_grep "$id: clean" "$work/out"
expect_rc 65 sg check "$ex/corrupt/input/1xUyrX-0002id-L1-H"
assert_grep 'container.header-length-mismatch' "$work/out"
expect_rc 65 sg check "$ex/corrupt/input/1xUyrX-0002id-O1-H"
assert_grep 'container.orphan-file' "$work/out"
# split_spool_directory: input/<6th character of the id>/
mkdir "$ex/input/X"
mv "$ex/input/$id-H" "$ex/input/$id-D" "$ex/input/X/"
expect_rc 0 sg inspect "$ex/input/X/$id-D"
assert_grep 'format  *exim, 3 files' "$work/out"
expect_rc 0 sg check "$ex/input/X/$id-H"

# Sendmail: qf and df, flat or split into qf/ df/.
sm="$work/sendmail"
id=6AM3pYXX009348
expect_rc 0 sg inspect "$sm/mqueue/qf$id"
assert_grep 'format  *sendmail, 2 files' "$work/out"
expect_rc 0 sg check "$sm/mqueue/df$id"
assert_grep "$id: clean" "$work/out"
expect_rc 65 sg check "$sm/corrupt/mqueue/qf6AM3pYO60093M1"
assert_grep 'container.missing-end' "$work/out"
mkdir -p "$sm/split/qf" "$sm/split/df"
cp "$sm/mqueue/qf$id" "$sm/split/qf/"
cp "$sm/mqueue/df$id" "$sm/split/df/"
expect_rc 0 sg inspect "$sm/split/df/df$id"
assert_grep 'format  *sendmail, 2 files' "$work/out"
expect_rc 0 sg check "$sm/split/qf/qf$id"
