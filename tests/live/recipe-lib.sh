# SPDX-License-Identifier: GPL-2.0-or-later
# recipe-lib.sh - what the recipe tests share (sourced by
# tests/live/recipe-*.sh): skipping, a free loopback port, the inputs,
# one SMTP transaction, waiting for a line.  Needs $W (the test's work
# directory) and $here (tests/live).

skip() {
	echo "SKIP: $*"
	exit 77
}
# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
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
