#!/bin/bash
# Kamailio's clean targets never remove a source file: runs `make clean` and `make proper` in
# every module (or the ones named) and fails when git sees a tracked file deleted afterwards.
# Usage: scripts/check-clean.sh COREPATH [module ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corepath=${1:?usage: check-clean.sh COREPATH [module ...]}
shift
cd "$root"
mods=("$@")
[ ${#mods[@]} -gt 0 ] || mods=($(ls modules/*/Makefile | cut -d/ -f2))
deleted() { git ls-files --deleted -- modules include mk | sort; }
before=$(deleted)
for m in "${mods[@]}"; do
	make --no-print-directory -C "modules/$m" COREPATH="$corepath" PRESEC_ROOT="$root" \
		quiet=silent clean proper >/dev/null
done
after=$(deleted)
gone=$(comm -13 <(echo "$before") <(echo "$after"))
if [ -n "$gone" ]; then
	echo "check-clean: make clean/proper in ${mods[*]} deleted tracked files:"
	echo "$gone"
	git checkout -- $gone
	exit 1
fi
echo "check-clean: make clean and proper in ${mods[*]} removed no source file"
