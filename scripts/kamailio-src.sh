#!/bin/sh
# Prepare the source tree of the *installed* kamailio package, configured exactly as Debian's
# debian/rules does (`make cfg` with dpkg-buildflags), so that out-of-tree modules built against it
# pass the stock binary's version and compile-flag check.
# Usage: scripts/kamailio-src.sh CACHE_DIR   -> prints the path of the prepared src/ directory
set -eu
cache=$1
ver=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null) || {
  echo "kamailio-src: the kamailio package is not installed (run scripts/deps.sh)" >&2; exit 1; }
upver=${ver#*:}; upver=${upver%-*}
tree=$cache/kamailio-$ver
if [ -f "$tree/.presec-prepared" ]; then echo "$tree/src"; exit 0; fi

mkdir -p "$cache"
dl=$cache/dl-$ver
mkdir -p "$dl"
if ! ls "$dl"/kamailio_*.dsc >/dev/null 2>&1; then
  # apt-get source needs a deb-src entry; add one mirroring the configured deb entries.
  if ! apt-get indextargets --format '$(CREATED_BY)' 2>/dev/null | grep -q '^Sources$'; then
    [ "$(id -u)" = 0 ] || { echo "kamailio-src: need root to add a deb-src entry" >&2; exit 1; }
    src=/etc/apt/sources.list.d/presec-deb-src.sources
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src"
    else
      grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | sed 's/^deb /deb-src /' \
        > /etc/apt/sources.list.d/presec-deb-src.list
    fi
    apt-get update -q >&2
  fi
  (cd "$dl" && apt-get source --download-only "kamailio=$ver" >&2)
fi
rm -rf "$tree"
dpkg-source --no-check -x "$dl"/kamailio_*.dsc "$tree" >&2
# Same invocation as debian/rules' configure-stamp (Debian applies its patches in dpkg-source -x).
make -C "$tree" cfg quiet=verbose prefix=/usr cfg_target=/etc/kamailio/ FLAVOUR=kamailio \
  CC_EXTRA_OPTS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE" \
  LD_EXTRA_OPTS="$(dpkg-buildflags --get LDFLAGS)" group_include="kstandard" >&2
echo "$upver" > "$tree/.presec-prepared"
echo "$tree/src"
