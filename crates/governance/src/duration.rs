//! LiteLLM's duration strings: `30s`, `10m`, `1h`, `1d`, `7d`, `30d`, `1mo`.

use std::time::Duration;

/// Parses a duration. Months are 30 days (LiteLLM's `1mo` resets monthly;
/// a fixed length keeps resets predictable and testable).
pub fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "mo" => 30 * 86_400,
        _ => return None,
    };
    (number > 0).then(|| Duration::from_secs(number * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse("1mo"), Some(Duration::from_secs(30 * 86_400)));
        for bad in ["", "d", "1y", "-1d", "0d", "1.5h", "10"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
