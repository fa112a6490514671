//! Calendar arithmetic for retention periods (proleptic Gregorian, UTC), after H. Hinnant's
//! `days_from_civil` / `civil_from_days`.

use crate::config::{Timestamp, SECONDS_PER_DAY};

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// `start` plus `years`, `months` (day of month clamped, 31 Jan + 1 month = 28/29 Feb) and `days`,
/// keeping the time of day. `None` when `start` is not a clock reading
/// ([`Timestamp::checked_clock`]); inside that range no step can overflow.
pub(crate) fn add(start: Timestamp, years: u32, months: u32, days: u32) -> Option<Timestamp> {
    let secs = start.checked_clock().ok()?.unix();
    let day = secs.div_euclid(SECONDS_PER_DAY);
    let tod = secs.rem_euclid(SECONDS_PER_DAY);
    let (y, m, d) = civil_from_days(day);
    let total = (i64::from(m) - 1).checked_add(i64::from(months))?.checked_add(i64::from(years).checked_mul(12)?)?;
    let y2 = y.checked_add(total.div_euclid(12))?;
    let m2 = (total.rem_euclid(12) + 1) as u32;
    let d2 = d.min(days_in_month(y2, m2));
    let day2 = days_from_civil(y2, m2, d2).checked_add(i64::from(days))?;
    Some(Timestamp::from_unix(day2.checked_mul(SECONDS_PER_DAY)?.checked_add(tod)?))
}

/// An instant as `YYYY-MM-DD HH:MM UTC`, for people (a portal page, a listing).
pub fn utc_date(t: Timestamp) -> String {
    let secs = t.unix();
    let (y, m, d) = civil_from_days(secs.div_euclid(SECONDS_PER_DAY));
    let tod = secs.rem_euclid(SECONDS_PER_DAY);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", tod / 3600, tod % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 19_000, 20_454, 47_481, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(utc_date(Timestamp::from_unix(20_454 * SECONDS_PER_DAY + 3660)), "2026-01-01 01:01 UTC");
    }

    #[test]
    fn adding_periods() {
        let t = |y, m, d| Timestamp::from_unix(days_from_civil(y, m, d) * SECONDS_PER_DAY + 3600);
        let add = |s, y, m, d| add(s, y, m, d).unwrap();
        assert_eq!(add(t(2026, 1, 31), 0, 1, 0), t(2026, 2, 28));
        assert_eq!(add(t(2024, 1, 31), 0, 1, 0), t(2024, 2, 29));
        assert_eq!(add(t(2024, 2, 29), 1, 0, 0), t(2025, 2, 28));
        assert_eq!(add(t(2026, 11, 27), 2, 3, 10), t(2029, 3, 9));
        assert_eq!(add(t(2026, 12, 15), 0, 13, 0), t(2028, 1, 15));
        assert_eq!(add(t(2026, 1, 1), 0, 0, 0), t(2026, 1, 1));
    }

    #[test]
    fn absurd_clocks_are_refused_not_overflowed() {
        for secs in [i64::MAX, i64::MIN, -1, (crate::config::MAX_CLOCK_DAY + 1) * SECONDS_PER_DAY] {
            assert_eq!(add(Timestamp::from_unix(secs), u32::MAX, u32::MAX, u32::MAX), None);
        }
        assert!(add(
            Timestamp::from_unix(crate::config::MAX_CLOCK_DAY * SECONDS_PER_DAY),
            u32::MAX,
            u32::MAX,
            u32::MAX
        )
        .is_some());
    }
}
