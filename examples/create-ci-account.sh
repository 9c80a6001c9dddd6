#!/bin/sh
# Create the accounts the contract suite needs on a fresh, disposable Rocket.Chat,
# using only its REST API (login, users.create, logout).
#
# The container created its first admin from ADMIN_USERNAME / ADMIN_PASS /
# ADMIN_EMAIL (with OVERWRITE_SETTING_Show_Setup_Wizard=completed). This script
# logs in as that admin and creates
#   RC_USER               roles user + livechat-manager: holds view-l-room, nothing more
#   RC_UNPRIVILEGED_USER  role user only: lacks view-l-room, for the 403 clause
# so the suite runs with least privilege (it creates no user itself when
# RC_UNPRIVILEGED_USER is given). A user that already exists is kept, so the
# script can run again against the same server.
#
# Needs curl and python3 (to read the JSON answers).
set -eu

: "${RC_URL:?set RC_URL}"
: "${ADMIN_USERNAME:?set ADMIN_USERNAME (the container's first admin)}"
: "${ADMIN_PASS:?set ADMIN_PASS}"
: "${RC_USER:?set RC_USER}" "${RC_PASSWORD:?set RC_PASSWORD}"
: "${RC_UNPRIVILEGED_USER:?set RC_UNPRIVILEGED_USER}" "${RC_UNPRIVILEGED_PASSWORD:?set RC_UNPRIVILEGED_PASSWORD}"

json_field() {  # json_field PATH: read a dotted path from the JSON on stdin
    python3 -c 'import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value.get(key, "") if isinstance(value, dict) else ""
print(value)' "$1"
}

json_string() {  # a JSON string literal of $1, quoting anything a password may hold
    python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"
}

login=$(curl -fsS -X POST "$RC_URL/api/v1/login" -H 'Content-Type: application/json' \
    -d "{\"user\": $(json_string "$ADMIN_USERNAME"), \"password\": $(json_string "$ADMIN_PASS")}")
admin_id=$(printf '%s' "$login" | json_field data.userId)
admin_token=$(printf '%s' "$login" | json_field data.authToken)
[ -n "$admin_token" ] || { echo "login as $ADMIN_USERNAME failed" >&2; exit 1; }

create_user() {  # create_user USERNAME PASSWORD ROLES_JSON
    answer=$(curl -sS -X POST "$RC_URL/api/v1/users.create" -H 'Content-Type: application/json' \
        -H "X-User-Id: $admin_id" -H "X-Auth-Token: $admin_token" \
        -d "{\"username\": $(json_string "$1"), \"name\": $(json_string "$1"),
             \"email\": $(json_string "$1@example.com"), \"password\": $(json_string "$2"),
             \"roles\": $3, \"verified\": true, \"requirePasswordChange\": false,
             \"sendWelcomeEmail\": false, \"joinDefaultChannels\": false}")
    if [ "$(printf '%s' "$answer" | json_field success)" = "True" ]; then
        echo "created $1 with roles $3"
    elif printf '%s' "$answer" | grep -q 'already in use'; then
        echo "$1 exists already: kept"
    else
        echo "users.create $1 failed: $(printf '%s' "$answer" | json_field error)" >&2
        exit 1
    fi
}

create_user "$RC_USER" "$RC_PASSWORD" '["user", "livechat-manager"]'
create_user "$RC_UNPRIVILEGED_USER" "$RC_UNPRIVILEGED_PASSWORD" '["user"]'

curl -fsS -o /dev/null -X POST "$RC_URL/api/v1/logout" \
    -H "X-User-Id: $admin_id" -H "X-Auth-Token: $admin_token"
