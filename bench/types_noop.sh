#!/usr/bin/env bash
# Issue 5's limit: a no-op run over 200 packages, 50 users and 1,000 files
# finishes in under 1 second, because state is read in bulk (one dpkg-query,
# one read of /etc/passwd, /etc/group and /etc/shadow), not one process per
# resource.
#
#   sudo bench/types_noop.sh            # REPS=5 by default
#
# It creates 50 users named gapply-bench-NN and 1,000 files under a temporary
# directory with a first run, times REPS no-op runs (which must exit 0 with
# --detailed-exitcodes), and removes the users and files at the end. The
# packages are 200 already installed ones, so nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
work=$(mktemp -d /tmp/gapply-bench-types.XXXXXX)
bin="$work/gapply"
go build -o "$bin" ./cmd/gapply

cleanup() {
	"$bin" apply --vardir "$work/var" "$work/absent.pp" >/dev/null 2>&1 || true
	rm -rf "$work"
}
[ -n "${KEEP:-}" ] || trap cleanup EXIT

mapfile -t pkgs < <(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | head -200)
{
	echo "package { ["
	printf "  '%s',\n" "${pkgs[@]}"
	echo "]: ensure => installed }"
	echo "user { [$(for i in $(seq -w 1 50); do printf "'gapply-bench-%s', " "$i"; done)]:"
	echo "  ensure => present, shell => '/usr/sbin/nologin', managehome => false,"
	echo "}"
	echo "file { '$work/files': ensure => directory }"
	echo "\$files = range(1, 1000).map |\$i| { \"$work/files/f\${i}\" }"
	echo "file { \$files: content => \"managed\\n\", mode => '0644' }"
} >"$work/site.pp"
{
	echo "user { [$(for i in $(seq -w 1 50); do printf "'gapply-bench-%s', " "$i"; done)]: ensure => absent }"
} >"$work/absent.pp"

echo "resources: ${#pkgs[@]} packages, 50 users, 1,001 files"
"$bin" apply --vardir "$work/var" "$work/site.pp" | tail -1
times=()
for _ in $(seq "$REPS"); do
	start=$(date +%s.%N)
	if ! "$bin" apply -v --detailed-exitcodes --vardir "$work/var" "$work/site.pp" >"$work/noop.log"; then
		echo "a no-op run changed something or failed:" >&2
		cat "$work/noop.log" >&2
		exit 1
	fi
	end=$(date +%s.%N)
	times+=("$(echo "$end - $start" | bc)")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "no-op run (whole process), median of %d: %.3f s\n", NR, a[int((NR+1)/2)]}'
