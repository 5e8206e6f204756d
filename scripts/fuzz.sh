#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/) and runs each for a bounded time.
#
#   scripts/fuzz.sh                 60 s in total: fuzz_frame 21 s, fuzz_tcp_stream 15 s, fuzz_tcp_connect 6 s,
#                                   fuzz_proxy 9 s, fuzz_config 6 s, fuzz_http 1 s, fuzz_metrics 1 s
#   scripts/fuzz.sh 600             a longer campaign, same split
#   scripts/fuzz.sh --no-build ...  use the executables as they are (meson test does this)
#   scripts/fuzz.sh --build-dir DIR (default: build-fuzz, or RAMPART_FUZZ_BUILD_DIR)
#
# Before fuzzing, every file of test/fuzz/regressions/<target>/ is replayed: each is an input that
# once crashed or broke an invariant, and must not any more. Then each target runs over its seed
# corpus (test/fuzz/corpus/<target>/, read only) plus a working corpus kept in
# DIR/fuzz-corpus/<target>/ (new finds accumulate there between runs), with -max_len=2048.
# A crashing input is saved as DIR/fuzz-artifacts/<target>-crash-<sha1>; the full libFuzzer output
# is in DIR/fuzz-logs/<target>.log. Exit status: 0 when every run finished clean, 1 otherwise.
#
# Environment: RAMPART_FUZZ_SECONDS (the default total, 60), RAMPART_JOBS (ninja -j, 2).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${RAMPART_FUZZ_BUILD_DIR:-${repo}/build-fuzz}
seconds=${RAMPART_FUZZ_SECONDS:-60}
do_build=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --no-build) do_build=0 ;;
    --build-dir)
      build_dir=$2
      shift
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *[!0-9]* | '')
      echo "fuzz.sh: unexpected argument '$1' (seconds must be a whole number)" >&2
      exit 2
      ;;
    *) seconds=$1 ;;
  esac
  shift
done
[[ ${build_dir} == /* ]] || build_dir=${repo}/${build_dir}

# target:share of the time in percent. The datapath targets (frames and the listener; established
# connections; connections apps open; the proxy's splice) get most of it.
targets=(fuzz_frame:35 fuzz_tcp_stream:25 fuzz_tcp_connect:10 fuzz_proxy:15 fuzz_config:10 fuzz_http:3 fuzz_metrics:2)

if [[ ${do_build} -eq 1 ]]; then
  if [[ ! -f ${build_dir}/build.ninja ]]; then
    (cd "${repo}" && CC=clang CXX=clang++ meson setup "${build_dir}" --buildtype=debugoptimized \
      -Dfuzzers=true -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false)
  fi
  ninja -C "${build_dir}" -j "${RAMPART_JOBS:-2}" test/fuzz/fuzz_frame test/fuzz/fuzz_tcp_stream test/fuzz/fuzz_config \
    test/fuzz/fuzz_http test/fuzz/fuzz_metrics test/fuzz/fuzz_tcp_connect test/fuzz/fuzz_proxy
fi

# UBSan reports are warnings unless halt_on_error: make them crashes libFuzzer saves.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}

mkdir -p "${build_dir}/fuzz-logs" "${build_dir}/fuzz-artifacts"
failed=0
summary=()
for entry in "${targets[@]}"; do
  target=${entry%%:*}
  share=${entry##*:}
  exe=${build_dir}/test/fuzz/${target}
  name=${target#fuzz_}
  log=${build_dir}/fuzz-logs/${target}.log
  if [[ ! -x ${exe} ]]; then
    echo "fuzz.sh: ${exe} missing (configure with -Dfuzzers=true and build)" >&2
    failed=1
    summary+=("${target}: NOT BUILT")
    continue
  fi

  regressions=("${repo}/test/fuzz/regressions/${name}"/*)
  if [[ -e ${regressions[0]} ]]; then
    echo "==> ${target}: replaying ${#regressions[@]} regression input(s)"
    if ! "${exe}" "${regressions[@]}" >"${build_dir}/fuzz-logs/${target}-regressions.log" 2>&1; then
      tail -n 30 "${build_dir}/fuzz-logs/${target}-regressions.log"
      failed=1
      summary+=("${target}: REGRESSION FAILED (${build_dir}/fuzz-logs/${target}-regressions.log)")
      continue
    fi
  fi

  budget=$((seconds * share / 100))
  ((budget >= 1)) || budget=1
  work=${build_dir}/fuzz-corpus/${target}
  mkdir -p "${work}"
  echo "==> ${target}: ${budget} s over test/fuzz/corpus/${name} (+ ${work})"
  status=0
  "${exe}" "${work}" "${repo}/test/fuzz/corpus/${name}" -max_len=2048 -max_total_time="${budget}" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="${build_dir}/fuzz-artifacts/${target}-" \
    >"${log}" 2>&1 || status=$?
  # The last status line: "#N DONE cov: C ft: F corp: ... exec/s: E rss: ..."
  last=$(grep -E '^#[0-9]+' "${log}" | tail -n 1 || true)
  echo "    ${last:-no status line}"
  if [[ ${status} -ne 0 ]]; then
    grep -E 'fuzz invariant violated|ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error|Test unit written' \
      "${log}" | head -n 10 || true
    tail -n 40 "${log}"
    failed=1
    summary+=("${target}: FAILED (status ${status}; log ${log})")
  else
    summary+=("${target}: ok ${last}")
  fi
done

echo "==> fuzz summary"
printf '    %s\n' "${summary[@]}"
exit "${failed}"
