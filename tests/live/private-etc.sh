# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# private-etc.sh - a live test's own /etc (sourced by tests/live/*.sh).
#
# The live tests start Postfixes and Exims side by side (make -j check).
# A Postfix and its setgid postdrop consult /etc/postfix, and making a
# private Postfix adds its users and groups to /etc/passwd and /etc/group:
# whatever one test writes there another one may read, or lock, at the
# same instant.  So each test runs in a mount namespace of its own in
# which /etc is an overlay whose upper layer is a temporary directory:
# what the test and its MTAs write to /etc nobody else sees, and what
# another test writes meanwhile does not reach it.
#
# private_etc SHELL SCRIPT ARG...: unless already inside one, re-runs
# SCRIPT with SHELL in a new mount namespace (unshare -m) with /etc
# overlaid, and exits with its status.  Where the kernel refuses the
# namespace or the overlay, the test runs on with the real /etc and
# SG_PRIVATE_ETC=shared.  Call it after the checks that skip the test
# (a namespace needs root).
private_etc() {
	pe_shell=$1
	shift
	[ -z "${SG_PRIVATE_ETC:-}" ] || return 0
	if ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
		SG_PRIVATE_ETC=shared
		export SG_PRIVATE_ETC
		return 0
	fi
	pe_dir=$(mktemp -d "${TMPDIR:-/tmp}/sg-etc.XXXXXX") || exit 99
	mkdir "$pe_dir/up" "$pe_dir/work"
	# shellcheck disable=SC2016 # expanded by the inner sh
	SG_PRIVATE_ETC=$pe_dir SG_PE_SHELL=$pe_shell \
		unshare -m --propagation private sh -c '
		if mount -t overlay overlay -o "lowerdir=/etc,upperdir=$SG_PRIVATE_ETC/up,workdir=$SG_PRIVATE_ETC/work" /etc; then
			echo "private /etc: an overlay in a mount namespace of its own"
		else
			SG_PRIVATE_ETC=shared
		fi
		export SG_PRIVATE_ETC
		exec "$SG_PE_SHELL" "$@"' sh "$@"
	pe_rc=$?
	rm -rf "$pe_dir"
	exit $pe_rc
}
