# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# recipe-lib.sh - what the recipe tests share beyond live-lib.sh (sourced
# by tests/live/recipe-*.sh after it): waiting for a port, the inputs,
# the common spoolguard copy, one SMTP transaction, waiting for a line.
# Needs $W (the test's work directory) and $here (tests/live).

# wait_port PORT: up to 10 s until something answers there.
wait_port() {
	for _ in $(seq 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
# make_inputs: $W/in/{clean,longhdr,depth150,parts60k,ctconflict}.eml
make_inputs() {
	mkdir -p "$W/in"
	python3 "$here/recipe-inputs.py" "$W/in" && chmod -R a+rX "$W/in"
}
# recipe_setup: contrib, the source tree's contrib/; sg, what the MTA's
# unprivileged users run (the filters, procmail) under $W: SG (spoolguard),
# $sg/rules (from $SPOOLGUARD_RULES_DIR) and $sg/contrib; then the inputs.
recipe_setup() {
	contrib=$(cd "$here/../../contrib" && pwd)
	sg=$W/sg
	SG=$sg/spoolguard
	mkdir -p "$sg"
	cp "$SPOOLGUARD_BIN" "$SG"
	cp -r "$SPOOLGUARD_RULES_DIR" "$sg/rules"
	cp -r "$contrib" "$sg/contrib"
	chmod -R a+rX "$sg"
	make_inputs || fail "cannot make the inputs"
}
# smtp_send PORT FROM RCPT NAME: one transaction with $W/in/NAME; one line.
smtp_send() { python3 "$here/recipe-smtp.py" "$1" "$2" "$3" "$W/in/$4"; }
# wait_for PATTERN PATH...: up to 60 s until PATTERN is in a file there.
wait_for() {
	pat=$1
	shift
	for _ in $(seq 120); do
		grep -rqs -- "$pat" "$@" && return 0
		sleep 0.5
	done
	return 1
}
# longest_line FILE...: the length of the longest line.
longest_line() { cat "$@" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'; }
