#!/usr/bin/env bash
# Smoke run of the fuzz targets: builds them once (nightly, address sanitizer, debug
# assertions) and runs each for a few seconds over its committed seeds, with new inputs going
# to a throw-away corpus, so that a target that no longer builds or fails on a seed is
# noticed. Usage: fuzz/smoke.sh [seconds per target, default 5]. Needs cargo-fuzz
# (`cargo install cargo-fuzz --locked`) and the nightly toolchain. A failing input is left
# in fuzz/artifacts/<target>/.
set -euo pipefail

seconds="${1:-5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

targets=(record markdown query verify)

cargo +nightly fuzz build -a

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for target in "${targets[@]}"; do
    mkdir -p "$work/$target" "fuzz/artifacts/$target"
    echo "smoke: $target for ${seconds} s"
    # The seeds folder comes second: libFuzzer reads it but writes new inputs to the first.
    if ! cargo +nightly fuzz run -a "$target" "$work/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$work/$target.log" 2>&1; then
        tail -n 40 "$work/$target.log" >&2
        echo "smoke: $target FAILED; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^stat::number_of_executed_units' "$work/$target.log" | sed "s/^/  /"
done
echo "smoke: all ${#targets[@]} targets ran"
