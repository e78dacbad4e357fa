//! The kind of entity a path of the API names, by its segment (`tenants`, `config-layers`).

use strata_domain::kind::Kind;

use super::error::ApiError;

/// The kind whose path segment is `segment`; else "not found", naming the kinds there are.
pub fn kind_at(segment: &str) -> Result<Kind, ApiError> {
    Kind::ALL
        .into_iter()
        .find(|k| k.path() == segment)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no such kind {segment:?}: one of {}",
                Kind::ALL.map(Kind::path).join(", ")
            ))
        })
}
