#!/usr/bin/env bash
# compare_catalogs.sh MODULEPATH [MANIFEST...]
#
# For each usage manifest of bench/modules_compat (or the ones named),
# compiles the catalog with Puppet 7 and with gapply, for the same node name
# and the same facts, and prints what differs after normalising both
# (bench/catdiff: resources by type and title with their parameters, the
# ordering and refresh relations they imply; tags, file, line, exported and
# version ignored).
#
# Puppet's catalog: `puppet apply --noop` with a private vardir, confdir and
# codedir under WORK, caching the catalog it compiled as JSON
# (WORK/var/client_data/catalog/CERTNAME.json). --noop checks the resources
# but changes nothing on the machine. gapply's: `gapply compile`, which
# never changes anything. Facts: Puppet's own (`puppet facts show`, once),
# handed to gapply as an external facts file, so both see the same values.
#
# Environment: GAPPLY (binary, default: built from this tree), PUPPET
# (default puppet), CERTNAME (default compat.example.test), WORK (kept
# between runs: Puppet's catalogs are cached there and recompiled only when
# the manifest is newer; default /tmp/gapply-compare).
# Prints one summary line per manifest; exit status 0 when all agree.
set -u
here=$(cd "$(dirname "$0")" && pwd)
modpath=${1:?usage: compare_catalogs.sh MODULEPATH [MANIFEST...]}
shift
manifests=("$@")
[ "${#manifests[@]}" -gt 0 ] || manifests=("$here"/modules_compat/*.pp)
puppet=${PUPPET:-puppet}
certname=${CERTNAME:-compat.example.test}
work=${WORK:-/tmp/gapply-compare}
mkdir -p "$work/bin" "$work/facts.d" "$work/out"

if [ -z "${GAPPLY:-}" ]; then
	(cd "$here/.." && go build -o "$work/bin/gapply" ./cmd/gapply) || exit 2
	GAPPLY=$work/bin/gapply
fi
(cd "$here/.." && go build -o "$work/bin/catdiff" ./bench/catdiff) || exit 2

pdirs=(--vardir "$work/var" --confdir "$work/conf" --codedir "$work/code")
if [ ! -s "$work/facts.d/puppet.json" ]; then
	"$puppet" facts show "${pdirs[@]}" --render-as json >"$work/facts.d/puppet.json" 2>"$work/facts.err" ||
		{ cat "$work/facts.err" >&2; exit 2; }
fi

fail=0
for m in "${manifests[@]}"; do
	name=$(basename "$m" .pp)
	pjson=$work/out/$name.puppet.json
	gjson=$work/out/$name.gapply.json
	if [ ! -s "$pjson" ] || [ "$m" -nt "$pjson" ]; then
		rm -f "$work/var/client_data/catalog/$certname.json" "$pjson"
		"$puppet" apply --noop --catalog_cache_terminus json "${pdirs[@]}" \
			--modulepath "$modpath" --certname "$certname" "$m" >"$work/out/$name.puppet.log" 2>&1
		cp "$work/var/client_data/catalog/$certname.json" "$pjson" 2>/dev/null
	fi
	"$GAPPLY" compile --modulepath "$modpath" --certname "$certname" \
		--external-facts "$work/facts.d" "$m" >"$gjson" 2>"$work/out/$name.gapply.log"
	grc=$?
	if [ ! -s "$pjson" ]; then
		echo "== $name: Puppet does not compile it"
		grep -m3 -i 'error' "$work/out/$name.puppet.log"
		[ "$grc" -ne 0 ] && echo "   gapply does not either" || echo "   gapply compiles it"
		# A usage manifest Puppet cannot compile compares nothing.
		fail=1
		continue
	fi
	if [ "$grc" -ne 0 ]; then
		echo "== $name: Puppet compiles it, gapply fails:"
		head -5 "$work/out/$name.gapply.log"
		fail=1
		continue
	fi
	if out=$("$work/bin/catdiff" -modulepath "$modpath" "$pjson" "$gjson"); then
		echo "== $name: $out"
	else
		echo "== $name: catalogs differ"
		echo "$out" | sed 's/^/   /'
		fail=1
	fi
done
exit "$fail"
