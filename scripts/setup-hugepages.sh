#!/usr/bin/env bash
# Reserves 2 MiB hugepages and mounts hugetlbfs, for performance runs with eal.no_huge: false.
# rampart's default config runs without hugepages (--no-huge); this is only for speed.
#
#   sudo scripts/setup-hugepages.sh [PAGES]     default 1024 pages = 2 GiB
#   sudo scripts/setup-hugepages.sh 0           releases them again
#
# Idempotent: an existing mount is kept, and the reservation is set, not added to.
set -euo pipefail

pages=${1:-1024}
mount_point=/dev/hugepages
nr_file=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

if [[ ! ${pages} =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [number of 2 MiB pages, default 1024]" >&2
  exit 2
fi
if [[ ${EUID} -ne 0 ]]; then
  echo "setup-hugepages: must run as root (try: sudo $0 ${pages})" >&2
  exit 1
fi
if [[ ! -w ${nr_file} ]]; then
  echo "setup-hugepages: ${nr_file} is missing or read-only: this kernel (or container) offers" >&2
  echo "no 2 MiB hugepages. Keep eal.no_huge: true in the config." >&2
  exit 1
fi

echo "${pages}" >"${nr_file}"
got=$(cat "${nr_file}")

if [[ ${pages} -gt 0 ]]; then
  mkdir -p "${mount_point}"
  if ! mountpoint -q "${mount_point}"; then
    mount -t hugetlbfs -o pagesize=2M nodev "${mount_point}"
  fi
fi

free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [[ ${pages} -eq 0 ]]; then
  echo "setup-hugepages: released; ${got} 2 MiB pages remain reserved (pages in use stay until their process exits)"
  exit 0
fi
echo "setup-hugepages: ${got} of ${pages} requested 2 MiB pages reserved ($((got * 2)) MiB), ${free} free; hugetlbfs at ${mount_point}"
if [[ ${got} -lt ${pages} ]]; then
  echo "setup-hugepages: the kernel could not find ${pages} contiguous 2 MiB pages (memory is" >&2
  echo "fragmented). Run this right after boot, or add hugepages=${pages} to the kernel command line." >&2
  exit 1
fi
echo "Now set eal.no_huge: false (and eal.memory_mb up to $((got * 2))) in your config."
