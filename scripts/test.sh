#!/usr/bin/env bash
# Builds rampart twice and runs its tests; CI runs exactly this (.ci/run).
#
#   sudo scripts/test.sh              everything: unit (both builds), asan, e2e, slow, fuzz hook
#   sudo scripts/test.sh unit         unit suites in build/ only (the fast loop)
#   sudo scripts/test.sh unit asan    ... and in the sanitizer build
#   sudo scripts/test.sh e2e          end-to-end tests only (the binary on a tap, Linux as the peer)
#   sudo scripts/test.sh slow         the long end-to-end tests only (a lossy link against Linux,
#                                     hostile peers beside wrk, the proxy under a SYN flood, a
#                                     2-minute soak: about 9 minutes, test/e2e/README.md)
#   sudo scripts/test.sh soak         the soak run alone for 30 minutes (test/e2e/test_soak.py;
#                                     the slow suite runs it for 2): samples in build/soak/
#
# Stages: unit (build/, debugoptimized), asan (build-asan/: unit suites under ASan+UBSan), e2e
# (build/, serially: they need root, taps and namespaces), fuzz (bounded libFuzzer runs when
# test/fuzz/meson.build exists); slow (build/, serially: meson suite "slow"); soak (build/: the
# slow suite's soak test for RAMPART_SOAK_SECONDS, not part of "everything").
# The last line is "N passed, N failed[, N skipped]", summed over every test run from meson's
# JSON logs; the exit status is non-zero when anything failed, including a build.
#
# Environment: RAMPART_BUILD_DIR (build), RAMPART_ASAN_BUILD_DIR (build-asan),
# RAMPART_FUZZ_BUILD_DIR (build-fuzz), RAMPART_JOBS (nproc), RAMPART_SKIP_DEPS=1 (do not run
# install-deps.sh), RAMPART_FUZZ_SECONDS (60, all fuzz targets together), RAMPART_SOAK_SECONDS
# (1800, the soak stage).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"

build_dir=${RAMPART_BUILD_DIR:-build}
asan_dir=${RAMPART_ASAN_BUILD_DIR:-build-asan}
fuzz_dir=${RAMPART_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${RAMPART_JOBS:-$(nproc)}
python=/usr/bin/python3

all_stages=(unit asan e2e slow fuzz)  # "everything"
stages=("$@")
if [[ ${#stages[@]} -eq 0 || ${stages[0]} == all ]]; then
  stages=("${all_stages[@]}")
fi
for stage in "${stages[@]}"; do
  case ${stage} in
    unit | asan | e2e | fuzz | slow | soak) ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "test.sh: unknown stage '${stage}' (stages: ${all_stages[*]} soak, or all)" >&2
      exit 2
      ;;
  esac
done
wants() {
  local s
  for s in "${stages[@]}"; do [[ ${s} == "$1" ]] && return 0; done
  return 1
}

started=$(date +%s)
logs=()           # meson JSON logs of this run, one per stage
build_failures=0  # builds that failed count as failed tests: nothing under them could run
stage_notes=()

section() { printf '\n==> %s\n' "$*"; }

if [[ ${RAMPART_SKIP_DEPS:-0} != 1 ]]; then
  section "dependencies"
  if [[ ${EUID} -eq 0 ]]; then
    "${repo}/scripts/install-deps.sh"
  else
    echo "not root: skipping install-deps.sh (the e2e tests will be skipped too)"
  fi
fi

# setup_build DIR [meson options...]: configures DIR once; later runs reuse it (ninja reconfigures
# by itself when a meson.build changes).
setup_build() {
  local dir=$1
  shift
  if [[ ! -f ${dir}/build.ninja ]]; then
    meson setup "${dir}" "$@"
  fi
}

# build DIR NAME: compiles everything in DIR; on failure counts one failed "test".
build() {
  local dir=$1 name=$2
  section "build ${name} (${dir}, -j${jobs})"
  if ninja -C "${dir}" -j "${jobs}"; then
    return 0
  fi
  echo "BUILD FAILED: ${dir}"
  build_failures=$((build_failures + 1))
  stage_notes+=("${name}: build failed")
  return 1
}

# run_suite DIR SUITE LOGNAME [meson test options...]: runs one suite, keeps its JSON log apart
# (meson test overwrites testlog.json on every run; --logbase gives each stage its own file).
run_suite() {
  local dir=$1 suite=$2 logname=$3
  shift 3
  section "test ${suite} in ${dir}"
  rm -f "${dir}/meson-logs/${logname}.json"
  local status=0
  meson test -C "${dir}" --no-rebuild --suite "${suite}" --logbase "${logname}" \
    --print-errorlogs "$@" || status=$?
  if [[ -f ${dir}/meson-logs/${logname}.json ]]; then
    logs+=("${dir}/meson-logs/${logname}.json")
  elif [[ ${status} -ne 0 ]]; then
    # meson exits non-zero with no log when the suite does not exist at all.
    stage_notes+=("${suite} in ${dir}: meson test failed with no log (status ${status})")
    build_failures=$((build_failures + 1))
  fi
}

# Sanitizers: stop at the first error, find leaks, print a stack for UBSan reports.
sanitizer_env=(
  ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1
  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1
)

if wants unit || wants e2e || wants slow || wants soak; then
  section "configure ${build_dir} (debugoptimized)"
  setup_build "${build_dir}" --buildtype=debugoptimized
  if build "${build_dir}" "main build"; then
    if wants unit; then
      run_suite "${build_dir}" unit unit
    fi
    if wants e2e; then
      if [[ ${EUID} -ne 0 ]]; then
        stage_notes+=("e2e: not root, the tests report SKIP")
      fi
      # One at a time: every e2e test owns a tap, a namespace and an EAL instance.
      run_suite "${build_dir}" e2e e2e --num-processes 1
    fi
    if wants slow; then
      if [[ ${EUID} -ne 0 ]]; then
        stage_notes+=("slow: not root, the tests report SKIP")
      fi
      run_suite "${build_dir}" slow slow --num-processes 1
    fi
    if wants soak; then
      if [[ ${EUID} -ne 0 ]]; then
        stage_notes+=("soak: not root, the test reports SKIP")
      fi
      # No meson timeout (multiplier 0): the run's length is the variable's.
      RAMPART_SOAK_SECONDS=${RAMPART_SOAK_SECONDS:-1800} RAMPART_SOAK_OUT=$(realpath -m "${build_dir}/soak") \
        run_suite "${build_dir}" slow soak --num-processes 1 --timeout-multiplier 0 soak
    fi
  fi
fi

if wants asan; then
  section "configure ${asan_dir} (ASan + UBSan)"
  # b_lundef=false: the sanitizer runtimes resolve symbols at load time. clang, not gcc: gcc 12
  # spends minutes of CPU on each Catch2 file under -fsanitize=address,undefined -O0 (measured:
  # >9 min for test/unit/flow/flow_table_test.cc), clang 14 compiles all flow tests in 15 s.
  if [[ ! -f ${asan_dir}/build.ninja ]]; then
    CC=clang CXX=clang++ setup_build "${asan_dir}" --buildtype=debug \
      -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false
  fi
  if build "${asan_dir}" "sanitizer build"; then
    export "${sanitizer_env[@]}"
    run_suite "${asan_dir}" unit unit-asan --timeout-multiplier 3
    unset ASAN_OPTIONS UBSAN_OPTIONS
  fi
fi

if wants fuzz; then
  # Fuzzing: test/fuzz/meson.build registers one test, 'fuzz' (suite 'fuzz'), which runs
  # scripts/fuzz.sh --no-build: the regression inputs, then every libFuzzer target over its seed
  # corpus for RAMPART_FUZZ_SECONDS in total (60). One test, passed or failed; a crash leaves its
  # input in ${fuzz_dir}/fuzz-artifacts/ and the libFuzzer output in ${fuzz_dir}/fuzz-logs/.
  if [[ -f test/fuzz/meson.build ]]; then
    section "configure ${fuzz_dir} (clang, libFuzzer, ASan + UBSan)"
    if [[ ! -f ${fuzz_dir}/build.ninja ]]; then
      CC=clang CXX=clang++ meson setup "${fuzz_dir}" --buildtype=debugoptimized -Dfuzzers=true \
        -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false
    fi
    if build "${fuzz_dir}" "fuzz build"; then
      rm -f "${fuzz_dir}/meson-logs/fuzz.json"
      env RAMPART_FUZZ_SECONDS="${RAMPART_FUZZ_SECONDS:-60}" "${sanitizer_env[@]}" \
        meson test -C "${fuzz_dir}" --no-rebuild --suite fuzz --logbase fuzz --print-errorlogs || true
      [[ -f ${fuzz_dir}/meson-logs/fuzz.json ]] && logs+=("${fuzz_dir}/meson-logs/fuzz.json")
    fi
  else
    stage_notes+=("fuzz: no fuzz targets yet (test/fuzz/meson.build absent)")
  fi
fi

section "summary ($(($(date +%s) - started)) s)"
for note in "${stage_notes[@]+"${stage_notes[@]}"}"; do
  echo "note: ${note}"
done
# meson's JSON log: one object per line with "name", "suite" and "result" (OK, FAIL, SKIP,
# TIMEOUT, EXPECTEDFAIL, UNEXPECTEDPASS, ERROR, INTERRUPT).
"${python}" - "${build_failures}" "${logs[@]+"${logs[@]}"}" <<'EOF'
import json
import sys

build_failures = int(sys.argv[1])
passed = failed = skipped = 0
for path in sys.argv[2:]:
    with open(path) as log:
        for line in log:
            if not line.strip():
                continue
            test = json.loads(line)
            result = test.get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
                print(f"FAILED: {test.get('name')} ({result}) in {path}")
failed += build_failures
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
EOF
