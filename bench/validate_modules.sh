#!/usr/bin/env bash
# validate_modules.sh MODULEPATH [GAPPLY]
#
# Runs `gapply validate --modulepath MODULEPATH FILE` over every
# manifests/**/*.pp and examples/**/*.pp of every module in MODULEPATH (the
# public modules of issue 9 installed side by side: apache, mysql, stdlib,
# ...), one process per file as an operator's CI would, and prints each
# failure with its diagnostic, then the pass/fail counts and the total wall
# time. Exit status: 0 when every file passed, 1 otherwise.
#
# The modules are third-party code and are not in this repository: see the
# "Modules" section of README.md for how to obtain them.
set -u
modpath=${1:?usage: validate_modules.sh MODULEPATH [GAPPLY]}
gapply=${2:-gapply}
command -v "$gapply" >/dev/null 2>&1 || { echo "no gapply binary: $gapply" >&2; exit 2; }

pass=0
fail=0
start=$(date +%s.%N)
while IFS= read -r -d '' f; do
	if out=$("$gapply" validate --modulepath "$modpath" "$f" 2>&1); then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		printf 'FAIL %s\n%s\n' "$f" "$out" | head -n 12
	fi
done < <(find "$modpath"/*/manifests "$modpath"/*/examples -name '*.pp' -type f -print0 2>/dev/null | sort -z)
end=$(date +%s.%N)
printf '%d passed, %d failed\n' "$pass" "$fail"
printf 'wall time: %.2f s\n' "$(echo "$end - $start" | bc)"
[ "$fail" -eq 0 ]
