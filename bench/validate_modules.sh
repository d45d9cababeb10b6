#!/usr/bin/env bash
# validate_modules.sh MODULEPATH [GAPPLY]
#
# Runs `gapply validate -v --modulepath MODULEPATH FILE...` over every
# manifests/**/*.pp and examples/**/*.pp of every module in MODULEPATH (the
# public modules of issue 9 installed side by side: apache, mysql, stdlib,
# ...). validate checks each file on its own, as `puppet parser validate`
# does, so one process validates them all; PER_PROCESS=1 starts one process
# per file instead, as a CI that validates changed files one by one would.
# Prints each failure's diagnostics, then the pass/fail counts and the
# total wall time. Exit status: 0 when every file passed, 1 otherwise.
#
# The modules are third-party code and are not in this repository: see the
# "Modules" section of README.md for how to obtain them.
set -u
modpath=${1:?usage: validate_modules.sh MODULEPATH [GAPPLY]}
gapply=${2:-gapply}
command -v "$gapply" >/dev/null 2>&1 || { echo "no gapply binary: $gapply" >&2; exit 2; }

files=()
while IFS= read -r -d '' f; do
	files+=("$f")
done < <(find "$modpath"/*/manifests "$modpath"/*/examples -name '*.pp' -type f -print0 2>/dev/null | sort -z)
[ "${#files[@]}" -gt 0 ] || { echo "no manifests/ or examples/ files under $modpath" >&2; exit 2; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s%N)
if [ "${PER_PROCESS:-0}" = 1 ]; then
	for f in "${files[@]}"; do
		"$gapply" validate -v --modulepath "$modpath" "$f" >>"$out" 2>&1
	done
else
	"$gapply" validate -v --modulepath "$modpath" "${files[@]}" >"$out" 2>&1
fi
end=$(date +%s%N)
pass=$(grep -c ': valid$' "$out")
grep -v ': valid$' "$out"
printf '%d passed, %d failed\n' "$pass" "$((${#files[@]} - pass))"
awk -v ns="$((end - start))" 'BEGIN { printf "wall time: %.3f s\n", ns / 1e9 }'
[ "$pass" -eq "${#files[@]}" ]
