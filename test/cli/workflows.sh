#!/usr/bin/env bash
# The seed's workflows 1–5, driven through the `tenx` CLI exactly as an automation script would, against a real
# server on a fresh PostgreSQL database (created here, dropped at the end). Run: bash test/cli/workflows.sh
# Database: TEST_DATABASE_URL, else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BASE_DB=${TEST_DATABASE_URL:-${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}}
WORK=$(mktemp -d)
SERVER_PID='' RECEIVER_PID='' DB_URL=''
STARTED=$SECONDS

lib() { node "$ROOT/test/cli/lib.mjs" "$@"; }
tenx() { node "$ROOT/scripts/tenx.js" "$@"; }

cleanup() {
  local status=$?
  # SIGTERM to the server process itself (npm would not forward it), then wait for its graceful exit.
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$RECEIVER_PID" ]; then kill -TERM "$RECEIVER_PID" 2>/dev/null || true; wait "$RECEIVER_PID" 2>/dev/null || true; fi
  if [ -n "$DB_URL" ]; then lib drop-db "$BASE_DB" "$DB_URL" || true; fi
  if [ "$status" -ne 0 ] && [ -f "$WORK/server.log" ]; then echo "--- last lines of the server log"; tail -n 40 "$WORK/server.log"; fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
# A signal (e.g. the mocha wrapper timing out) becomes an exit, so cleanup still stops the server and drops the database.
trap 'exit 143' TERM
trap 'exit 130' INT

step() { echo "== $* ($((SECONDS - STARTED))s)"; }
die() { printf 'FAIL: %b\n' "$*" >&2; exit 1; }

# run CMD...: captures stdout/stderr/exit code of one CLI call into OUT, ERR, RC.
run() {
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  set -e
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}
ok() { run "$@"; [ "$RC" -eq 0 ] || die "exit $RC from: $*\nstdout: $OUT\nstderr: $ERR"; }
fails_with() {
  local code=$1; shift
  run "$@"
  [ "$RC" -eq "$code" ] || die "expected exit $code, got $RC from: $*\nstdout: $OUT\nstderr: $ERR"
}
has() { [[ "$OUT" == *"$1"* ]] || die "stdout lacks '$1':\n$OUT"; }
err_has() { [[ "$ERR" == *"$1"* ]] || die "stderr lacks '$1':\n$ERR"; }
json() { lib json "$WORK/out" "$1"; }
# Independent checks run side by side (each CLI start is a Node process): bg NAME CODE NEEDLE CMD..., then
# bg_wait checks each exit code and that NEEDLE appears in its stdout or stderr; outputs stay in $WORK/bg-NAME.*.
BG=() BG_PIDS=()
bg() {
  local name=$1 code=$2 needle=$3; shift 3
  ( set +e; "$@" >"$WORK/bg-$name.out" 2>"$WORK/bg-$name.err"; echo $? >"$WORK/bg-$name.rc" ) &
  BG_PIDS+=($!)
  BG+=("$name|$code|$needle")
}
bg_wait() {
  wait "${BG_PIDS[@]}"
  local entry name code needle rc all
  for entry in "${BG[@]}"; do
    IFS='|' read -r name code needle <<<"$entry"
    rc=$(cat "$WORK/bg-$name.rc")
    all="$(cat "$WORK/bg-$name.out" "$WORK/bg-$name.err")"
    [ "$rc" = "$code" ] || die "[$name] expected exit $code, got $rc:\n$all"
    [[ "$all" == *"$needle"* ]] || die "[$name] output lacks '$needle':\n$all"
  done
  BG=() BG_PIDS=()
}
# eventually SECONDS EXPR CMD...: reruns CMD (JSON output) until EXPR holds (analytics are fresh within 2 s).
eventually() {
  local seconds=$1 expr=$2; shift 2
  local until=$((SECONDS + seconds))
  while :; do
    run "$@"
    if [ "$RC" -eq 0 ] && lib json "$WORK/out" "$expr" 2>/dev/null; then return 0; fi
    [ "$SECONDS" -lt "$until" ] || { [ "$RC" -eq 0 ] && json "$expr"; die "never true: $expr\nfrom: $*\n$ERR"; }
    sleep 0.3
  done
}

# ------------------------------------------------------------------ server
unset TENX_URL TENX_HANDLE TENX_TOKEN
export XDG_CONFIG_HOME="$WORK/config"
export ADMIN_TOKEN="cli-test-admin-0123456789abcdef-$RANDOM$RANDOM"
mkdir -p "$WORK/tenants"
DB_URL=$(lib create-db "$BASE_DB")
PORT=$(lib free-port)
URL="http://127.0.0.1:$PORT"

step "operator: migrate a fresh database"
DATABASE_URL=$DB_URL LOG_LEVEL=warn ok tenx migrate
has 'Applied'

step "operator: serve on port $PORT"
DATABASE_URL=$DB_URL REDIS_URL='' PORT=$PORT HOST=127.0.0.1 PUBLIC_URL='' DATA_DIR="$WORK/data" TENANTS_DIR="$WORK/tenants" \
  PLUGINS='' LOG_LEVEL=warn CTX_SECRETS=cli-test-ctx-secret-aaaaaaaaaaaaaaaaaaaaaa SECRET_KEY=cli-test-secret-key \
  WEBHOOK_ALLOW_PRIVATE=true WEBHOOK_RETRY_BASE_MS=100 PUBLIC_RATE_LIMIT=0 CLICK_FLUSH_MS=20 TRUSTED_PROXIES=127.0.0.1,::1 \
  node "$ROOT/scripts/tenx.js" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
lib wait-ready "$URL" 30 "$SERVER_PID"

# ------------------------------------------------------------------ workflow 1
step "workflow 1: the operator creates the handle, the network logs in with a narrow automation token"
HANDLE="acme-$RANDOM"
ok tenx create-handle "$HANDLE" --name 'Acme Network' --url "$URL"
OWNER=$OUT
[[ "$OWNER" == tenx_pat_* ]] || die "owner token looks wrong: $OWNER"
ok tenx login --url "$URL" --handle "$HANDLE" --token "$OWNER"
has "as handle $HANDLE (Acme Network)"
lib json <(node -e 'console.log(JSON.stringify({ mode: require("fs").statSync(process.argv[1]).mode & 0o777 }))' "$XDG_CONFIG_HOME/tenx/credentials.json") 'j.mode === 0o600'
ok tenx tokens create --name automation --scopes campaigns.read,campaigns.write,analytics.read,audit.read,webhooks.read,webhooks.write,notifications.read --json
AUTOMATION=$(lib get "$WORK/out" j.token)
AUTOMATION_ID=$(lib get "$WORK/out" j.tokenId)
printf '%s\n' "$AUTOMATION" | ok tenx login --url "$URL" --handle "$HANDLE" --token -

step "workflow 1: one campaign per partner, each with its own short link"
cat >"$WORK/beta.json" <<'JSON'
{"campaignId": "partner-beta", "goalType": "AFFILIATE_CLICKOUT", "status": "ACTIVE",
 "primaryLink": {"slug": "deal-beta", "destinationUrl": "https://merchant.example.com/product?ref=beta", "title": "Partner Beta - Product Deal"}}
JSON
bg beta 0 '"campaignId": "partner-beta"' tenx campaigns create --file "@$WORK/beta.json" --json
ok tenx campaigns create partner-alpha --slug deal-alpha --destination 'https://merchant.example.com/product?ref=alpha' \
  --title 'Partner Alpha - Product Deal' --status ACTIVE
has "partner-alpha  ACTIVE  AFFILIATE_CLICKOUT"
has "/$HANDLE/deal-alpha"
has 'tracking preset:  custom_webhook   conversion event: affiliate_click'
bg_wait
lib json "$WORK/bg-beta.out" 'j.trackingPreset === "custom_webhook" && j.conversionEvent === "affiliate_click" && j.primaryLink.shortUrl.endsWith("/deal-beta")'

step "scripts get exit code 1 with the API's message, 2 for usage and configuration errors"
bg duplicate 1 'Campaign "partner-alpha" already exists' tenx campaigns create partner-alpha --slug other --destination https://merchant.example.com/
bg no-slug 2 '--slug' tenx campaigns create partner-gamma --destination https://merchant.example.com/
bg bad-json 2 'not valid JSON' tenx campaigns create partner-gamma --slug g --destination https://x.example.com/ --routing-rules '{not json'
bg bad-dimension 2 'Allowed choices are country, segment, referrer, source, browser, os, day, hour, campaign, partner, sub1, sub2, sub3, sub4, sub5' tenx analytics by planet
bg bad-login 1 'not valid' tenx login --url "$URL" --handle "$HANDLE" --token tenx_pat_not-a-real-token
bg no-admin 2 'ADMIN_TOKEN' env ADMIN_TOKEN= node "$ROOT/scripts/tenx.js" create-handle other --name x --url "$URL"
bg no-scope 1 'lacks the "tokens.write" scope' tenx tokens list
bg_wait

step "workflow 6 (used by 3): source-based routing rules on partner-alpha; pause and activate"
cat >"$WORK/rules.json" <<'JSON'
[{"priority": 10, "destinationUrl": "https://merchant.example.com/product?ref=alpha&src=email", "conditions": {"sourceIn": ["email"]}},
 {"priority": 20, "destinationUrl": "https://merchant.example.com/product?ref=alpha&src=social", "conditions": {"sourceIn": ["twitter", "instagram", "facebook"]}}]
JSON
bg rules 0 'rule   10:  {"sourceIn":["email"]} -> https://merchant.example.com/product?ref=alpha&src=email' \
  tenx campaigns update partner-alpha --routing-rules "@$WORK/rules.json"
bg pause 0 'partner-beta is now PAUSED' tenx campaigns pause partner-beta
bg_wait
ok tenx campaigns list
has 'partner-alpha  ACTIVE  AFFILIATE_CLICKOUT      2'
has 'partner-beta   PAUSED  AFFILIATE_CLICKOUT      0'
eventually 3 'j === 404' lib status "$URL/$HANDLE/deal-beta"
ok tenx campaigns activate partner-beta
has 'partner-beta is now ACTIVE'

# ------------------------------------------------------------------ workflow 2
step "workflow 2: a referred visitor converts; the same order id is deduped, never counted twice"
ok lib click "$URL/$HANDLE/deal-alpha?src=email" 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1' US 198.51.100.7
LOCATION=$OUT
[[ "$LOCATION" == 'https://merchant.example.com/product?ref=alpha&src=email&ctx='* ]] || die "email rule not applied: $LOCATION"
# As the merchant's server: a new handle flags ctx-only conversions (never verified), so the merchant posts with its token.
ok tenx conversions record --ctx "$LOCATION" --event-type affiliate_click --value 24.99 --currency USD --idempotency-key txn-2026-02-25-order-789 --token "$OWNER"
has 'Recorded conversion'
bg dedupe 0 '"deduped": true' tenx conversions record --ctx "$LOCATION" --event-type affiliate_click --value 24.99 --currency USD --idempotency-key txn-2026-02-25-order-789 --json
bg mismatch 0 'differs from the original' tenx conversions record --ctx "$LOCATION" --event-type affiliate_click --value 30 --currency USD --idempotency-key txn-2026-02-25-order-789
bg forged 1 'ctx' tenx conversions record --ctx "$(lib tamper "$LOCATION")" --event-type affiliate_click --idempotency-key k1
bg wrong-event 1 'signup' tenx conversions record --ctx "$LOCATION" --event-type signup --idempotency-key k2
bg no-currency 2 '--value and --currency go together' tenx conversions record --ctx "$LOCATION" --event-type affiliate_click --idempotency-key k3 --value 10
bg_wait
lib json "$WORK/bg-dedupe.out" 'j.deduped === true && j.value === 24.99'
ok tenx audit list --campaign partner-alpha --json
json 'j.data.some((e) => /dedup/.test(e.type)) && j.data.some((e) => /mismatch/.test(e.type) || e.payload?.mismatch)'

# ------------------------------------------------------------------ workflow 3
step "workflow 3: partner performance side by side, then by country and channel"
ok lib click "$URL/$HANDLE/deal-alpha?src=twitter&sub1=newsletter" 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' DE '' 3
[[ "$OUT" == *'src=social'* ]] || die "social rule not applied: $OUT"
eventually 5 'j.data.length === 1 && j.data[0].clicks === 4 && j.data[0].qualifiedClicks === 4 && j.data[0].conversions === 1 && j.data[0].revenue === 24.99' \
  tenx analytics funnel --campaign partner-alpha --json
bg funnel 0 'partner-alpha       4          4  0.0%     1         1      25.0%    24.99  24.99 USD            90  low_volume' tenx analytics funnel
bg country 0 'DE            3          3  0.0%     0     0.00' tenx analytics by country --campaign partner-alpha
bg referrer 0 '"key": "twitter"' tenx analytics by referrer --campaign partner-alpha --json
bg sub1 0 '(none)' tenx analytics by sub1 --campaign partner-alpha
bg_wait
[[ "$(cat "$WORK/bg-funnel.out")" == 'CAMPAIGN       CLICKS  QUALIFIED  BOTS  CONV  VERIFIED  CONV RATE  REVENUE  BY CURRENCY  CONFIDENCE  REASONS'* ]] || die "funnel header:\n$(cat "$WORK/bg-funnel.out")"
[[ "$(cat "$WORK/bg-country.out")" == *'US            1          1  0.0%     1    24.99'* ]] || die "country table:\n$(cat "$WORK/bg-country.out")"
lib json "$WORK/bg-referrer.out" 'j.data.some((r) => r.key === "email" && r.clicks === 1) && j.data.some((r) => r.key === "twitter" && r.clicks === 3)'
[[ "$(cat "$WORK/bg-sub1.out")" == *'newsletter       3          3  0.0%     0     0.00'* ]] || die "sub1 table:\n$(cat "$WORK/bg-sub1.out")"

# ------------------------------------------------------------------ workflow 4
step "workflow 4: bot traffic is counted but not qualified, and the confidence score says so"
ok lib click "$URL/$HANDLE/deal-beta?src=coupons" 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36' GB '' 6
ok lib click "$URL/$HANDLE/deal-beta" 'curl/8.5.0' US 192.0.2.10 2
ok lib click "$URL/$HANDLE/deal-beta" 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' US 192.0.2.11 1
eventually 5 'j.data[0].clicks === 9 && j.data[0].qualifiedClicks === 6 && j.data[0].confidenceReasons.includes("bot_ratio_20_40") && j.data[0].confidence === 75' \
  tenx analytics funnel --campaign partner-beta --json
# The live tail starts now so it is connected before the next click (workflow 3's real-time view).
node "$ROOT/scripts/tenx.js" events tail --campaign partner-beta --count 2 >"$WORK/tail.out" 2>"$WORK/tail.err" &
TAIL_PID=$!
bg segment 0 '"key": "bot"' tenx analytics by segment --campaign partner-beta --json
bg csv 0 'exported 9 rows' tenx export --format csv --campaign partner-beta --out "$WORK/beta.csv"
bg ndjson 0 'exported 13 rows' tenx export --format ndjson --out "$WORK/all.ndjson" --quiet
bg_wait
lib json "$WORK/bg-segment.out" 'j.data.some((r) => r.key === "bot" && r.clicks === 3 && r.qualifiedClicks === 0) && j.data.some((r) => r.key === "mobile" && r.clicks === 6)'
[ "$(lib count-rows "$WORK/beta.csv" csv)" = 9 ] || die "beta.csv should have 9 data rows"
[[ "$(head -n 1 "$WORK/beta.csv")" == clickId,campaignId,occurredAt,country,segment,referrer,source,isBot,botReason* ]] || die 'CSV header'
[ "$(lib count-rows "$WORK/all.ndjson" ndjson)" = 13 ] || die "all.ndjson should have 13 rows"
[ ! -e "$WORK/all.ndjson.partial" ] || die 'partial file left behind'

step "workflow 3: events tail prints the live funnel as clicks arrive"
for _ in $(seq 1 50); do [[ "$(cat "$WORK/tail.out")" == *'clicks=9 '* ]] && break; sleep 0.2; done
ok lib click "$URL/$HANDLE/deal-beta" 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15' FR
for _ in $(seq 1 50); do kill -0 "$TAIL_PID" 2>/dev/null || break; sleep 0.2; done
kill "$TAIL_PID" 2>/dev/null || true
wait "$TAIL_PID" || die "events tail did not exit after 2 events:\n$(cat "$WORK/tail.out" "$WORK/tail.err")"
TAIL=$(cat "$WORK/tail.out")
[[ "$TAIL" == *'funnel  partner-beta  clicks=9 qualified=6 '* && "$TAIL" == *'funnel  partner-beta  clicks=10 qualified=7 '* ]] || die "events tail output:\n$TAIL"

# ------------------------------------------------------------------ workflow 5
step "workflow 5: commission webhooks, signed, with failures visible in the notifications panel"
RPORT=$(lib free-port)
node "$ROOT/test/cli/lib.mjs" receiver "$RPORT" "$WORK/hooks.ndjson" &
RECEIVER_PID=$!
bg failing 0 '"webhookId"' tenx webhooks add --url "http://127.0.0.1:$RPORT/fail" --events conversion.tested --json
ok tenx webhooks add --url "http://127.0.0.1:$RPORT/ingest" --events link.clicked,conversion.tested
# Like tokens create: the secret alone on stdout (SECRET=$(...)), the webhook id and notices on stderr.
[[ "$OUT" == whsec_* && "$OUT" != *$'\n'* ]] || die "stdout should be the secret alone:\n$OUT"
err_has 'shown only once'
WEBHOOK_ID=$(printf '%s\n' "$ERR" | sed -n 's/^Created webhook \([^ ]*\) .*/\1/p')
SECRET=$OUT
bg_wait
FAILING_ID=$(lib get "$WORK/bg-failing.out" j.webhookId)
ok lib click "$URL/$HANDLE/deal-alpha?src=email"
bg record 0 'Recorded conversion' tenx conversions record --ctx "$OUT" --event-type affiliate_click --value 12.5 --currency EUR --idempotency-key order-5001
bg ping 0 'Ping queued' tenx webhooks ping "$WEBHOOK_ID"
bg list 0 "$WEBHOOK_ID  link.clicked,conversion.tested" tenx webhooks list
bg_wait
ok lib webhook "$WORK/hooks.ndjson" /ingest conversion.tested "$SECRET"
json 'j.handle && j.data.campaignId === "partner-alpha" && j.data.value === 12.5 && j.data.currency === "EUR" && j.data.eventType === "affiliate_click" && j.data.clickId && j.data.conversionId'
ok lib webhook "$WORK/hooks.ndjson" /ingest link.clicked "$SECRET"
ok lib webhook "$WORK/hooks.ndjson" /ingest webhook.ping "$SECRET"
# This server retries after 100, 200, 400, 800 and 1600 ms: the failing endpoint's delivery is failed after ~3 s.
sleep 2
eventually 15 "j.data.some((d) => d.webhookId === '$FAILING_ID' && d.status === 'failed' && d.attempts.length === 6)" \
  tenx notifications list --status failed --json
FAILED_DELIVERY=$(lib get "$WORK/out" "j.data.find((d) => d.webhookId === '$FAILING_ID').deliveryId")
ok tenx notifications list
[[ "$OUT" == *"conversion.tested  failed            6  500 http_500"* && "$OUT" == *"webhook.ping       succeeded         1  204"* ]] || die "notifications panel:\n$OUT"
has 'SUCCESS RATE'
ok tenx notifications redeliver "$FAILED_DELIVERY"
has "Redelivery of $FAILED_DELIVERY queued"
ok tenx webhooks rm "$FAILING_ID"
has "Deleted webhook $FAILING_ID"
ok tenx webhooks list --json
json "j.data.length === 1 && j.data[0].webhookId === '$WEBHOOK_ID' && !('secret' in j.data[0])"

step "operator: reconcile proves funnel, export, raw rows and rollups agree; seed-demo builds the seed's world"
DEMO="demo-$RANDOM"
bg seed 0 '"partner-beta"' tenx seed-demo --url "$URL" --handle "$DEMO" --clicks 60 --seed 7 --forwarded-for --json
DATABASE_URL=$DB_URL LOG_LEVEL=warn ok tenx reconcile "$HANDLE"
has "$HANDLE: all views agree"
bg_wait
lib json "$WORK/bg-seed.out" 'j.ownerToken.startsWith("tenx_pat_") && j.campaigns["partner-alpha"].clicks + j.campaigns["partner-beta"].clicks === 60 && j.campaigns["partner-alpha"].conversions > 0'
SEED_BOTS=$(lib get "$WORK/bg-seed.out" 'j.campaigns["partner-beta"].bots')
SEED_BETA=$(lib get "$WORK/bg-seed.out" 'j.campaigns["partner-beta"].clicks')
# Scripts override the stored login with TENX_URL / TENX_HANDLE / TENX_TOKEN.
TENX_URL=$URL TENX_HANDLE=$DEMO TENX_TOKEN=$(lib get "$WORK/bg-seed.out" j.ownerToken) \
  eventually 5 "j.data.find((r) => r.campaignId === 'partner-beta').clicks === $SEED_BETA && j.data.find((r) => r.campaignId === 'partner-beta').qualifiedClicks === $SEED_BETA - $SEED_BOTS && j.totals.clicks === 60" \
  tenx analytics funnel --json

step "tokens: the owner revokes the automation token and it stops working"
TENX_TOKEN=$OWNER ok tenx tokens list
has "$AUTOMATION_ID  automation  never"
TENX_TOKEN=$OWNER ok tenx tokens revoke "$AUTOMATION_ID"
has "Revoked token $AUTOMATION_ID \"automation\""
fails_with 1 tenx campaigns list
err_has 'not valid'
ok tenx logout
fails_with 2 tenx campaigns list
err_has 'not logged in'

step "all workflows passed in $((SECONDS - STARTED))s"
