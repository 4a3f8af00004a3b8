#!/usr/bin/env bash
# Installs the system packages the build needs when they are missing: cmake and libclang, for
# llama.cpp (vendored in the llama-cpp-2 crate) and its bindings. Debian/Ubuntu (apt-get).
set -euo pipefail
need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
compgen -G "/usr/lib/llvm-*/lib/libclang*.so*" >/dev/null || compgen -G "/usr/lib/*/libclang*.so*" >/dev/null || need+=(libclang-dev)
command -v c++ >/dev/null 2>&1 || need+=(g++)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing build dependencies: ${need[*]}"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
