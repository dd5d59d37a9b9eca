#!/bin/sh
# examples/cron_daily.sh: the daily job of a crontab, on the linkup command.
# Brings the newest connections and received invitations into a local
# database (cheap: new-only syncs), prints who came and who left since the
# job last reported, and, when INVITE_FROM names a file, sends a capped
# run of invites that never invites anyone twice.
#
#   0 7 * * *  LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... INVITE_FROM=$HOME/leads.csv \
#              /opt/linkup/examples/cron_daily.sh $HOME/linkup.db >> $HOME/linkup-daily.log 2>&1
#   0 6 * * 0  LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... linkup sync all --db $HOME/linkup.db
#              (weekly: a full sync is what finds who left; the next daily run reports it)
#
# Environment: LINKUP_API_KEY, LINKUP_ACCOUNT_ID (and LINKUP_BASE_URL);
# INVITE_FROM (CSV or JSON lines with a profile_url column), INVITES_PER_DAY
# (20), INVITE_MESSAGE; LINKUP (the command: linkup). DB.since keeps the
# first sync run not reported yet. Exit 0 when everything ran, 1 when
# something did not finish: the next run takes it up.
set -u
db=${1:?usage: cron_daily.sh DB}
linkup=${LINKUP:-linkup}
state="$db.since"
status=0

date -u +"== %Y-%m-%dT%H:%M:%SZ"
since=$(cat "$state" 2>/dev/null || true)
last=
for kind in connections invitations; do
  # one JSON line per kind; its "run" numbers this sync
  line=$("$linkup" sync "$kind" --db "$db" --new-only --no-progress) || status=1
  run=$(printf '%s\n' "$line" | sed -n 's/.*"run":\([0-9][0-9]*\).*/\1/p')
  if [ -n "$run" ]; then
    [ -n "$since" ] || since=$run
    last=$run
  fi
done

if [ -n "$since" ]; then
  for kind in connections invitations; do
    echo "-- $kind since run $since"
    "$linkup" changes --db "$db" --kind "$kind" --since "$since" --format table \
      --fields change,name,headline,profile_url || status=1
  done
fi
# the runs reported (a weekly full sync's run comes after them: reported next time)
[ -z "$last" ] || echo $((last + 1)) > "$state"

if [ -n "${INVITE_FROM:-}" ]; then
  echo "-- invites"
  if [ -n "${INVITE_MESSAGE:-}" ]; then
    "$linkup" invite --from "$INVITE_FROM" --db "$db" --max-per-day "${INVITES_PER_DAY:-20}" \
      --message "$INVITE_MESSAGE" || status=1
  else
    "$linkup" invite --from "$INVITE_FROM" --db "$db" --max-per-day "${INVITES_PER_DAY:-20}" || status=1
  fi
fi
exit $status
