//! The compiled cache in Redis, for services in other processes and networks: each revision's
//! resolved configs in one hash, `strata:{domain}:rev:{R}`, field `TIER/tenant/deployable`,
//! value the config in MessagePack; aliases in `strata:{domain}:rev:{R}:aliases`. Then, in one
//! script, `strata:{domain}:current` moves to R (never backwards), the revision is published
//! on `strata:{domain}:revisions`, and the previous revision's keys expire after a grace
//! period, so readers that just read the old number still find its configs.

use std::time::Duration;

use strata_domain::compile::Compiled;

/// How long a superseded revision stays readable.
pub const GRACE: Duration = Duration::from_secs(300);
/// Fields written per round trip.
const BATCH: usize = 1000;

const SWITCH: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local new = tonumber(ARGV[1])
if current >= new then return current end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[1])
if current > 0 then
  redis.call('EXPIRE', ARGV[2] .. current, ARGV[3])
  redis.call('EXPIRE', ARGV[2] .. current .. ':aliases', ARGV[3])
end
return current
";

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
            prefix: format!("strata:{domain}"),
        }
    }
    pub fn current(&self) -> String {
        format!("{}:current", self.prefix)
    }
    pub fn channel(&self) -> String {
        format!("{}:revisions", self.prefix)
    }
    pub fn revision(&self, revision: i64) -> String {
        format!("{}:rev:{revision}", self.prefix)
    }
    pub fn aliases(&self, revision: i64) -> String {
        format!("{}:rev:{revision}:aliases", self.prefix)
    }
    pub fn field(tier: &str, tenant: &str, deployable: &str) -> String {
        format!("{tier}/{tenant}/{deployable}")
    }
}

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

    async fn connect(&self) -> Result<redis::aio::MultiplexedConnection, String> {
        tokio::time::timeout(
            Duration::from_secs(5),
            self.client.get_multiplexed_async_connection(),
        )
        .await
        .map_err(|_| self.failed("no answer within 5 s"))?
        .map_err(|e| self.failed(e))
    }

    /// The revision Redis names current for `domain`; `None` when it names none (never
    /// compiled, or Redis restarted empty).
    pub async fn current(&self, domain: &str) -> Result<Option<i64>, String> {
        let mut conn = self.connect().await?;
        redis::cmd("GET")
            .arg(Keys::new(domain).current())
            .query_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))
    }

    /// Takes the domain's repair lock for `ttl` unless another process holds it: one
    /// process at a time refills an emptied Redis. Answers whether it got it.
    pub async fn lock_repair(&self, domain: &str, ttl: Duration) -> Result<bool, String> {
        let mut conn = self.connect().await?;
        let taken: Option<String> = redis::cmd("SET")
            .arg(format!("{}:repair", Keys::new(domain).prefix))
            .arg(std::process::id())
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))?;
        Ok(taken.is_some())
    }

    /// Writes `compiled` and makes it current unless a newer revision is. Idempotent, so a
    /// failed publication can simply be compiled again. When `previous` is the revision Redis
    /// holds as current, its hash is copied inside Redis and only the configs that differ are
    /// written. Answers how many configs were written.
    pub async fn compile(
        &self,
        domain: &str,
        compiled: &Compiled,
        previous: Option<&Compiled>,
    ) -> Result<usize, String> {
        let keys = Keys::new(domain);
        let mut conn = self.connect().await?;
        let revision = compiled.revision;
        let hash = keys.revision(revision);
        let aliases = keys.aliases(revision);
        // A failed attempt may have left part of the hash: start it over.
        let _: () = redis::pipe()
            .del(&hash)
            .del(&aliases)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))?;
        // Only from the revision Redis names current: that one was written whole.
        let mut base = None;
        if let Some(previous) = previous.filter(|p| p.revision < revision) {
            let current: Option<i64> = redis::cmd("GET")
                .arg(keys.current())
                .query_async(&mut conn)
                .await
                .map_err(|e| self.failed(e))?;
            if current == Some(previous.revision) {
                let copied: i64 = redis::cmd("COPY")
                    .arg(keys.revision(previous.revision))
                    .arg(&hash)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| self.failed(e))?;
                if copied == 1 {
                    base = Some(previous);
                }
            }
        }
        let (changed, gone) = match base {
            Some(base) => compiled.differences(base),
            None => (compiled.configs().collect(), Vec::new()),
        };
        let mut fields = Vec::with_capacity(BATCH);
        let mut written = 0;
        for (tier, tenant, deployable, json) in changed {
            let value: serde_json::Value =
                serde_json::from_slice(json).map_err(|e| format!("a compiled config: {e}"))?;
            let packed = rmp_serde::to_vec(&value).map_err(|e| format!("MessagePack: {e}"))?;
            fields.push((Keys::field(tier, tenant, deployable), packed));
            if fields.len() == BATCH {
                written += self.write(&mut conn, &hash, &mut fields).await?;
            }
        }
        written += self.write(&mut conn, &hash, &mut fields).await?;
        let gone: Vec<String> = gone
            .into_iter()
            .map(|(t, n, d)| Keys::field(t, n, d))
            .collect();
        for chunk in gone.chunks(BATCH) {
            let _: () = redis::cmd("HDEL")
                .arg(&hash)
                .arg(chunk)
                .query_async(&mut conn)
                .await
                .map_err(|e| self.failed(e))?;
        }
        let alias_fields: Vec<(&str, &str)> = compiled.aliases().collect();
        if !alias_fields.is_empty() {
            let _: () = redis::cmd("HSET")
                .arg(&aliases)
                .arg(alias_fields)
                .query_async(&mut conn)
                .await
                .map_err(|e| self.failed(e))?;
        }
        let before: i64 = redis::cmd("EVAL")
            .arg(SWITCH)
            .arg(2)
            .arg(keys.current())
            .arg(keys.channel())
            .arg(revision)
            .arg(format!("{}:rev:", keys.prefix))
            .arg(GRACE.as_secs())
            .query_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))?;
        if before > revision {
            // A newer revision is current already: this one is only kept for the grace period.
            let _: () = redis::pipe()
                .expire(&hash, GRACE.as_secs() as i64)
                .expire(&aliases, GRACE.as_secs() as i64)
                .query_async(&mut conn)
                .await
                .map_err(|e| self.failed(e))?;
        }
        Ok(written)
    }

    async fn write(
        &self,
        conn: &mut redis::aio::MultiplexedConnection,
        hash: &str,
        fields: &mut Vec<(String, Vec<u8>)>,
    ) -> Result<usize, String> {
        if fields.is_empty() {
            return Ok(0);
        }
        let n = fields.len();
        let _: () = redis::cmd("HSET")
            .arg(hash)
            .arg(&fields[..])
            .query_async(conn)
            .await
            .map_err(|e| self.failed(e))?;
        fields.clear();
        Ok(n)
    }
}
