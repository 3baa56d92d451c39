#!/usr/bin/env bash
# Checks the Prometheus files under probes/prometheus/ with promtool (Debian: apt-get install prometheus):
# rule syntax, scrape config syntax (which also loads alerts.yml through rule_files), and the
# alert unit tests in alerts_test.yml. Exits non-zero if any check fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v promtool >/dev/null; then
    echo "check_rules: promtool not found (Debian/Ubuntu: apt-get install prometheus)" >&2
    exit 2
fi

failed=0
check() {
    echo "==> $*"
    if "$@"; then
        echo "    ok"
    else
        echo "    FAILED: $*" >&2
        failed=$((failed + 1))
    fi
}

promtool --version 2>&1 | head -1
check promtool check rules probes/prometheus/alerts.yml
check promtool check config probes/prometheus/prometheus.yml
check promtool test rules Tests/Promtool/alerts_test.yml

if [ "$failed" -ne 0 ]; then
    echo "check_rules: $failed of 3 promtool checks failed" >&2
    exit 1
fi
echo "check_rules: all 3 promtool checks passed (alerts.yml rules, prometheus.yml config, alerts_test.yml unit tests)"
