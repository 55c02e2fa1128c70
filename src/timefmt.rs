//! Dates as the formats we read and write need them (ISO 8601 for WARC, the Common Log
//! Format for access logs, plain dates), from `SystemTime`, without a calendar dependency.

use std::time::{Duration, SystemTime};

/// A UTC calendar date and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl DateTime {
    pub fn from_system(time: SystemTime) -> DateTime {
        let secs = match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    pub fn to_system(self) -> Option<SystemTime> {
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
    }

    /// `2013-09-27T09:00:00Z`, as WARC-Date is written.
    pub fn iso8601(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `27/Sep/2013:09:00:00 +0000`, the Common Log Format.
    pub fn clf(self) -> String {
        format!(
            "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
            self.day,
            MONTHS[(self.month - 1) as usize],
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }

    /// Parses `YYYY-MM-DD` (at midnight) or `YYYY-MM-DDThh:mm:ss[.fff]Z`.
    pub fn parse_iso(text: &str) -> Option<DateTime> {
        let text = text.trim();
        let (date, time) = match text.split_once(['T', ' ']) {
            Some((d, t)) => (d, Some(t.trim_end_matches('Z'))),
            None => (text, None),
        };
        let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
        let (year, month, day) = (d.next()??, d.next()??, d.next()??);
        if d.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let (mut hour, mut minute, mut second) = (0, 0, 0);
        if let Some(time) = time {
            let time = time.split('.').next()?;
            let mut t = time.split(':').map(|p| p.parse::<u32>().ok());
            (hour, minute, second) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
            if hour > 23 || minute > 59 || second > 60 {
                return None;
            }
        }
        Some(DateTime {
            year,
            month: month as u32,
            day: day as u32,
            hour,
            minute,
            second,
        })
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether a year, month and day name a day of the calendar (no 31 June, no 29 February 2013).
pub fn is_civil_date(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && civil_from_days(days_from_civil(year, month, day)) == (year, month, day)
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(971_186_136);
        let dt = DateTime::from_system(t);
        assert_eq!(dt.clf(), "10/Oct/2000:13:55:36 +0000");
        assert_eq!(dt.iso8601(), "2000-10-10T13:55:36Z");
        assert_eq!(
            DateTime::parse_iso("2000-10-10T13:55:36Z")
                .unwrap()
                .to_system(),
            Some(t)
        );
        assert_eq!(
            DateTime::parse_iso("2000-10-10T13:55:36.123Z")
                .unwrap()
                .to_system(),
            Some(t)
        );
        assert_eq!(
            DateTime::parse_iso("2013-09-27").unwrap().iso8601(),
            "2013-09-27T00:00:00Z"
        );
        assert_eq!(DateTime::parse_iso("2013-13-01"), None);
        for days in [-800_000, -1, 0, 59, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
