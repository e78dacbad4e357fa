//! The log: to stderr, as text for people (the default) or as one JSON object per line for a
//! log pipeline (`STRATA_LOG_FORMAT=json`): time, level, target, the message and its fields,
//! and every span it happened in with theirs (the request's id, route, actor…). What is
//! logged is chosen by `RUST_LOG` (default: info, with sqlx's queries at warn).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

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

/// A subscriber writing `format` to `writer`, keeping what `filter` lets through.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .with_current_span(false)
                .with_span_list(true)
                .flatten_event(true)
                .finish(),
        ),
    }
}

/// Logs to stderr in `format` for the rest of the process.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Records of crates that log through `log` too. A second call keeps the first.
    let _ = subscriber(format, filter, std::io::stderr).try_init();
}
