#!/bin/bash
# Measures two limits of the git-distributed agent on this machine:
#  - from `git push` to N local agents converged (limit: 50 agents, < 10 s);
#    the push returns when the post-receive hook (gapply hook post-receive
#    --wait) has seen every node apply the pushed commit;
#  - the resident memory of an idle agent daemon (limit: < 30 MB).
# Usage: bench/agent_fanout.sh [N]   (default 50). Everything lives in a
# temporary directory; the agents listen on 127.0.0.1 only.
set -euo pipefail
N=${1:-50}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/gapply" ./cmd/gapply
G="$tmp/gapply"
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp"
git config --global user.name bench
git config --global user.email bench@example.com

git init -q --bare -b production "$tmp/site.git"
git init -q -b production "$tmp/work"
mkdir -p "$tmp/work/manifests"
printf 'file { "${facts[target_root]}/motd": content => "v1\\n" }\n' > "$tmp/work/manifests/site.pp"
git -C "$tmp/work" add -A
git -C "$tmp/work" commit -qm v1
git -C "$tmp/work" push -q "$tmp/site.git" production
head -c 32 /dev/urandom | base64 > "$tmp/secret"

printf 'secret_file = "%s"\nconcurrency = %d\ntimeout = "60s"\n' "$tmp/secret" "$N" > "$tmp/inventory.hcl"
for i in $(seq 1 "$N"); do
	d="$tmp/node$i"
	mkdir -p "$d/root"
	cat > "$d/gapply.hcl" <<HCL
vardir         = "$d/var"
certname       = "node$i"
external_facts = []
schedule       = "@every 1h"
splay          = "0s"
repository {
  url = "file://$tmp/site.git"
}
trigger {
  listen      = "127.0.0.1:0"
  secret_file = "$tmp/secret"
  rate_limit  = 600
}
HCL
	FACTER_target_root="$d/root" "$G" agent --config "$d/gapply.hcl" --log-format logfmt >"$d/log" 2>&1 &
	pids+=($!)
done
for i in $(seq 1 "$N"); do
	f="$tmp/node$i/var/trigger.addr"
	for _ in $(seq 1 500); do [ -s "$f" ] && break; sleep 0.02; done
	printf 'node "node%d" {\n  url = "http://%s"\n}\n' "$i" "$(cat "$f")" >> "$tmp/inventory.hcl"
done
printf '#!/bin/sh\nexec %s hook post-receive --inventory %s --wait\n' "$G" "$tmp/inventory.hcl" > "$tmp/site.git/hooks/post-receive"
chmod +x "$tmp/site.git/hooks/post-receive"

# First push: every agent's first sync (clone).
sed -i 's/v1/v2/' "$tmp/work/manifests/site.pp"
git -C "$tmp/work" commit -qam v2
start=$(date +%s.%N)
git -C "$tmp/work" push -q "$tmp/site.git" production 2>"$tmp/push1.out"
first=$(echo "$(date +%s.%N) - $start" | bc)
# Second push: incremental syncs.
sed -i 's/v2/v3/' "$tmp/work/manifests/site.pp"
git -C "$tmp/work" commit -qam v3
start=$(date +%s.%N)
git -C "$tmp/work" push -q "$tmp/site.git" production 2>"$tmp/push2.out"
second=$(echo "$(date +%s.%N) - $start" | bc)
converged=$(grep -c ' converged ' "$tmp/push2.out" || true)
ok=0
for i in $(seq 1 "$N"); do [ "$(cat "$tmp/node$i/root/motd" 2>/dev/null)" = v3 ] && ok=$((ok + 1)); done
printf 'agents=%d first push (clone) %.2fs; second push %.2fs; hook says %d converged; %d targets hold v3 (limit: 50 agents < 10s)\n' \
	"$N" "$first" "$second" "$converged" "$ok"

sleep 3 # idle
max=0 sum=0
for p in "${pids[@]}"; do
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
	sum=$((sum + rss)); [ "$rss" -gt "$max" ] && max=$rss
done
printf 'idle daemon RSS: max %d kB, mean %d kB (limit 30 MB)\n' "$max" $((sum / ${#pids[@]}))
