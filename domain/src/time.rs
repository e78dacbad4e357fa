//! Instants as Strata stores and shows them: milliseconds since the Unix epoch, written as
//! RFC 3339 in UTC. Pure arithmetic, so the browser formats exactly as the server does.

/// Formats `ms` since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_rfc3339_millis(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// Reads a date `YYYY-MM-DD` (as a date input sends it) as the ms of its midnight, UTC.
pub fn parse_date_ms(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = days * 86_400_000;
    // A day past the month's end (2026-02-30) does not come back the same.
    format_rfc3339_millis(ms)
        .starts_with(&format!("{year:04}-{month:02}-{day:02}"))
        .then_some(ms)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// How long ago (or, for a time to come, how soon) a moment `elapsed_ms` before now was, as
/// the console shows it: "just now", "3 minutes ago", "an hour ago", "a day ago", "in 2 days";
/// each unit from where the one below it reads three quarters of this one.
pub fn relative(elapsed_ms: i64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    const MONTH: u64 = 30 * DAY;
    const YEAR: u64 = 365 * DAY;
    let seconds = elapsed_ms.unsigned_abs() / 1000;
    let (unit, size) = match seconds {
        0..45 => return "just now".to_owned(),
        45..2_700 => ("minute", MINUTE),
        2_700..79_200 => ("hour", HOUR),
        79_200..2_246_400 => ("day", DAY),
        2_246_400..27_648_000 => ("month", MONTH),
        _ => ("year", YEAR),
    };
    let count = ((seconds + size / 2) / size).max(1);
    let amount = match (count, unit) {
        (1, "hour") => "an hour".to_owned(),
        (1, unit) => format!("a {unit}"),
        (n, unit) => format!("{n} {unit}s"),
    };
    match elapsed_ms < 0 {
        true => format!("in {amount}"),
        false => format!("{amount} ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::{format_rfc3339_millis, parse_date_ms, relative};

    #[test]
    fn dates_read_as_their_midnight() {
        assert_eq!(parse_date_ms("1970-01-01"), Some(0));
        assert_eq!(parse_date_ms("2000-02-29"), Some(951_782_400_000));
        assert_eq!(parse_date_ms("2026-02-30"), None);
        assert_eq!(parse_date_ms("yesterday"), None);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339_millis(951_782_400_000),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            format_rfc3339_millis(1_795_427_696_789),
            "2026-11-23T09:54:56.789Z"
        );
        assert_eq!(format_rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn a_moment_reads_as_how_long_ago_or_how_soon() {
        const MINUTE: i64 = 60_000;
        const HOUR: i64 = 60 * MINUTE;
        const DAY: i64 = 24 * HOUR;
        for (elapsed, words) in [
            (0, "just now"),
            (44_000, "just now"),
            (50_000, "a minute ago"),
            (3 * MINUTE, "3 minutes ago"),
            (44 * MINUTE, "44 minutes ago"),
            (50 * MINUTE, "an hour ago"),
            (HOUR * 3 / 2, "2 hours ago"),
            (21 * HOUR, "21 hours ago"),
            (23 * HOUR, "a day ago"),
            (36 * HOUR, "2 days ago"),
            (25 * DAY, "25 days ago"),
            (29 * DAY, "a month ago"),
            (45 * DAY, "2 months ago"),
            (400 * DAY, "a year ago"),
            (-90 * MINUTE, "in 2 hours"),
            (-3 * DAY, "in 3 days"),
        ] {
            assert_eq!(relative(elapsed), words, "{elapsed} ms");
        }
    }
}
