#!/bin/sh
# Wait until Rocket.Chat answers GET /api/info, or give up after WAIT_SECONDS.
#
#   RC_URL        the server (e.g. http://localhost:3000)
#   WAIT_SECONDS  how long to wait (default 300: a first start migrates the database)
#
# Exit 0 when the server answers, 1 when it did not in time. Needs curl.
set -eu

: "${RC_URL:?set RC_URL to the Rocket.Chat base URL}"
deadline=$(( $(date +%s) + ${WAIT_SECONDS:-300} ))
while :; do
    # /api/info needs no login and answers only once the server is ready.
    if curl -fsS --max-time 5 "$RC_URL/api/info" 2>/dev/null | grep -q '"success": *true'; then
        echo "Rocket.Chat answers at $RC_URL/api/info"
        exit 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "Rocket.Chat did not answer at $RC_URL/api/info within ${WAIT_SECONDS:-300} s" >&2
        exit 1
    fi
    sleep 5
done
