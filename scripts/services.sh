# Sourced by scripts/test: makes sure PostgreSQL and Redis answer on loopback, starting
# throwaway ones on other ports when the machine's own are not running, and stops those on exit.
# Exports STRATA_TEST_POSTGRES_URL and STRATA_TEST_REDIS_URL for the tests, and what the S3
# tests need: STRATA_TEST_WEED (each of those tests runs its own SeaweedFS) and test-only AWS
# credentials, which SeaweedFS then requires and the tests sign with.

services_dir=$(mktemp -d)
services_cleanup() {
  if [ -f "$services_dir/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$services_dir/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  [ -f "$services_dir/redis.pid" ] && kill "$(cat "$services_dir/redis.pid")" 2>/dev/null || true
  rm -rf "$services_dir"
}
trap services_cleanup EXIT

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
if [ -z "${STRATA_TEST_POSTGRES_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 && [ -d /etc/postgresql ]; then
    echo "[services] starting the machine's PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432 && psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'select 1' >/dev/null 2>&1; then
    export STRATA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
  else
    echo "[services] starting a throwaway PostgreSQL on port 55432"
    mkdir -p "$services_dir/pg" && chown postgres "$services_dir" "$services_dir/pg"
    runuser -u postgres -- "$pg_bin/initdb" -D "$services_dir/pg" -U postgres --auth=trust >/dev/null
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$services_dir/pg" -w -l "$services_dir/pg.log" \
      -o "-p 55432 -k $services_dir -c listen_addresses=127.0.0.1" start >/dev/null
    export STRATA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:55432/postgres
  fi
fi

if [ -z "${STRATA_TEST_REDIS_URL:-}" ]; then
  if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then
    export STRATA_TEST_REDIS_URL=redis://127.0.0.1:6379
  else
    echo "[services] starting a throwaway Redis on port 56379"
    redis-server --bind 127.0.0.1 --port 56379 --save '' --appendonly no --daemonize yes \
      --pidfile "$services_dir/redis.pid" --logfile "$services_dir/redis.log" --dir "$services_dir"
    for _ in $(seq 1 50); do [ "$(redis-cli -p 56379 ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
    export STRATA_TEST_REDIS_URL=redis://127.0.0.1:56379
  fi
fi
echo "[services] PostgreSQL: $STRATA_TEST_POSTGRES_URL  Redis: $STRATA_TEST_REDIS_URL"

export STRATA_TEST_WEED="${STRATA_TEST_WEED:-$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/weed}"
export AWS_ACCESS_KEY_ID=strata-test AWS_SECRET_ACCESS_KEY=strata-test-secret AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
echo "[services] SeaweedFS for S3 tests: $STRATA_TEST_WEED"
