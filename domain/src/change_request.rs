//! A change request: a change set proposed for review instead of applied — its writes, what
//! happened to it, and the hash of its content that every approval names, so that an edit
//! voids the approvals given before it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::kind::Kind;
use crate::rules::{FieldError, lines_of_text};

/// The most writes one request proposes.
pub const MAX_WRITES: usize = 200;
/// The longest description and comment, in characters.
pub const MAX_TEXT: usize = 10_000;

/// One proposed write of an entity.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedWrite {
    pub kind: Kind,
    pub key: String,
    /// The entity's version the write was proposed on; none for a new entity.
    pub base_version: Option<i64>,
    /// The entity as the write leaves it (its image, as the API answers it, without
    /// `version`); none to delete it.
    pub image: Option<Value>,
}

/// Where a request stands.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for review, approval or its author.
    Open,
    /// Applied as one change set.
    Applied,
    /// A reviewer turned it down.
    Rejected,
    /// Its author took it back.
    Withdrawn,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Applied => "applied",
            RequestState::Rejected => "rejected",
            RequestState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<RequestState> {
        [
            RequestState::Open,
            RequestState::Applied,
            RequestState::Rejected,
            RequestState::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// What happened to a request: each is one line of its history.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestEvent {
    Proposed,
    /// Its author changed its writes, title or description: approvals given before are void.
    Edited,
    /// Its author took in what changed meanwhile: approvals given before are void.
    Rebased,
    Commented,
    Approved,
    ChangesRequested,
    Rejected,
    Withdrawn,
    Applied,
}

impl RequestEvent {
    pub const ALL: [RequestEvent; 9] = [
        RequestEvent::Proposed,
        RequestEvent::Edited,
        RequestEvent::Rebased,
        RequestEvent::Commented,
        RequestEvent::Approved,
        RequestEvent::ChangesRequested,
        RequestEvent::Rejected,
        RequestEvent::Withdrawn,
        RequestEvent::Applied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestEvent::Proposed => "proposed",
            RequestEvent::Edited => "edited",
            RequestEvent::Rebased => "rebased",
            RequestEvent::Commented => "commented",
            RequestEvent::Approved => "approved",
            RequestEvent::ChangesRequested => "changes_requested",
            RequestEvent::Rejected => "rejected",
            RequestEvent::Withdrawn => "withdrawn",
            RequestEvent::Applied => "applied",
        }
    }

    pub fn parse(text: &str) -> Option<RequestEvent> {
        RequestEvent::ALL.into_iter().find(|e| e.as_str() == text)
    }

    /// In words, for a request's history: "approved", "requested changes".
    pub fn words(self) -> &'static str {
        match self {
            RequestEvent::ChangesRequested => "requested changes",
            RequestEvent::Withdrawn => "withdrew it",
            RequestEvent::Rejected => "rejected it",
            RequestEvent::Applied => "applied it",
            RequestEvent::Proposed => "proposed it",
            RequestEvent::Approved => "approved",
            RequestEvent::Edited => "edited it",
            RequestEvent::Rebased => "rebased it",
            RequestEvent::Commented => "commented",
        }
    }
}

/// What a reviewer says of a request.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Only a comment.
    Comment,
    Approve,
    RequestChanges,
    /// Turns it down for good.
    Reject,
}

impl Verdict {
    pub fn event(self) -> RequestEvent {
        match self {
            Verdict::Comment => RequestEvent::Commented,
            Verdict::Approve => RequestEvent::Approved,
            Verdict::RequestChanges => RequestEvent::ChangesRequested,
            Verdict::Reject => RequestEvent::Rejected,
        }
    }
}

/// The hash of what a request proposes — title, description and every write with the version
/// it was proposed on — as SHA-256 in hex. An approval names it; it is valid only while the
/// request still has it.
pub fn content_hash(title: &str, description: &str, writes: &[ProposedWrite]) -> String {
    #[derive(Serialize)]
    struct Content<'a> {
        title: &'a str,
        description: &'a str,
        writes: &'a [ProposedWrite],
    }
    let bytes = serde_json::to_vec(&Content {
        title,
        description,
        writes,
    })
    .expect("plain data serializes");
    hex::encode(Sha256::digest(bytes))
}

/// The most characters a request's title has.
pub const TITLE_CHARS: usize = 120;

/// A request's title: one line, 1 to [`TITLE_CHARS`] characters.
pub fn check_title(title: &str) -> Result<(), FieldError> {
    if title.trim().is_empty() {
        return Err(FieldError::new(
            "/title",
            "say in a few words what this changes",
        ));
    }
    if title.chars().count() > TITLE_CHARS {
        return Err(FieldError::new(
            "/title",
            format!("at most {TITLE_CHARS} characters"),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(FieldError::new(
            "/title",
            "one line of text, without control characters",
        ));
    }
    Ok(())
}

/// A description or comment: text of at most [`MAX_TEXT`] characters, line breaks and tabs
/// allowed, no other control characters (they would steer a terminal).
pub fn check_text(field: &str, text: &str) -> Result<(), FieldError> {
    if text.chars().count() > MAX_TEXT {
        return Err(FieldError::new(
            field,
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    lines_of_text(field, text)
}

/// A request's writes: at least one, at most [`MAX_WRITES`], each entity written once, each a
/// change (an image, or a deletion of something that exists).
pub fn check_writes(writes: &[ProposedWrite]) -> Result<(), FieldError> {
    if writes.is_empty() {
        return Err(FieldError::new("/writes", "propose at least one write"));
    }
    if writes.len() > MAX_WRITES {
        return Err(FieldError::new(
            "/writes",
            format!("at most {MAX_WRITES} writes in one request"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, write) in writes.iter().enumerate() {
        if !seen.insert((write.kind, write.key.as_str())) {
            return Err(FieldError::new(
                format!("/writes/{i}/key"),
                format!("{} {:?} is written twice", write.kind.name(), write.key),
            ));
        }
        match (&write.image, write.base_version) {
            (None, None) => {
                return Err(FieldError::new(
                    format!("/writes/{i}/base_version"),
                    "a deletion names the version it deletes",
                ));
            }
            (Some(image), _) if !image.is_object() => {
                return Err(FieldError::new(
                    format!("/writes/{i}/image"),
                    "an entity is a JSON object",
                ));
            }
            (_, Some(version)) if version < 1 => {
                return Err(FieldError::new(
                    format!("/writes/{i}/base_version"),
                    "a version counts from 1",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A comment pinned to a place in an entity: a JSON pointer ("" for the whole, or "/a/b").
pub fn check_pointer(pointer: &str) -> Result<(), FieldError> {
    if !(pointer.is_empty() || pointer.starts_with('/')) || pointer.chars().count() > 500 {
        return Err(FieldError::new(
            "/pointer",
            "a JSON pointer: empty, or starting with / (at most 500 characters)",
        ));
    }
    check_text("/pointer", pointer)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn write(version: Option<i64>, image: Option<Value>) -> ProposedWrite {
        ProposedWrite {
            kind: Kind::ConfigLayer,
            key: "web-api/tier/LIVE".into(),
            base_version: version,
            image,
        }
    }

    #[test]
    fn the_hash_changes_with_any_part_of_the_content() {
        let writes = vec![write(Some(3), Some(json!({"config": {"a": 1}})))];
        let hash = content_hash("t", "d", &writes);
        assert_eq!(hash, content_hash("t", "d", &writes));
        assert_ne!(hash, content_hash("t2", "d", &writes));
        assert_ne!(hash, content_hash("t", "d2", &writes));
        let edited = vec![write(Some(3), Some(json!({"config": {"a": 2}})))];
        assert_ne!(hash, content_hash("t", "d", &edited));
        let rebased = vec![write(Some(4), Some(json!({"config": {"a": 1}})))];
        assert_ne!(hash, content_hash("t", "d", &rebased));
        // Fields cannot run into each other.
        assert_ne!(content_hash("ab", "c", &[]), content_hash("a", "bc", &[]));
    }

    #[test]
    fn writes_are_checked_as_a_set() {
        assert!(check_writes(&[]).is_err());
        let one = write(Some(1), Some(json!({})));
        assert!(check_writes(std::slice::from_ref(&one)).is_ok());
        assert_eq!(
            check_writes(&[one.clone(), one]).unwrap_err().field,
            "/writes/1/key"
        );
        assert_eq!(
            check_writes(&[write(None, None)]).unwrap_err().field,
            "/writes/0/base_version"
        );
        assert_eq!(
            check_writes(&[write(None, Some(json!([])))])
                .unwrap_err()
                .field,
            "/writes/0/image"
        );
    }

    #[test]
    fn titles_are_one_line_and_comments_any_text() {
        assert!(check_title("Raise LIVE's timeout").is_ok());
        assert!(check_title(" ").is_err());
        assert!(check_title("two\nlines").is_err());
        assert!(check_text("/comment", "a\nb\t</textarea><script>").is_ok());
        assert!(check_text("/comment", "bell\u{7}").is_err());
        assert!(check_pointer("/config/timeout").is_ok());
        assert!(check_pointer("config").is_err());
    }
}
