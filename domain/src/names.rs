//! Names of things in a domain. Each is a parse-don't-validate newtype: a value that exists
//! has passed its rule, so code that holds a `TierName` never checks it again.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a name was refused: which kind of name, what was given, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is not valid: {rule}")]
pub struct NameError {
    pub kind: &'static str,
    pub value: String,
    pub rule: &'static str,
}

/// Characters a rule allows after the first one.
#[derive(Clone, Copy)]
enum Alphabet {
    UpperDigits,
    LowerDigits,
    LowerDigitsDash,
    LowerDigitsDashDot,
}

impl Alphabet {
    fn allows(self, c: char) -> bool {
        match self {
            Alphabet::UpperDigits => c.is_ascii_uppercase() || c.is_ascii_digit(),
            Alphabet::LowerDigits => c.is_ascii_lowercase() || c.is_ascii_digit(),
            Alphabet::LowerDigitsDash => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
            Alphabet::LowerDigitsDashDot => {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
            }
        }
    }
}

/// A name rule: the regular expression from the design (for the OpenAPI document), spelled
/// as data so it needs no regex engine in the browser bundle, and in words for people: a
/// refusal and a form's hint say the whole rule, length included, never the expression.
struct Rule {
    kind: &'static str,
    pattern: &'static str,
    words: &'static str,
    /// Whether the first character must be a letter; else any of the alphabet.
    letter_first: bool,
    alphabet: Alphabet,
    min: usize,
    max: usize,
}

impl Rule {
    fn check(&self, value: &str) -> Result<(), NameError> {
        let len = value.chars().count();
        let mut chars = value.chars();
        let first_ok = chars.next().is_some_and(|c| {
            self.alphabet.allows(c) && (!self.letter_first || c.is_ascii_alphabetic())
        });
        if !first_ok || !chars.all(|c| self.alphabet.allows(c)) || len < self.min || len > self.max
        {
            return Err(NameError {
                kind: self.kind,
                value: value.to_owned(),
                rule: self.words,
            });
        }
        Ok(())
    }
}

/// What an alphabet allows, in words.
macro_rules! alphabet_words {
    (UpperDigits) => {
        "capital letters A–Z and digits"
    };
    (LowerDigits) => {
        "lower-case letters a–z and digits"
    };
    (LowerDigitsDash) => {
        "lower-case letters a–z, digits and dashes"
    };
    (LowerDigitsDashDot) => {
        "lower-case letters a–z, digits, dots and dashes"
    };
}

/// Product and tenant names: what [`check_prefix`] asks, in words.
macro_rules! after_prefix {
    () => {
        ", beginning with the organization's short name and a dash"
    };
}

/// A rule from its parts, its words made from the same parts, and what more it asks in
/// words: `starting with a letter`, or a sentence's end of its own.
macro_rules! rule {
    ($kind:literal, $pattern:literal, $min:literal to $max:literal, $alphabet:ident, starting with a letter) => {
        rule!(@ $kind, $pattern, $min, $max, $alphabet, true, ", starting with a letter")
    };
    ($kind:literal, $pattern:literal, $min:literal to $max:literal, $alphabet:ident $(, $then:expr)?) => {
        rule!(@ $kind, $pattern, $min, $max, $alphabet, false, concat!($($then)?))
    };
    (@ $kind:literal, $pattern:literal, $min:literal, $max:literal, $alphabet:ident, $letter_first:literal, $then:expr) => {
        Rule {
            kind: $kind,
            pattern: $pattern,
            words: concat!(
                $min,
                " to ",
                $max,
                " characters: ",
                alphabet_words!($alphabet),
                $then
            ),
            letter_first: $letter_first,
            alphabet: Alphabet::$alphabet,
            min: $min,
            max: $max,
        }
    };
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $rule:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        // Shared: a clone counts a reference instead of copying the text, so a million
        // resolved configs naming one tier hold its name once.
        pub struct $ty(std::sync::Arc<str>);

        /// Quoted like a string, so messages read `tenant "acme-eu"`.
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl $ty {
            const RULE: Rule = $rule;

            /// Accepts `value` if it follows the rule, else says which rule it breaks.
            pub fn parse(value: impl Into<String>) -> Result<Self, NameError> {
                let value = value.into();
                Self::RULE.check(&value)?;
                Ok(Self(value.into()))
            }

            /// The rule as the design writes it: a regular expression, for the OpenAPI
            /// document.
            pub const fn pattern() -> &'static str {
                Self::RULE.pattern
            }

            /// The whole rule in words, as refusals and form hints say it.
            pub const RULE_WORDS: &'static str = Self::RULE.words;

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Looked up by its text in maps keyed by names.
        impl std::borrow::Borrow<str> for $ty {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $ty {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, NameError> {
                Self::parse(value)
            }
        }

        impl From<$ty> for String {
            fn from(name: $ty) -> String {
                name.0.to_string()
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// A string following the rule, for the API's OpenAPI document.
        #[cfg(feature = "openapi")]
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": Self::RULE.pattern,
                    "description": Self::RULE.kind,
                })
            }
        }
    };
}

name_type!(
    /// An operating environment such as `LIVE` or `STAGING`.
    TierName,
    rule!("tier name", "^[A-Z][A-Z0-9]{2,19}$", 3 to 20, UpperDigits, starting with a letter)
);

name_type!(
    /// An organization's name, and also the rule for its short name.
    OrganizationName,
    rule!("organization name", "^[a-z0-9]{2,20}$", 2 to 20, LowerDigits)
);

name_type!(
    /// A service or application.
    DeployableName,
    rule!("deployable name", "^[a-z][a-z0-9-]{2,20}$", 3 to 21, LowerDigitsDash, starting with a letter)
);

name_type!(
    /// A product: `<organization short name>-<rest>`, checked against its organization by the
    /// store (see [`check_prefix`]).
    ProductName,
    rule!("product name", "^[a-z0-9-]{3,35}$", 3 to 35, LowerDigitsDash, after_prefix!())
);

name_type!(
    /// A tenant: `<organization short name>-<rest>`, unique across tiers.
    TenantName,
    rule!("tenant name", "^[a-z0-9-]{3,30}$", 3 to 30, LowerDigitsDash, after_prefix!())
);

name_type!(
    /// Another name a tenant answers to, unique among tenants: the tenant-name alphabet.
    TenantAlias,
    rule!("tenant alias", "^[a-z0-9-]{3,30}$", 3 to 30, LowerDigitsDash)
);

name_type!(
    /// The name of a whole configuration database, such as `strata` or `acme-games`.
    DomainName,
    rule!("domain name", "^[a-z][a-z0-9-]{1,39}$", 2 to 40, LowerDigitsDash, starting with a letter)
);

name_type!(
    /// An approval policy, such as `live-review`.
    PolicyName,
    rule!("policy name", "^[a-z][a-z0-9-]{2,39}$", 3 to 40, LowerDigitsDash, starting with a letter)
);

/// Product and tenant names begin with their organization's short name and a dash, and go on
/// after it.
pub fn check_prefix(
    field: &str,
    name: &str,
    short_name: &OrganizationName,
) -> Result<(), crate::rules::FieldError> {
    let prefix = format!("{short_name}-");
    if name.len() > prefix.len() && name.starts_with(&prefix) {
        return Ok(());
    }
    Err(crate::rules::FieldError::new(
        field,
        format!(
            "must begin with the organization's short name and a dash, {prefix:?}, and go on after it"
        ),
    ))
}

name_type!(
    /// A person who signs in to the console (and whom history names as the actor).
    UserName,
    rule!("user name", "^[a-z][a-z0-9.-]{1,31}$", 2 to 32, LowerDigitsDashDot, starting with a letter)
);

name_type!(
    /// An API token, as its holder and the tokens page call it ("deploy-bot").
    TokenName,
    rule!("token name", "^[a-z][a-z0-9.-]{1,31}$", 2 to 32, LowerDigitsDashDot, starting with a letter)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_names_are_upper_case_three_to_twenty_characters() {
        for ok in ["LIVE", "DEV", "STAGING2", "A1234567890123456789"] {
            assert!(TierName::parse(ok).is_ok(), "{ok} should be accepted");
        }
        for bad in [
            "",
            "LI",
            "live",
            "1LIVE",
            "LIVE-1",
            "A12345678901234567890",
            "LÏVE",
        ] {
            let err = TierName::parse(bad).unwrap_err();
            assert_eq!(err.kind, "tier name");
            assert_eq!(
                err.rule,
                "3 to 20 characters: capital letters A–Z and digits, starting with a letter"
            );
        }
    }

    #[test]
    fn organization_names_are_lower_case_letters_and_digits() {
        assert!(OrganizationName::parse("acme").is_ok());
        assert!(OrganizationName::parse("42").is_ok());
        for bad in ["a", "Acme", "ac-me", "abcdefghijklmnopqrstu"] {
            assert!(
                OrganizationName::parse(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn deployable_names_start_with_a_letter_and_may_hold_dashes() {
        assert!(DeployableName::parse("web-api").is_ok());
        for bad in ["1web", "we", "Web", "web_api", "a23456789012345678901x"] {
            assert!(
                DeployableName::parse(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn product_and_tenant_names_begin_with_the_short_name_and_a_dash() {
        let acme = OrganizationName::parse("acme").unwrap();
        assert!(check_prefix("/name", "acme-shop", &acme).is_ok());
        for bad in ["acme", "acme-", "acmeshop", "other-shop", "ac-me-shop"] {
            let err = check_prefix("/name", bad, &acme).unwrap_err();
            assert_eq!(err.field, "/name");
            assert!(err.rule.contains("\"acme-\""), "{}", err.rule);
        }
        assert!(ProductName::parse("acme-shop").is_ok());
        assert!(ProductName::parse("ab").is_err());
        assert!(TenantName::parse("a".repeat(31)).is_err());
        assert!(TenantAlias::parse("shop-eu").is_ok());
        assert!(TenantAlias::parse("Shop").is_err());
    }

    #[test]
    fn a_name_deserializes_only_when_it_follows_its_rule() {
        let tier: TierName = serde_json::from_str("\"LIVE\"").unwrap();
        assert_eq!(tier.as_str(), "LIVE");
        let err = serde_json::from_str::<TierName>("\"live\"").unwrap_err();
        assert!(err.to_string().contains("3 to 20 characters"), "{err}");
    }

    /// Each rule's words say its length and alphabet, and no refusal shows an expression.
    #[test]
    fn every_rule_is_said_in_words_with_its_length() {
        let rules = [
            TierName::RULE,
            OrganizationName::RULE,
            DeployableName::RULE,
            ProductName::RULE,
            TenantName::RULE,
            TenantAlias::RULE,
            DomainName::RULE,
            UserName::RULE,
            TokenName::RULE,
        ];
        for rule in rules {
            let length = format!("{} to {} characters: ", rule.min, rule.max);
            assert!(rule.words.starts_with(&length), "{}", rule.words);
            assert!(!rule.words.contains('^') && !rule.words.contains('['));
            let refused = rule.check("?").unwrap_err().to_string();
            assert!(refused.ends_with(rule.words), "{refused}");
            assert!(!refused.contains(rule.pattern), "{refused}");
        }
        assert_eq!(
            TenantName::RULE_WORDS,
            "3 to 30 characters: lower-case letters a–z, digits and dashes, beginning with the organization's short name and a dash"
        );
        assert_eq!(
            OrganizationName::RULE_WORDS,
            "2 to 20 characters: lower-case letters a–z and digits"
        );
    }
}
