//! The text forms the command line and the REST API share: retention periods and lifetimes.

use std::time::Duration;

use pseudo_core::registry::Retention;
use pseudo_core::{Error, ErrorKind, Result};

fn split(text: &str) -> Option<(u32, char)> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let n: u32 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    Some((n, unit.to_ascii_lowercase()))
}

/// A retention period: `5y` (years), `18m` (months), `90d` (days).
pub fn retention(text: &str) -> Result<Retention> {
    let bad = || Error::new(ErrorKind::InvalidInput, "a retention period is a number and y, m or d: 5y, 18m, 90d");
    let (n, unit) = split(text).ok_or_else(bad)?;
    match unit {
        'y' => Ok(Retention { years: n, ..Default::default() }),
        'm' => Ok(Retention { months: n, ..Default::default() }),
        'd' => Ok(Retention { days: n, ..Default::default() }),
        _ => Err(bad()),
    }
}

/// A lifetime: `30d` (days), `12h` (hours), `2w` (weeks), `1y` (365 days), `600s` (seconds).
/// (No `m`: minutes and months would be ambiguous.)
pub fn lifetime(text: &str) -> Result<Duration> {
    let bad =
        || Error::new(ErrorKind::InvalidInput, "a lifetime is a number and s, h, d, w or y: 600s, 12h, 30d, 2w, 1y");
    let (n, unit) = split(text).ok_or_else(bad)?;
    let secs = match unit {
        's' => 1,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'y' => 365 * 86_400,
        _ => return Err(bad()),
    };
    if n == 0 {
        return Err(Error::new(ErrorKind::InvalidInput, "a lifetime is at least one second"));
    }
    Ok(Duration::from_secs(u64::from(n) * secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_and_lifetime_forms() {
        assert_eq!(retention("5y").unwrap(), Retention { years: 5, months: 0, days: 0 });
        assert_eq!(retention("18m").unwrap().months, 18);
        assert_eq!(retention("90d").unwrap().days, 90);
        assert!(retention("5").is_err() && retention("y").is_err() && retention("5w").is_err());
        assert_eq!(lifetime("30d").unwrap(), Duration::from_secs(30 * 86_400));
        assert_eq!(lifetime("12h").unwrap(), Duration::from_secs(12 * 3600));
        assert!(lifetime("0d").is_err() && lifetime("3m").is_err() && lifetime("").is_err());
    }
}
