//! Time for the admin API: unix milliseconds inside, ISO 8601 UTC outside
//! (`2026-11-22`, `2026-11-22T10:04:05.123Z`), without a date-time
//! dependency: Howard Hinnant's days-from-civil algorithms.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]` (UTC).
pub fn parse_iso_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let date = parse_date_ms(text.get(..10)?)?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(date);
    }
    let time = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let time = time
        .strip_suffix('Z')
        .or_else(|| time.strip_suffix("+00:00"))
        .unwrap_or(time);
    let (clock, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let mut parts = clock.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds: i64 = parts.next().unwrap_or("0").parse().ok()?;
    if hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    let millis: i64 = format!("{:0<3}", fraction.get(..3.min(fraction.len()))?)
        .parse()
        .ok()?;
    Some(date + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

/// Serde for optional unix-millisecond fields written as ISO strings.
pub mod iso {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(ms) => serializer.serialize_str(&super::format_ms(*ms)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Millis(i64),
            Text(String),
        }
        match Option::<Raw>::deserialize(deserializer)? {
            None => Ok(None),
            Some(Raw::Millis(ms)) => Ok(Some(ms)),
            Some(Raw::Text(text)) => super::parse_iso_ms(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("`{text}` is not an ISO 8601 date"))
            }),
        }
    }
}

/// Unix milliseconds of midnight UTC at the start of `YYYY-MM-DD`.
pub fn parse_date_ms(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400_000)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of unix milliseconds.
pub fn format_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (hours, minutes) = (rest / 3_600_000, rest / 60_000 % 60);
    let (seconds, millis) = (rest / 1000 % 60, rest % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(parse_date_ms("1970-01-01"), Some(0));
        assert_eq!(parse_date_ms("2000-03-01"), Some(951_868_800_000));
        assert_eq!(parse_date_ms("2026-11-22"), Some(1_795_305_600_000));
        assert_eq!(format_ms(1_795_305_600_000), "2026-11-22T00:00:00.000Z");
        assert_eq!(format_ms(951_868_800_000 - 1), "2000-02-29T23:59:59.999Z");
        assert_eq!(parse_date_ms("2026-13-01"), None);
        assert_eq!(parse_date_ms("yesterday"), None);
    }

    #[test]
    fn iso_timestamps() {
        assert_eq!(
            parse_iso_ms("2026-11-22T00:00:00Z"),
            Some(1_795_305_600_000)
        );
        assert_eq!(
            parse_iso_ms("2026-11-22T01:02:03.5Z"),
            Some(1_795_305_600_000 + 3_723_500)
        );
        assert_eq!(
            parse_iso_ms("2026-11-22 01:02:03+00:00"),
            Some(1_795_305_600_000 + 3_723_000)
        );
        assert_eq!(parse_iso_ms("2026-11-22"), Some(1_795_305_600_000));
        assert_eq!(parse_iso_ms("2026-11-22T25:00:00Z"), None);
        let ms = 1_795_305_600_123;
        assert_eq!(parse_iso_ms(&format_ms(ms)), Some(ms));
    }

    #[test]
    fn round_trips_every_day_for_centuries() {
        for days in (-100_000..100_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
