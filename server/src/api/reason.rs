//! Why a write is made, as the `Strata-Reason` header carries it. A reason is any text
//! (accents, CJK, emoji, right-to-left scripts, line breaks), and a header can hold only
//! visible ASCII and spaces reliably, so a reason travels in one of two forms:
//!
//! - as it is, when it is plain visible ASCII and spaces (`Strata-Reason: raise the limit`),
//!   or as raw UTF-8 bytes, which some clients send;
//! - percent-encoded UTF-8 after `UTF-8''`, the extended form of RFC 8187
//!   (`Strata-Reason: UTF-8''f%C3%BCr%20Berlin`), for any text, line breaks included.
//!
//! The command line sends the second form whenever the first cannot carry the text exactly.

use axum::http::{HeaderMap, HeaderValue};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use super::error::ApiError;

/// The header's name.
pub const HEADER: &str = "strata-reason";

/// The prefix of the percent-encoded form.
const EXTENDED: &str = "UTF-8''";

/// What is percent-encoded in the extended form: everything but RFC 8187's attr-char.
const NOT_ATTR_CHAR: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'%')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b',')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'{')
    .add(b'}');

/// `reason` as a header value that carries it exactly.
pub fn encode(reason: &str) -> String {
    let plain = reason.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        && after_prefix(reason).is_none()
        && reason.trim() == reason;
    match plain {
        true => reason.to_owned(),
        false => format!("{EXTENDED}{}", utf8_percent_encode(reason, NOT_ATTR_CHAR)),
    }
}

/// The reason a request gives ("" when it gives none: the store then refuses, naming
/// `/reason`), or a refusal naming the header when its text cannot be read.
pub fn decode(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(String::new());
    };
    text_of(value).map_err(|rule| ApiError::invalid("/reason", format!("Strata-Reason: {rule}")))
}

/// What follows `UTF-8''` (in any case) at the start of `text`, if it starts so.
fn after_prefix(text: &str) -> Option<&str> {
    text.get(..EXTENDED.len())
        .filter(|prefix| prefix.eq_ignore_ascii_case(EXTENDED))
        .map(|_| &text[EXTENDED.len()..])
}

fn text_of(value: &HeaderValue) -> Result<String, &'static str> {
    let raw = std::str::from_utf8(value.as_bytes()).map_err(
        |_| "not UTF-8 text: send it percent-encoded after UTF-8'' (UTF-8''f%C3%BCr%20Berlin)",
    )?;
    let Some(encoded) = after_prefix(raw) else {
        return Ok(raw.to_owned());
    };
    percent_decode_str(encoded)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| "what follows UTF-8'' must be percent-encoded UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(value: &str) -> Result<String, &'static str> {
        text_of(&HeaderValue::from_str(value).unwrap())
    }

    #[test]
    fn any_text_survives_the_round_trip_through_a_header() {
        let reasons = [
            "raise the limit to 50%",
            "für Berlin",
            "東京の設定",
            "🚀 launch",
            "עברית ו-English",
            "two\nlines\r\nand a tab\t",
            "  spaces around  ",
            "UTF-8''looks encoded",
            "utf-8''50%25 off",
            "utf-8''%FF",
            "quotes \" ' and </textarea><script>",
            "#$%&+=?",
        ];
        for reason in reasons {
            let header = encode(reason);
            assert!(
                HeaderValue::from_str(&header).is_ok(),
                "{reason:?} -> {header:?}"
            );
            assert_eq!(sent(&header).unwrap(), reason, "{header}");
        }
        // Plain text goes as it is, readable in logs and by hand.
        assert_eq!(encode("raise the limit to 50%"), "raise the limit to 50%");
        assert_eq!(encode("für Berlin"), "UTF-8''f%C3%BCr%20Berlin");
    }

    #[test]
    fn raw_utf8_is_read_and_bad_encodings_are_named() {
        let raw = HeaderValue::from_bytes("für Berlin".as_bytes()).unwrap();
        assert_eq!(text_of(&raw).unwrap(), "für Berlin");
        assert_eq!(sent("utf-8''caf%C3%A9").unwrap(), "café");
        assert!(text_of(&HeaderValue::from_bytes(b"\xff\xfe").unwrap()).is_err());
        assert!(
            sent("UTF-8''%FF")
                .unwrap_err()
                .contains("percent-encoded UTF-8")
        );
    }
}
