#!/bin/bash
# Builds Kamailio's rls module with presec's patches (patches/kamailio/rls-*.patch, README
# there) from the Debian-configured source tree, without writing into that tree: a mirror of
# it under $2 links everything but the rls module and the srdb1 library (which the module's
# makefile builds), copies those, applies the patches and runs the tree's own makefiles, so the
# .so carries the version and compile flags the stock kamailio checks. Prints the .so's path.
# Usage: scripts/build-rls.sh <COREPATH (the tree's src)> <build dir>
set -euo pipefail
src=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
patches=("$root"/patches/kamailio/rls-*.patch)
stamp=$(cat "${patches[@]}" | sha256sum | cut -c1-16)
m=$out/src/modules/rls
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$m/rls.so" ]; then
	echo "$m/rls.so"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out/src/modules" "$out/src/lib"
for f in "$src"/*; do
	b=$(basename "$f")
	case $b in modules | lib) ;; *) ln -s "$f" "$out/src/$b" ;; esac
done
for f in "$src"/lib/*; do
	b=$(basename "$f")
	[ "$b" = srdb1 ] || ln -s "$f" "$out/src/lib/$b"
done
for f in "$src"/modules/*; do
	b=$(basename "$f")
	[ "$b" = rls ] || ln -s "$f" "$out/src/modules/$b"
done
cp -r "$src/lib/srdb1" "$out/src/lib/srdb1"
cp -r "$src/modules/rls" "$m"
find "$out/src/lib/srdb1" "$m" \( -name '*.o' -o -name '*.d' -o -name '*.so*' \) -delete
for p in "${patches[@]}"; do
	patch -s -d "$m" -p1 < "$p"
done
make -C "$m" quiet=silent >&2
echo "$stamp" > "$out/stamp"
echo "$m/rls.so"
