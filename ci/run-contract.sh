#!/bin/sh
# The shell steps of the GitHub action (action.yml) and the GitLab CI template
# (ci/rc-contract.gitlab-ci.yml): install the suite, run it, hand its summary to the CI.
#
# Settings are the suite's own RC_* variables (README, "Settings"),
# plus:
#   RC_CONTRACT_PYTHON   the Python to install with (default: python3)
#   RC_CONTRACT_INSTALL  what pip installs (a requirement, a wheel, a git+ URL); default: the
#                        checkout holding this script; "none": use the rc_contract that
#                        RC_CONTRACT_PYTHON already imports
#   RC_CONTRACT_VENV     where the suite is installed (default: a folder in the temp dir)
# RC_URL must be set: an empty RC_URL (a secret the job cannot read) would otherwise
# test the bundled reference server and pass; RC_URL=reference asks for that on purpose.
#
# Writes summary.md to $GITHUB_STEP_SUMMARY and exit-code to $GITHUB_OUTPUT when set;
# exits with the suite's exit code (README, "Exit codes").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
python=${RC_CONTRACT_PYTHON:-python3}
install=${RC_CONTRACT_INSTALL:-$(dirname "$here")}
export RC_REPORT_DIR="${RC_REPORT_DIR:-reports}"

say() { printf 'rc-contract: %s\n' "$*" >&2; }

publish() {  # $1: the exit code; the summary goes to the CI even when the run failed
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        if [ -f "$RC_REPORT_DIR/summary.md" ]; then
            cat "$RC_REPORT_DIR/summary.md" >> "$GITHUB_STEP_SUMMARY"
        else
            printf '## rc-contract\n\nThe run wrote no summary (exit code %s); see the job log.\n' \
                "$1" >> "$GITHUB_STEP_SUMMARY"
        fi
    fi
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        printf 'exit-code=%s\n' "$1" >> "$GITHUB_OUTPUT"
    fi
}

case "${RC_URL:-}" in
    "")
        say "cannot start: RC_URL is empty; pass the server's URL (rc-url), or 'reference' to test the bundled reference server"
        publish 4
        exit 4 ;;
    reference) unset RC_URL ;;
esac

# An input left empty is not a setting (the action passes every input, set or not).
for name in RC_USER RC_PASSWORD RC_USER_ID RC_AUTH_TOKEN RC_UNPRIVILEGED_USER \
        RC_UNPRIVILEGED_PASSWORD RC_AGENT_USER RC_AGENT_PASSWORD RC_FUZZ_EXAMPLES RC_SERVER_VERSION RC_CONTRACT_VERSION \
        RC_EXTERNAL_IDS_VISITOR RC_TIMEOUT; do
    eval "value=\${$name:-}"
    [ -n "$value" ] || unset "$name"
done

if [ "$install" != none ]; then
    venv=${RC_CONTRACT_VENV:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rc-contract-venv}
    # A git URL may carry a token: never print its user part.
    say "installing the suite from $(printf '%s' "$install" | sed 's#://[^/@]*@#://***@#')"
    if ! { "$python" -m venv "$venv" &&
           "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$install"; }; then
        say "cannot start: the suite could not be installed (see pip's message above)"
        publish 4
        exit 4
    fi
    python=$venv/bin/python
fi

code=0
"$python" -m rc_contract run "$@" || code=$?
publish "$code"
exit "$code"
