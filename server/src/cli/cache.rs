//! `strata cache rebuild|watch`: compiles the origin's current revision into Redis, without a
//! database — for caches in another region, or after Redis lost its data.

use crate::cache::CacheSetting;
use crate::cli::CliError;
use crate::cli::args::CacheAction;
use crate::config::Settings;
use crate::origin::fetch_current;
use crate::redis_cache::RedisCache;
use crate::served::compile_fetched;

/// Compiles the origin's current revision into Redis; with `Watch`, again whenever HEAD moves.
pub async fn cache(settings: &Settings, action: CacheAction) -> Result<(), CliError> {
    let CacheSetting::Redis { client, location } = &settings.cache else {
        return Err(CliError::input(
            "STRATA_REDIS_URL",
            "the cache commands write to Redis: give --redis-url or STRATA_REDIS_URL",
        ));
    };
    let redis = RedisCache::new(client.clone(), location.clone());
    let origin = settings.origin.open().await;
    let (tier, interval) = match &action {
        CacheAction::Rebuild { tier } => (tier.clone(), None),
        CacheAction::Watch {
            tier,
            interval_seconds,
        } => (
            tier.clone(),
            Some(std::time::Duration::from_secs(*interval_seconds)),
        ),
    };
    let mut compiled_tag = None;
    // Compiling from the previous revision recompiles only what changed; a tier given keeps
    // every revision to it.
    let mut previous = strata_domain::compile::Compiled::empty();
    if let Some(tier) = &tier {
        previous.retain_tier(tier);
    }
    let mut previous = std::sync::Arc::new(previous);
    let mut domain = None;
    loop {
        let tag = origin
            .head()
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?
            .map(|(_, tag)| tag);
        if tag.is_some() && tag != compiled_tag {
            let started = std::time::Instant::now();
            let fetched = fetch_current(&origin)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?
                .ok_or_else(|| CliError::Failed("the origin's HEAD went away".into()))?;
            let compiled = compile_fetched(&fetched, &previous)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let written = redis
                .compile(
                    &fetched.manifest.domain,
                    &compiled,
                    (previous.revision > 0).then_some(&*previous),
                )
                .await
                .map_err(CliError::Failed)?;
            println!(
                "compiled revision {} of domain {} from {} into {location}: {} configs written, {} gone{} in {} ms",
                compiled.revision,
                fetched.manifest.domain,
                settings.origin.location(),
                written.configs,
                written.gone,
                if written.whole { " (whole)" } else { "" },
                started.elapsed().as_millis()
            );
            compiled_tag = tag;
            previous = std::sync::Arc::new(compiled);
            domain = Some(fetched.manifest.domain);
        } else if tag.is_none() && interval.is_none() {
            return Err(CliError::Failed(format!(
                "{} has no published revision yet",
                settings.origin.location()
            )));
        }
        // Generations this or an earlier run replaced, once their grace period is over: with
        // no server beside it, nobody else removes them.
        if let Some(domain) = &domain {
            while redis.reap(domain).await.map_err(CliError::Failed)? > 0 {}
        }
        match interval {
            None => return Ok(()),
            Some(interval) => tokio::time::sleep(interval).await,
        }
    }
}
