//! The log: to stderr, as text for people (the default) or as one JSON object per line for a
//! log pipeline (`STRATA_LOG_FORMAT=json`): time, level, target, the message and its fields,
//! and every span it happened in with theirs (the request's id, route, actor…). What is
//! logged is chosen by `RUST_LOG` (default: info, with sqlx's queries at warn); the same
//! spans go to an OpenTelemetry collector when one is named ([`super::traces`]).

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use super::traces::{self, Exporting};
use crate::config::SettingError;

/// What is logged when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    /// `STRATA_LOG_FORMAT`'s value; unset or empty is text.
    pub fn parse(text: Option<&str>) -> Result<LogFormat, SettingError> {
        match text.map(str::trim).unwrap_or_default() {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(SettingError::new(
                "STRATA_LOG_FORMAT",
                format!("{other:?} is not a log format; use json or text"),
            )),
        }
    }
}

/// What writes the log, in `format`, to `writer`.
fn log_layer<W>(format: LogFormat, writer: W) -> Box<dyn Layer<Registry> + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        // Colours only for a person at a terminal, not in a file or a pipe.
        LogFormat::Text => layer
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .boxed(),
        LogFormat::Json => layer
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .flatten_event(true)
            .boxed(),
    }
}

/// A subscriber writing `format` to `writer`, keeping what `filter` lets through.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    Box::new(
        tracing_subscriber::registry()
            .with(vec![log_layer(format, writer)])
            .with(filter),
    )
}

/// Logs to stderr in `format` for the rest of the process and, when `otlp_endpoint` names a
/// collector, exports the same spans there: keep what this answers until the process ends.
pub fn init(
    format: LogFormat,
    otlp_endpoint: Option<&str>,
) -> Result<Option<Exporting>, SettingError> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let mut layers = vec![log_layer(format, std::io::stderr)];
    let exporting = match otlp_endpoint.filter(|e| !e.trim().is_empty()) {
        Some(endpoint) => {
            let (layer, exporting) = traces::exporting::<Registry>(endpoint)?;
            layers.push(layer.boxed());
            Some(exporting)
        }
        None => None,
    };
    // Records of crates that log through `log` too. A second call keeps the first.
    let _ = tracing_subscriber::registry()
        .with(layers)
        .with(filter)
        .try_init();
    Ok(exporting)
}
