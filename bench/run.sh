#!/usr/bin/env bash
# bench/run.sh: gapply against puppet apply and the physical limit, on the
# manifests of bench/gen. For each N it measures, REPS times and pair by
# pair, gapply's first run (an empty tree), its no-op run (a second run
# that changes nothing), their peak memory, the physical-limit program on
# the same files, and, when puppet is installed, the same two runs of
# `puppet apply` with a private vardir/confdir/codedir. It prints medians
# and ratios, then --parallel 1 against --parallel 2 on independent
# sleeping execs.
#
#   bench/run.sh                           # N="100 1000 10000" REPS=3
#   N="100 1000" REPS=5 bench/run.sh
#   PUPPET=no bench/run.sh                 # gapply and physlimit only
#   KEEP=1 WORK=/tmp/bench bench/run.sh    # keep manifests, trees and logs
#
# Environment: N (sizes), REPS (repetitions, the median is printed),
# PUPPET (auto|no), EXECS (sleeping execs of the parallel test, 0 skips
# it), WORK (work directory, a fresh temporary one by default), KEEP (1
# keeps WORK). Puppet at N=10000 takes 35 to 90 seconds a run.
set -euo pipefail

N=${N:-"100 1000 10000"}
REPS=${REPS:-3}
PUPPET=${PUPPET:-auto}
EXECS=${EXECS:-40}
KEEP=${KEEP:-0}
WORK=${WORK:-$(mktemp -d /tmp/gapply-bench.XXXXXX)}
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
	echo "bench: /usr/bin/time is needed for peak memory: apt-get install -y time" >&2
	exit 1
fi
case "$PUPPET" in
auto) if command -v puppet >/dev/null; then PUPPET=yes; else PUPPET=no; fi ;;
yes) command -v puppet >/dev/null || { echo "bench: PUPPET=yes needs puppet: apt-get install -y puppet" >&2; exit 1; } ;;
no) ;;
*) echo "bench: PUPPET must be auto, yes or no" >&2; exit 1 ;;
esac
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin" "$WORK/results" "$WORK/retired"
go build -o "$WORK/bin/gapply" ./cmd/gapply
go build -o "$WORK/bin/gen" ./bench/gen
go build -o "$WORK/bin/physlimit" ./bench/physlimit

# retire PATH...: moves the trees of the last run out of the way instead of
# deleting them. An ext4 filesystem without a journal (this VM's root is
# one) will not hand out an inode freed in the last minute or more, and
# its allocator checks each free candidate of the group against the inode
# table on every create (recently_deleted()): right after an rm -rf of
# 10,000 files, each file the next run creates cost ~0.5 ms more, which
# no real first run pays. Both tools are measured on a filesystem with no
# fresh deletions of the benchmark's own; the retired trees are deleted
# when the benchmark ends.
retire() {
	local p
	for p in "$@"; do
		[ -e "$p" ] && mv "$p" "$(mktemp -d "$WORK/retired/XXXXXX")/"
	done
	return 0
}

# measure RESULT WANT CMD...: runs CMD, which must exit with WANT, and
# appends "milliseconds max-rss-kB" to the file RESULT.
measure() {
	local result=$1 want=$2 rc=0
	shift 2
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$WORK/last.log" 2>&1 || rc=$?
	t1=$(date +%s%N)
	if [ "$rc" != "$want" ]; then
		echo "bench: exit status $rc instead of $want from: $*" >&2
		tail -20 "$WORK/last.log" >&2
		exit 1
	fi
	echo "$(((t1 - t0) / 1000000)) $(tail -1 "$WORK/rss")" >>"$result"
}

# median FILE COLUMN: the median of one column of a result file.
median() {
	awk -v c="$2" '{print $c}' "$1" | sort -n | awk '{v[NR]=$1} END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'
}

# ratio A B: A/B with one decimal, "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.1f", a / b }'
}

secs() { awk -v ms="$1" 'BEGIN { if (ms == "-") print "-"; else printf "%.3f", ms / 1000 }'; }
mb() { awk -v kb="$1" 'BEGIN { if (kb == "-") print "-"; else printf "%.0f", kb / 1024 }'; }

# puppet_args DIR: the arguments of puppet apply for the manifest in DIR,
# with private state so nothing global changes.
puppet_args() {
	echo apply --detailed-exitcodes --color=false --vardir "$1/puppet/var" \
		--confdir "$1/puppet/conf" --codedir "$1/puppet/code" \
		--basemodulepath "$1/puppet/code/modules" "$1/site.pp"
}

for n in $N; do
	dir=$WORK/n$n
	res=$WORK/results/n$n
	mkdir -p "$res"
	"$WORK/bin/gen" -n "$n" -o "$dir"
	for rep in $(seq "$REPS"); do
		echo "bench: N=$n repetition $rep/$REPS" >&2
		retire "$dir/root" "$dir/var"
		measure "$res/gapply-first" 2 "$WORK/bin/gapply" apply --detailed-exitcodes --vardir "$dir/var" "$dir/site.pp"
		measure "$res/gapply-noop" 0 "$WORK/bin/gapply" apply --detailed-exitcodes --vardir "$dir/var" "$dir/site.pp"
		measure "$res/physlimit" 0 "$WORK/bin/physlimit" "$dir/files.txt"
		if [ "$PUPPET" = yes ]; then
			retire "$dir/root" "$dir/puppet"
			# shellcheck disable=SC2046 # WORK has no spaces (mktemp)
			measure "$res/puppet-first" 2 puppet $(puppet_args "$dir")
			# shellcheck disable=SC2046
			measure "$res/puppet-noop" 0 puppet $(puppet_args "$dir")
		fi
	done
	retire "$dir/root" "$dir/var" "$dir/puppet"
done

printf '\nMedians of %s repetitions (seconds, peak RSS in MB); ratios are puppet/gapply and gapply/physlimit.\n' "$REPS"
printf '%-7s %-10s %9s %7s %9s %7s %8s %11s\n' N run gapply MB puppet MB speedup vs-physlim
for n in $N; do
	res=$WORK/results/n$n
	phys=$(median "$res/physlimit" 1)
	for run in first noop; do
		g=$(median "$res/gapply-$run" 1)
		gm=$(median "$res/gapply-$run" 2)
		p=-
		pm=-
		if [ -s "$res/puppet-$run" ]; then
			p=$(median "$res/puppet-$run" 1)
			pm=$(median "$res/puppet-$run" 2)
		fi
		vs=-
		[ "$run" = noop ] && vs=$(ratio "$g" "$phys")
		printf '%-7s %-10s %9s %7s %9s %7s %8s %11s\n' "$n" "$run" "$(secs "$g")" "$(mb "$gm")" \
			"$(secs "$p")" "$(mb "$pm")" "$(ratio "$p" "$g")" "$vs"
	done
	printf '%-7s %-10s %9s %7s\n' "$n" physlimit "$(secs "$phys")" "$(mb "$(median "$res/physlimit" 2)")"
done

if [ "$EXECS" -gt 0 ]; then
	dir=$WORK/parallel
	res=$WORK/results/parallel
	mkdir -p "$res"
	"$WORK/bin/gen" -execs "$EXECS" -sleep 0.05 -o "$dir"
	for rep in $(seq "$REPS"); do
		for par in 1 2; do
			retire "$dir/root" "$dir/var"
			measure "$res/p$par" 2 "$WORK/bin/gapply" apply --detailed-exitcodes --parallel "$par" --vardir "$dir/var" "$dir/site.pp"
		done
	done
	p1=$(median "$res/p1" 1)
	p2=$(median "$res/p2" 1)
	printf '\n%s independent execs sleeping 50 ms: --parallel 1 %ss, --parallel 2 %ss, speedup %s\n' \
		"$EXECS" "$(secs "$p1")" "$(secs "$p2")" "$(ratio "$p1" "$p2")"
fi
rm -rf "$WORK/retired"
[ "$KEEP" = 1 ] && echo "bench: results kept in $WORK" >&2
exit 0
