#!/usr/bin/env bash
# The tree is formatted as .clang-format says (make format fixes it).
cd "$(dirname "$0")/../.." && exec bash scripts/format-check.sh
