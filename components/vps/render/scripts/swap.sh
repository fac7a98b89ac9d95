#!/usr/bin/env bash
# Sizes /swapfile to the machine's memory: half of it, at least 1 GiB and
# at most 4 GiB. Runs at every boot (infra-swap.service), so a resized
# Droplet gets a matching swap file.
set -euo pipefail

file=/swapfile
mem_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
want_mib=$(( mem_kib / 1024 / 2 ))
if [ "$want_mib" -lt 1024 ]; then want_mib=1024; fi
if [ "$want_mib" -gt 4096 ]; then want_mib=4096; fi

have_mib=0
if [ -f "$file" ]; then
  have_mib=$(( $(stat -c %s "$file") / 1024 / 1024 ))
fi
if [ "$have_mib" -ne "$want_mib" ]; then
  swapoff "$file" 2>/dev/null || true
  rm -f "$file"
  fallocate -l "${want_mib}M" "$file"
  chmod 600 "$file"
  mkswap "$file" >/dev/null
fi
swapon --show=NAME --noheadings | grep -qx "$file" || swapon "$file"
