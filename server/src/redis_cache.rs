//! The compiled cache in Redis, for services in other processes and networks. A publication
//! writes only the configs that changed, in small commands, and then switches every reader to
//! the new revision at once.
//!
//! Keys of a domain D (the braces are Redis Cluster's hash tag: a domain's keys share a slot):
//! - `strata:{D}:current` — `"R G"`: the current revision R, written in generation G.
//! - `strata:{D}:g{G}:config:TIER/tenant/deployable` — a string of the config's newest one or
//!   two versions, newest first, each `R:N:` and N bytes: a revision and the config in
//!   MessagePack (N = 0: gone from R on). The newest names the revision it took effect in; the
//!   one after it, written beside it, names the revision that was current then and holds what
//!   its readers read, so a reader that has just read the previous revision still finds its
//!   config. (The writer composes both from the two compiled revisions it holds, reading
//!   nothing back from Redis.)
//! - `strata:{D}:g{G}:alias:ALIAS` — the same, each version's bytes the tenant's own name.
//! - `strata:{D}:revisions` — a channel: each new current revision's number.
//!
//! A reader reads `current`, then the config's key, and takes the first version at or before
//! R. Writers never change what a reader of R finds: the versions they add are for revisions
//! above R until `current` moves, in one script. (Strings rather than sorted sets: a sorted set
//! of members over 64 bytes takes Redis about 1 KB per config, four times a string's.)
//!
//! A writer holds `strata:{D}:lock` (with a fencing token) and marks `strata:{D}:dirty` while
//! it adds versions to the current generation; one that finds the mark left by a writer that
//! stopped half-way writes the revision whole into a new generation instead, and the old
//! generation is removed after a grace period.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use strata_domain::compile::Compiled;

/// How long a superseded generation stays readable (after a revision written whole).
pub const GRACE: Duration = Duration::from_secs(300);
/// How long a writer's lock holds: far longer than writing a million configs takes.
const LOCK: Duration = Duration::from_secs(120);
/// A generation allocated but never made current is garbage after this: its writer's lock
/// has long expired, and the switch refuses a writer that lost its lock.
const ABANDONED: Duration = Duration::from_secs(2 * LOCK.as_secs());
/// Configs written per round trip (each a few small commands).
const BATCH: usize = 500;
/// How many batches may be on their way to Redis at once.
const IN_FLIGHT: usize = 4;
/// Keys examined per SCAN call when removing an old generation, and calls per
/// [`RedisCache::reap`].
const SCAN_COUNT: usize = 1000;
const SCANS_PER_REAP: usize = 20;

/// Moves `current` to ARGV[1] (revision) in generation ARGV[2], unless the writer lost its
/// lock (ARGV[3] its token) or a newer revision is current; announces it; schedules the
/// generation it replaces for removal at ARGV[4] (unix seconds) and keeps the new one.
const SWITCH: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
local current = redis.call('GET', KEYS[1])
local revision, generation = 0, nil
if current then
  local sp = string.find(current, ' ')
  revision = tonumber(string.sub(current, 1, sp - 1))
  generation = string.sub(current, sp + 1)
end
if revision >= tonumber(ARGV[1]) then return revision end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[2])
if generation and generation ~= ARGV[2] then
  redis.call('ZADD', KEYS[4], ARGV[4], generation)
end
redis.call('PUBLISH', ARGV[5], ARGV[1])
redis.call('DEL', KEYS[2])
return revision
";

/// Sets each of KEYS but the last, only while the writer still holds the lock (the last key,
/// ARGV[1] its token): one that stalled past it cannot overwrite what the next writer wrote.
/// ARGV[2..] are the keys again, each followed by its value, as `MSET` takes them (one call:
/// a call from the script per key costs Redis several times more; [`BATCH`] pairs stay far
/// below the 8,000 values Lua's `unpack` can pass). The values are composed by the writer:
/// the new version, then the version readers of the current revision read ([`beside`]).
const SET_ALL: &str = r"
if redis.call('GET', KEYS[#KEYS]) ~= ARGV[1] then return redis.error_reply('lost the lock') end
redis.call('MSET', unpack(ARGV, 2))
return #KEYS - 1
";

/// A key's value beside the current revision `previous`: the `new` version, then what
/// readers of `previous` read (`old`; nothing when it had none). Older versions go: a reader
/// further behind finds none and reads the current revision again.
fn beside(new: Vec<u8>, previous: i64, old: Option<&[u8]>) -> Vec<u8> {
    let mut value = new;
    if let Some(old) = old {
        value.extend(version(previous, old));
    }
    value
}

/// Releases the lock if it is still the caller's.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// Reads a config: the newest version at or before the current revision, in the current
/// generation, following an alias. Used by [`RedisCache::read`]; services can do the same.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// The config, and the revision it was read at.
    Config(serde_json::Value, i64),
    /// The revision has no such config.
    Missing(i64),
    /// No revision is current.
    Empty,
}

#[derive(Debug, Clone)]
pub struct RedisCache {
    client: redis::Client,
    location: String,
}

/// Keys of a domain's compiled cache.
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(domain: &str) -> Keys {
        Keys {
            prefix: format!("strata:{{{domain}}}"),
        }
    }
    pub fn current(&self) -> String {
        format!("{}:current", self.prefix)
    }
    pub fn channel(&self) -> String {
        format!("{}:revisions", self.prefix)
    }
    fn lock(&self) -> String {
        format!("{}:lock", self.prefix)
    }
    /// Names the generation a writer is adding versions to, until its switch.
    pub fn dirty(&self) -> String {
        format!("{}:dirty", self.prefix)
    }
    fn generations(&self) -> String {
        format!("{}:generations", self.prefix)
    }
    /// Generations to remove, each scored with when (unix seconds, Redis's clock).
    pub fn reap(&self) -> String {
        format!("{}:reap", self.prefix)
    }
    fn reaping(&self) -> String {
        format!("{}:reaping", self.prefix)
    }
    /// Every key of generation `generation` starts so.
    pub fn generation(&self, generation: i64) -> String {
        format!("{}:g{generation}:", self.prefix)
    }
    pub fn config(&self, generation: i64, tier: &str, tenant: &str, deployable: &str) -> String {
        format!(
            "{}config:{tier}/{tenant}/{deployable}",
            self.generation(generation)
        )
    }
    pub fn alias(&self, generation: i64, alias: &str) -> String {
        format!("{}alias:{alias}", self.generation(generation))
    }
}

/// The bytes of the newest version at or before `revision` in a key's value; `None` when
/// there is none, `Some(&[])` when the thing is gone at that revision.
pub fn version_at(value: &[u8], revision: i64) -> Option<&[u8]> {
    let mut rest = value;
    while !rest.is_empty() {
        let mut parts = rest.splitn(3, |b| *b == b':');
        let at: i64 = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
        let len: usize = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
        let tail = parts.next()?;
        let bytes = tail.get(..len)?;
        if at <= revision {
            return Some(bytes);
        }
        rest = &tail[len..];
    }
    None
}

/// What a name's alias key says to a reader of `revision` whose config key held nothing for
/// it (`gone`: it held the mark that the config is gone from that revision).
#[derive(Debug, PartialEq)]
enum Alias<'a> {
    /// The alias names this tenant at `revision`.
    Names(&'a [u8]),
    /// Neither a tenant nor an alias at `revision`.
    Missing,
    /// Not known from these keys: the reader reads `current` again (and, if it has not moved,
    /// the revision has no such config).
    Unknown,
}

fn through_alias(alias: Option<&[u8]>, gone: bool, revision: i64) -> Alias<'_> {
    match alias.map(|value| version_at(value, revision)) {
        Some(Some(name)) if !name.is_empty() => Alias::Names(name),
        // The key holds versions, none at or before `revision`: pruned since the reader read
        // `current` (or written for a later revision), so the name may have been an alias
        // then.
        Some(None) => Alias::Unknown,
        _ if gone => Alias::Missing,
        _ => Alias::Unknown,
    }
}

/// `current`'s value: (revision, generation).
pub fn parse_current(value: &str) -> Option<(i64, i64)> {
    let (revision, generation) = value.split_once(' ')?;
    Some((revision.parse().ok()?, generation.parse().ok()?))
}

/// A version: `R:N:` and the N bytes.
pub fn version(revision: i64, bytes: &[u8]) -> Vec<u8> {
    let mut version = format!("{revision}:{}:", bytes.len()).into_bytes();
    version.extend_from_slice(bytes);
    version
}

/// A token no other writer holds: this process, this moment, this call.
fn token() -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    )
}

/// What one [`RedisCache::compile`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    /// Configs written (new or changed), and configs marked gone.
    pub configs: usize,
    pub gone: usize,
    /// Whether the revision was written whole into a new generation.
    pub whole: bool,
}

type Conn = redis::aio::MultiplexedConnection;

impl RedisCache {
    pub fn new(client: redis::Client, location: String) -> RedisCache {
        RedisCache { client, location }
    }

    /// Where it is, without credentials.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn failed(&self, e: impl std::fmt::Display) -> String {
        format!("the Redis cache at {} is unavailable: {e}", self.location)
    }

    async fn connect(&self) -> Result<Conn, String> {
        tokio::time::timeout(
            Duration::from_secs(5),
            self.client.get_multiplexed_async_connection(),
        )
        .await
        .map_err(|_| self.failed("no answer within 5 s"))?
        .map_err(|e| self.failed(e))
    }

    async fn query<T: redis::FromRedisValue>(
        &self,
        conn: &mut Conn,
        cmd: &redis::Cmd,
    ) -> Result<T, String> {
        cmd.query_async(conn).await.map_err(|e| self.failed(e))
    }

    /// Redis's own clock, in unix seconds: every process that schedules or removes
    /// generations reads the same one, whatever its own clock says.
    async fn now(&self, conn: &mut Conn) -> Result<u64, String> {
        let (seconds, _): (u64, u64) = self.query(conn, &redis::cmd("TIME")).await?;
        Ok(seconds)
    }

    async fn current_of(&self, conn: &mut Conn, keys: &Keys) -> Result<Option<(i64, i64)>, String> {
        let value: Option<String> = self
            .query(conn, redis::cmd("GET").arg(keys.current()))
            .await?;
        Ok(value.as_deref().and_then(parse_current))
    }

    /// The revision Redis names current for `domain`; `None` when it names none (never
    /// compiled, or Redis restarted empty).
    pub async fn current(&self, domain: &str) -> Result<Option<i64>, String> {
        let mut conn = self.connect().await?;
        Ok(self
            .current_of(&mut conn, &Keys::new(domain))
            .await?
            .map(|(revision, _)| revision))
    }

    /// Takes the domain's repair lock for `ttl` unless another process holds it: one
    /// process at a time refills an emptied Redis. Answers whether it got it.
    pub async fn lock_repair(&self, domain: &str, ttl: Duration) -> Result<bool, String> {
        let mut conn = self.connect().await?;
        let taken: Option<String> = self
            .query(
                &mut conn,
                redis::cmd("SET")
                    .arg(format!("{}:repair", Keys::new(domain).prefix))
                    .arg(std::process::id())
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl.as_millis() as u64),
            )
            .await?;
        Ok(taken.is_some())
    }

    /// Reads a config as a service would: the current revision, then the newest version of the
    /// config at or before it; `tenant` may be an alias.
    pub async fn read(
        &self,
        domain: &str,
        tier: &str,
        tenant: &str,
        deployable: &str,
    ) -> Result<Read, String> {
        let keys = Keys::new(domain);
        let mut conn = self.connect().await?;
        // A reader one revision behind finds its version; one further behind may find it
        // pruned, and reads the current revision again.
        for _ in 0..3 {
            let Some((revision, generation)) = self.current_of(&mut conn, &keys).await? else {
                return Ok(Read::Empty);
            };
            let get = |key: String| redis::cmd("GET").arg(key).clone();
            let mut found: Option<Vec<u8>> = self
                .query(
                    &mut conn,
                    &get(keys.config(generation, tier, tenant, deployable)),
                )
                .await?;
            let mut bytes = found.as_deref().and_then(|v| version_at(v, revision));
            // Not a tenant of this revision (never, or gone): perhaps an alias.
            if bytes.is_none_or(<[u8]>::is_empty) {
                let alias: Option<Vec<u8>> = self
                    .query(&mut conn, &get(keys.alias(generation, tenant)))
                    .await?;
                match through_alias(alias.as_deref(), bytes.is_some(), revision) {
                    Alias::Names(name) => {
                        let own_name = String::from_utf8_lossy(name).into_owned();
                        found = self
                            .query(
                                &mut conn,
                                &get(keys.config(generation, tier, &own_name, deployable)),
                            )
                            .await?;
                        bytes = found.as_deref().and_then(|v| version_at(v, revision));
                    }
                    Alias::Missing => return Ok(Read::Missing(revision)),
                    Alias::Unknown => bytes = None,
                }
            }
            match bytes {
                Some([]) => return Ok(Read::Missing(revision)),
                Some(packed) => {
                    let config = rmp_serde::from_slice(packed)
                        .map_err(|e| format!("a config in Redis is not MessagePack: {e}"))?;
                    return Ok(Read::Config(config, revision));
                }
                None => {
                    let again = self.current_of(&mut conn, &keys).await?;
                    if again == Some((revision, generation)) {
                        return Ok(Read::Missing(revision));
                    }
                }
            }
        }
        Err(self.failed("the current revision kept moving while reading"))
    }

    /// Writes `compiled` and makes it current, unless the same or a newer revision is.
    /// `previous` is the revision the caller compiled it from: when Redis names it current
    /// (and no writer stopped half-way since), only the configs that differ are written as new
    /// versions; otherwise the revision is written whole into a new generation. Idempotent, so
    /// a failed publication can simply be compiled again.
    pub async fn compile(
        &self,
        domain: &str,
        compiled: &Compiled,
        previous: Option<&Compiled>,
    ) -> Result<Written, String> {
        let keys = Keys::new(domain);
        let mut conn = self.connect().await?;
        let token = token();
        let taken: Option<String> = self
            .query(
                &mut conn,
                redis::cmd("SET")
                    .arg(keys.lock())
                    .arg(&token)
                    .arg("NX")
                    .arg("PX")
                    .arg(LOCK.as_millis() as u64),
            )
            .await?;
        if taken.is_none() {
            return Err(format!(
                "another process is writing into the Redis cache at {}; trying again later",
                self.location
            ));
        }
        let written = self
            .write(&mut conn, &keys, &token, compiled, previous)
            .await;
        // Released by the switch on success; otherwise here, so the next attempt need not
        // wait for it to expire (the dirty mark stays: that attempt writes whole).
        let _: Result<i64, String> = self
            .query(
                &mut conn,
                redis::cmd("EVAL")
                    .arg(UNLOCK)
                    .arg(1)
                    .arg(keys.lock())
                    .arg(&token),
            )
            .await;
        written
    }

    async fn write(
        &self,
        conn: &mut Conn,
        keys: &Keys,
        token: &str,
        compiled: &Compiled,
        previous: Option<&Compiled>,
    ) -> Result<Written, String> {
        let revision = compiled.revision;
        let current = self.current_of(conn, keys).await?;
        if current.is_some_and(|(r, _)| r >= revision) {
            return Ok(Written {
                configs: 0,
                gone: 0,
                whole: false,
            });
        }
        let dirty: Option<i64> = self
            .query(conn, redis::cmd("GET").arg(keys.dirty()))
            .await?;
        let base = match (previous, current) {
            (Some(previous), Some((r, generation)))
                if previous.revision == r && dirty != Some(generation) =>
            {
                Some((previous, generation))
            }
            _ => None,
        };
        let mut batch;
        let mut packing = Packing::default();
        let (generation, whole, configs, removed) = match base {
            Some((base, generation)) => {
                let sha: String = self
                    .query(conn, redis::cmd("SCRIPT").arg("LOAD").arg(SET_ALL))
                    .await?;
                batch = Batch::new(self, Some((sha, keys.lock(), token.to_owned())));
                let _: () = self
                    .query(conn, redis::cmd("SET").arg(keys.dirty()).arg(generation))
                    .await?;
                // Each value composed from what both revisions hold, so nothing is read back.
                let previous = base.revision;
                let (changed, gone) = compiled.differences(base);
                let (configs, removed) = (changed.len(), gone.len());
                for (tier, tenant, deployable, json) in changed {
                    let key = keys.config(generation, tier, tenant, deployable);
                    let new = version(revision, packing.pack(json)?);
                    let old = base.config(tier, tenant, deployable);
                    let old = old.map(|old| packing.pack(old)).transpose()?;
                    batch.set(conn, key, beside(new, previous, old)).await?;
                }
                // Gone is a version too, not a deletion: a writer that stops before its switch
                // must not take away what readers of the current revision read. (Gone keys go
                // with their generation.)
                for (tier, tenant, deployable) in gone {
                    let key = keys.config(generation, tier, tenant, deployable);
                    let old = base.config(tier, tenant, deployable);
                    let old = old.map(|old| packing.pack(old)).transpose()?;
                    let value = beside(version(revision, &[]), previous, old);
                    batch.set(conn, key, value).await?;
                }
                let (aliases, gone) = compiled.alias_differences(base);
                for (alias, tenant) in aliases {
                    let old = base.alias(alias).map(str::as_bytes);
                    let value = beside(version(revision, tenant.as_bytes()), previous, old);
                    batch
                        .set(conn, keys.alias(generation, alias), value)
                        .await?;
                }
                for alias in gone {
                    let old = base.alias(alias).map(str::as_bytes);
                    let value = beside(version(revision, &[]), previous, old);
                    batch
                        .set(conn, keys.alias(generation, alias), value)
                        .await?;
                }
                (generation, false, configs, removed)
            }
            None => {
                batch = Batch::new(self, None);
                let generation: i64 = self
                    .query(conn, redis::cmd("INCR").arg(keys.generations()))
                    .await?;
                let abandoned = self.now(conn).await? + ABANDONED.as_secs();
                let _: () = self
                    .query(
                        conn,
                        redis::cmd("ZADD")
                            .arg(keys.reap())
                            .arg(abandoned)
                            .arg(generation),
                    )
                    .await?;
                for (tier, tenant, deployable, json) in compiled.configs() {
                    let key = keys.config(generation, tier, tenant, deployable);
                    let value = version(revision, packing.pack(json)?);
                    batch.set(conn, key, value).await?;
                }
                for (alias, tenant) in compiled.aliases() {
                    let value = version(revision, tenant.as_bytes());
                    batch
                        .set(conn, keys.alias(generation, alias), value)
                        .await?;
                }
                (generation, true, compiled.len(), 0)
            }
        };
        batch.finish(conn).await?;
        let reap_at = self.now(conn).await? + GRACE.as_secs();
        let before: i64 = self
            .query(
                conn,
                redis::cmd("EVAL")
                    .arg(SWITCH)
                    .arg(4)
                    .arg(keys.current())
                    .arg(keys.lock())
                    .arg(keys.dirty())
                    .arg(keys.reap())
                    .arg(revision)
                    .arg(generation)
                    .arg(token)
                    .arg(reap_at)
                    .arg(keys.channel()),
            )
            .await?;
        if before == -1 {
            return Err(format!(
                "lost the lock on the Redis cache at {} while writing revision {revision}",
                self.location
            ));
        }
        Ok(Written {
            configs,
            gone: removed,
            whole,
        })
    }

    /// Removes part of a superseded generation whose grace period is over: at most
    /// [`SCANS_PER_REAP`] SCAN calls, each followed by an UNLINK of what it found, so Redis is
    /// never busy for long. Answers how many keys it removed.
    pub async fn reap(&self, domain: &str) -> Result<usize, String> {
        let keys = Keys::new(domain);
        let mut conn = self.connect().await?;
        let (generation, mut cursor) = {
            let reaping: Option<String> = self
                .query(&mut conn, redis::cmd("GET").arg(keys.reaping()))
                .await?;
            let parsed = reaping.as_deref().and_then(|r| {
                let (generation, cursor) = r.split_once(' ')?;
                Some((generation.parse::<i64>().ok()?, cursor.parse::<u64>().ok()?))
            });
            match parsed {
                Some(reaping) => reaping,
                None => {
                    let now = self.now(&mut conn).await?;
                    let due: Vec<i64> = self
                        .query(
                            &mut conn,
                            redis::cmd("ZRANGE")
                                .arg(keys.reap())
                                .arg(now)
                                .arg("-inf")
                                .arg("BYSCORE")
                                .arg("REV")
                                .arg("LIMIT")
                                .arg(0)
                                .arg(1),
                        )
                        .await?;
                    match due.first() {
                        Some(generation) => (*generation, 0),
                        None => return Ok(0),
                    }
                }
            }
        };
        // Never the current generation, whatever the schedule says.
        if self
            .current_of(&mut conn, &keys)
            .await?
            .is_some_and(|(_, current)| current == generation)
        {
            self.reaped(&mut conn, &keys, generation).await?;
            return Ok(0);
        }
        let pattern = format!("{}*", keys.generation(generation));
        let mut removed = 0;
        for _ in 0..SCANS_PER_REAP {
            let (next, found): (u64, Vec<String>) = self
                .query(
                    &mut conn,
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(SCAN_COUNT),
                )
                .await?;
            if !found.is_empty() {
                removed += found.len();
                let _: () = self
                    .query(&mut conn, redis::cmd("UNLINK").arg(found))
                    .await?;
            }
            cursor = next;
            if cursor == 0 {
                self.reaped(&mut conn, &keys, generation).await?;
                return Ok(removed);
            }
        }
        let _: () = self
            .query(
                &mut conn,
                redis::cmd("SET")
                    .arg(keys.reaping())
                    .arg(format!("{generation} {cursor}")),
            )
            .await?;
        Ok(removed)
    }

    /// Takes `generation` off the schedule, and forgets where its removal had got to.
    async fn reaped(&self, conn: &mut Conn, keys: &Keys, generation: i64) -> Result<(), String> {
        redis::pipe()
            .zrem(keys.reap(), generation)
            .ignore()
            .del(keys.reaping())
            .ignore()
            .query_async(conn)
            .await
            .map_err(|e| self.failed(e))
    }
}

/// Packs the configs of one compilation, each config it shares among tenants once: those
/// are one allocation, told apart by where their bytes are (borrowed for `'a`, so no other
/// config can take their place meanwhile). Remembers what it packed up to
/// [`Packing::KEPT_BYTES`]; past that it packs each config as it comes.
#[derive(Default)]
struct Packing<'a> {
    packed: std::collections::HashMap<(usize, usize), Vec<u8>>,
    kept_bytes: usize,
    last: Vec<u8>,
    configs: std::marker::PhantomData<&'a [u8]>,
}

impl<'a> Packing<'a> {
    const KEPT_BYTES: usize = 16 << 20;

    fn pack(&mut self, json: &'a [u8]) -> Result<&[u8], String> {
        let at = (json.as_ptr() as usize, json.len());
        if self.packed.contains_key(&at) {
            return Ok(&self.packed[&at]);
        }
        let packed = pack(json)?;
        if self.kept_bytes + packed.len() <= Self::KEPT_BYTES {
            self.kept_bytes += packed.len();
            return Ok(self.packed.entry(at).or_insert(packed));
        }
        self.last = packed;
        Ok(&self.last)
    }
}

fn pack(json: &[u8]) -> Result<Vec<u8>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("a compiled config: {e}"))?;
    rmp_serde::to_vec(&value).map_err(|e| format!("MessagePack: {e}"))
}

/// Values to set, sent [`BATCH`] at a time by tasks of their own (made into a command and sent
/// on another core while this one composes the next batch), up to [`IN_FLIGHT`] batches at
/// once: into a new
/// generation, one plain `MSET`; beside the versions readers have, one [`SET_ALL`] that sets
/// them only while the lock holds. Each key is written once per publication, so the batches
/// may land in any order.
struct Batch<'a> {
    cache: &'a RedisCache,
    /// The loaded [`SET_ALL`] script, the lock's key and the writer's token; `None` when
    /// writing a new generation whole.
    fence: Option<(String, String, String)>,
    keys: Vec<String>,
    values: Vec<Vec<u8>>,
    /// Dropped with the batch when the write stops early: what is still on its way is
    /// cancelled, not left to land in a generation given up.
    in_flight: tokio::task::JoinSet<redis::RedisResult<()>>,
}

impl<'a> Batch<'a> {
    fn new(cache: &'a RedisCache, fence: Option<(String, String, String)>) -> Batch<'a> {
        Batch {
            cache,
            fence,
            keys: Vec::with_capacity(BATCH),
            values: Vec::with_capacity(BATCH),
            in_flight: tokio::task::JoinSet::new(),
        }
    }

    async fn set(&mut self, conn: &Conn, key: String, value: Vec<u8>) -> Result<(), String> {
        self.keys.push(key);
        self.values.push(value);
        if self.keys.len() >= BATCH {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Sends what is queued, once fewer than [`IN_FLIGHT`] batches are on their way.
    async fn flush(&mut self, conn: &Conn) -> Result<(), String> {
        if !self.keys.is_empty() {
            let keys = std::mem::replace(&mut self.keys, Vec::with_capacity(BATCH));
            let values = std::mem::replace(&mut self.values, Vec::with_capacity(BATCH));
            let fence = self.fence.clone();
            let mut conn = conn.clone();
            self.in_flight.spawn(async move {
                let mut cmd;
                match &fence {
                    None => cmd = redis::cmd("MSET"),
                    Some((sha, lock, token)) => {
                        cmd = redis::cmd("EVALSHA");
                        cmd.arg(sha)
                            .arg(keys.len() + 1)
                            .arg(&keys)
                            .arg(lock)
                            .arg(token);
                    }
                }
                for (key, value) in keys.iter().zip(&values) {
                    cmd.arg(key).arg(value);
                }
                cmd.query_async::<()>(&mut conn).await
            });
        }
        while self.in_flight.len() >= IN_FLIGHT {
            self.landed().await?;
        }
        Ok(())
    }

    /// Sends what is queued and waits until every batch has landed.
    async fn finish(&mut self, conn: &Conn) -> Result<(), String> {
        self.flush(conn).await?;
        while !self.in_flight.is_empty() {
            self.landed().await?;
        }
        Ok(())
    }

    async fn landed(&mut self) -> Result<(), String> {
        match self.in_flight.join_next().await {
            Some(Ok(result)) => result.map_err(|e| self.cache.failed(e)),
            Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Some(Err(e)) => Err(self.cache.failed(e)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_takes_the_newest_version_at_or_before_its_revision() {
        let mut value = version(7, b"seven");
        value.extend(version(3, b"three:with:colons"));
        assert_eq!(version_at(&value, 9), Some(&b"seven"[..]));
        assert_eq!(version_at(&value, 7), Some(&b"seven"[..]));
        assert_eq!(version_at(&value, 6), Some(&b"three:with:colons"[..]));
        assert_eq!(version_at(&value, 2), None);
        let gone = version(8, b"");
        assert_eq!(version_at(&gone, 8), Some(&b""[..]));
        assert_eq!(version_at(b"8:99:short", 8), None, "a cut value is nothing");
        assert_eq!(parse_current("12 3"), Some((12, 3)));
        assert_eq!(parse_current("12"), None);
    }

    #[test]
    fn a_new_version_keeps_the_one_readers_of_the_previous_revision_read() {
        let mut expected = version(9, b"nine");
        expected.extend(version(7, b"seven"));
        let value = beside(version(9, b"nine"), 7, Some(b"seven"));
        assert_eq!(value, expected);
        assert_eq!(version_at(&value, 8), Some(&b"seven"[..]));
        assert_eq!(version_at(&value, 6), None, "older ones are gone");
        assert_eq!(beside(version(9, b"nine"), 7, None), version(9, b"nine"));
        let gone = beside(version(9, b""), 7, Some(b"seven"));
        assert_eq!(version_at(&gone, 9), Some(&b""[..]));
        assert_eq!(version_at(&gone, 7), Some(&b"seven"[..]));
    }

    /// A reader behind the current revision, whose name is gone as a tenant and whose alias
    /// key no longer holds its revision's version, reads `current` again instead of answering
    /// that the config is missing.
    #[test]
    fn a_reader_behind_reads_current_again_when_the_alias_version_it_needs_is_gone() {
        let mut alias = version(8, b"u");
        alias.extend(version(7, b"t"));
        assert_eq!(through_alias(Some(&alias), true, 6), Alias::Unknown);
        assert_eq!(through_alias(Some(&alias), false, 6), Alias::Unknown);
        assert_eq!(through_alias(Some(&alias), true, 7), Alias::Names(b"t"));
        assert_eq!(
            through_alias(Some(&version(5, b"")), true, 6),
            Alias::Missing
        );
        assert_eq!(through_alias(None, true, 6), Alias::Missing);
        assert_eq!(through_alias(None, false, 6), Alias::Unknown);
    }

    /// The script that sets a batch refuses a writer whose token no longer holds the lock,
    /// and sets nothing then. Against the Redis the tests use.
    #[tokio::test]
    async fn a_batch_is_set_only_while_its_writer_holds_the_lock() {
        let url = std::env::var("STRATA_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let client = redis::Client::open(url).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let prefix = format!("strata-test:{{{}}}", token());
        let (lock, a, b) = (
            format!("{prefix}:lock"),
            format!("{prefix}:a"),
            format!("{prefix}:b"),
        );
        let sha: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(SET_ALL)
            .query_async(&mut conn)
            .await
            .unwrap();
        let set = |token: &str, value: &str| {
            let mut cmd = redis::cmd("EVALSHA");
            cmd.arg(&sha).arg(3).arg(&a).arg(&b).arg(&lock).arg(token);
            cmd.arg(&a).arg(value).arg(&b).arg(value);
            cmd
        };
        let _: () = redis::cmd("SET")
            .arg(&lock)
            .arg("mine")
            .query_async(&mut conn)
            .await
            .unwrap();
        let set_two: i64 = set("mine", "one").query_async(&mut conn).await.unwrap();
        assert_eq!(set_two, 2);
        let _: () = redis::cmd("SET")
            .arg(&lock)
            .arg("theirs")
            .query_async(&mut conn)
            .await
            .unwrap();
        let refused = set("mine", "two").query_async::<i64>(&mut conn).await;
        assert!(
            refused
                .as_ref()
                // Redis answers the script's error as code "lost", detail "the lock".
                .is_err_and(|e| e.to_string() == r#""lost": the lock"#),
            "{refused:?}"
        );
        let values: Vec<String> = redis::cmd("MGET")
            .arg(&a)
            .arg(&b)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(values, ["one", "one"]);
        let _: () = redis::cmd("DEL")
            .arg(&lock)
            .arg(&a)
            .arg(&b)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}
