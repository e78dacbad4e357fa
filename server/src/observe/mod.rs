//! What an operator sees of a running server: metrics for Prometheus, a span and an id for
//! every request, and the log's format.

pub mod logs;
pub mod metrics;
pub mod requests;
mod scrape;
pub mod traces;

pub use metrics::Metrics;
pub use requests::{Observed, RequestSpan};
pub use scrape::{Scrape, router};
