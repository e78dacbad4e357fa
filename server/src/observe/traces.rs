//! Optional export of the server's spans to an OpenTelemetry collector, by OTLP over HTTP
//! (JSON), when `STRATA_OTLP_ENDPOINT` names one (e.g. `http://otel-collector:4318`); off by
//! default. The spans are those the log names (requests, commits, validation, previews,
//! publications; config reads by sample), with their fields as attributes, under the service
//! name `strata`. They are sent in batches from a thread of their own, so a slow or absent
//! collector never holds up a request: what it cannot take in time is dropped.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::config::SettingError;

/// The path of traces under a collector's OTLP/HTTP address.
const TRACES_PATH: &str = "/v1/traces";

/// Spans on their way to a collector. Dropped (or [`Exporting::finish`]ed) when the process
/// ends: what is still buffered is sent first.
pub struct Exporting {
    provider: SdkTracerProvider,
}

impl Exporting {
    /// Sends what is buffered, and stops.
    pub fn finish(self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "the last spans could not be sent to the collector");
        }
    }
}

/// `STRATA_OTLP_ENDPOINT`'s value as the URL traces are posted to: a collector's address
/// (`http://host:4318`), or already its traces URL.
pub fn traces_url(endpoint: &str) -> Result<String, SettingError> {
    let endpoint = endpoint.trim().trim_end_matches('/');
    // Said without a password it may hold.
    let shown = strata_domain::health::location_of(endpoint);
    let parsed = url::Url::parse(endpoint).map_err(|e| {
        SettingError::new(
            "STRATA_OTLP_ENDPOINT",
            format!("{shown:?} is not a URL ({e}); expected http://HOST:4318"),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(SettingError::new(
            "STRATA_OTLP_ENDPOINT",
            format!("{shown:?} is not an http(s) address; expected http://HOST:4318"),
        ));
    }
    Ok(match endpoint.ends_with(TRACES_PATH) {
        true => endpoint.to_owned(),
        false => format!("{endpoint}{TRACES_PATH}"),
    })
}

/// A tracing layer exporting spans to the collector at `endpoint`, and what keeps it going.
pub fn exporting<S>(
    endpoint: &str,
) -> Result<
    (
        tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>,
        Exporting,
    ),
    SettingError,
>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(traces_url(endpoint)?)
        .with_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| SettingError::new("STRATA_OTLP_ENDPOINT", e.to_string()))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name("strata")
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.version",
                    env!("CARGO_PKG_VERSION"),
                ))
                .build(),
        )
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("strata"));
    Ok((layer, Exporting { provider }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_is_a_collectors_address_or_its_traces_url() {
        assert_eq!(
            traces_url("http://collector:4318").unwrap(),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("https://otel.example.com/v1/traces/").unwrap(),
            "https://otel.example.com/v1/traces"
        );
        for bad in ["collector:4318", "ftp://collector", "", "http://"] {
            let error = traces_url(bad).unwrap_err();
            assert_eq!(error.variable, "STRATA_OTLP_ENDPOINT", "{bad}");
        }
        let error = traces_url("ftp://otel:hunter2@collector").unwrap_err();
        assert!(!error.why.contains("hunter2"), "{}", error.why);
    }
}
