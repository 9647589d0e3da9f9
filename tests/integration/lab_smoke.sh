#!/usr/bin/env bash
# The lab's own smoke test: every manifest entry answers as the manifest says,
# checked with the servers' own clients (redis-cli, psql, mysql, curl, openssl), not with ajar.
cd "$(dirname "$0")/../.."
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
lab_up || { bad "lab up"; t_end; exit 1; }
exec tests/lab/smoke
