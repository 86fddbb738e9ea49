#!/bin/bash
# Pure cores stay free of Kamailio: fails when a core file includes a Kamailio header.
# Glue is told from core by name, the rule the top-level Makefile's core_srcs follows:
#   modules/<m>/<m>_mod.c, modules/<m>/kamailio_*.c, modules/<m>/kamailio_*.h and
#   include/presec/kamailio_*.h are glue; every other .c/.h under modules/, include/presec/
#   and tools/ is core (unit-tested, fuzzed, linked into the tools without Kamailio).
# Usage: scripts/check-cores.sh [file ...] (default: every core file)
set -uo pipefail
cd "$(dirname "$0")/.."
is_glue() {
	local f=$1 dir base
	dir=$(dirname "$f")
	base=$(basename "$f")
	case "$base" in
	kamailio_*.c | kamailio_*.h) return 0 ;;
	esac
	[ "$dir" = "modules/$(basename "$dir")" ] && [ "$base" = "$(basename "$dir")_mod.c" ]
}
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(modules/*/*.[ch] include/presec/*.h tools/*/*.[ch])
# Kamailio's tree (core/, parser/, modules/, lib/ paths and its top-level headers) and the
# glue headers (ours and Kamailio's kamailio_*)
kam='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]((\.\./)*(core|parser|modules|lib|mem)/|(\.\./)*(sr_module|dprint|str|ut|pvar|mod_fix|locking|counters|kemi|route|error|config|globals|timer|timer_proc|rpc|rpc_lookup|data_lump|data_lump_rpl|dset|ip_addr|action|select|usr_avp|hashes|pt|cfg_core|atomic_ops|lock_ops|shm_init|events|fmsg|receive)\.h|([^">]*/)?kamailio_[^">]*\.h)'
bad=0 n=0
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	is_glue "$f" && continue
	n=$((n + 1))
	if hits=$(grep -nE "$kam" "$f"); then
		while IFS= read -r h; do echo "$f:$h: a core includes a Kamailio header (glue belongs in *_mod.c or kamailio_*.c)"; done <<<"$hits"
		bad=1
	fi
done
[ $bad = 0 ] && echo "check-cores: $n core files include no Kamailio header"
exit $bad
