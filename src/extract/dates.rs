//! Dates written on legacy pages ("Last updated: 12 March 2013", "Last reviewed:
//! 2012-11-05", "12/03/2013"), read with the site's patterns or with common phrasings.

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let valid = (1900..=2100).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Midnight UTC, as GOV.UK's `date-time` fields take it.
    pub fn iso8601(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T00:00:00Z",
            self.year, self.month, self.day
        )
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn month_from_name(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let w = w.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(w) && (w.len() == 3 || w.len() == m.len() || w == "sept"))
        .map(|p| p as u32 + 1)
}

/// Finds the first match of a strftime-style pattern (`Last updated: %d %B %Y`) in `text`.
pub fn find_with_pattern(text: &str, pattern: &str) -> Option<Date> {
    let prefix_len = pattern.find('%').unwrap_or(pattern.len());
    let prefix = pattern[..prefix_len].trim().to_ascii_lowercase();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&prefix) {
        let start = from + at + prefix.len();
        if let Some(date) = match_fields(
            &text[start..],
            pattern[prefix_len..].trim_start_matches(' '),
        ) {
            return Some(date);
        }
        from += at + prefix.len();
        if prefix.is_empty() {
            // Without a prefix every character is a start; step over one whole character.
            match lower[from..].chars().next() {
                Some(c) => from += c.len_utf8(),
                None => break,
            }
        }
        if from >= lower.len() {
            break;
        }
    }
    None
}

fn match_fields(text: &str, pattern: &str) -> Option<Date> {
    let (mut year, mut month, mut day) = (None, None, None);
    let mut rest = text.trim_start();
    let mut fields = pattern.chars().peekable();
    while let Some(p) = fields.next() {
        if p == '%' {
            let field = fields.next()?;
            let digits = |s: &str, max: usize| -> (String, usize) {
                let d: String = s
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .take(max)
                    .collect();
                let n = d.len();
                (d, n)
            };
            match field {
                'd' | 'e' | 'm' | 'H' | 'M' | 'S' => {
                    let (d, n) = digits(rest.trim_start(), 2);
                    if n == 0 {
                        return None;
                    }
                    rest = &rest.trim_start()[n..];
                    let value: u32 = d.parse().ok()?;
                    match field {
                        'd' | 'e' => day = Some(value),
                        'm' => month = Some(value),
                        _ => {}
                    }
                }
                'Y' => {
                    let (d, n) = digits(rest, 4);
                    if n != 4 {
                        return None;
                    }
                    rest = &rest[4..];
                    year = d.parse().ok();
                }
                'y' => {
                    let (d, n) = digits(rest, 2);
                    if n != 2 {
                        return None;
                    }
                    rest = &rest[2..];
                    let y: i32 = d.parse().ok()?;
                    year = Some(if y < 70 { 2000 + y } else { 1900 + y });
                }
                'b' | 'B' => {
                    let word: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphabetic() || *c == '.')
                        .collect();
                    month = Some(month_from_name(&word)?);
                    rest = &rest[word.len()..];
                }
                'a' | 'A' => {
                    let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
                    let w = word.to_ascii_lowercase();
                    if !WEEKDAYS.iter().any(|d| d.starts_with(&w) && w.len() >= 3) {
                        return None;
                    }
                    rest = &rest[word.len()..];
                }
                '%' => rest = rest.strip_prefix('%')?,
                _ => return None,
            }
        } else if p.is_whitespace() {
            rest = rest.trim_start();
        } else {
            rest = rest.trim_start_matches(' ');
            let c = rest.chars().next()?;
            if !c.eq_ignore_ascii_case(&p) {
                return None;
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    Date::new(year?, month.unwrap_or(1), day.unwrap_or(1))
}

/// Phrases that introduce a page's own dates on legacy sites.
const UPDATED_PHRASES: &[&str] = &[
    "last updated",
    "last reviewed",
    "page last reviewed",
    "page updated",
    "last modified",
    "updated on",
    "updated:",
    "date updated",
    "reviewed on",
    "last revised",
];
const PUBLISHED_PHRASES: &[&str] = &[
    "first published",
    "date published",
    "published on",
    "published:",
    "date of publication",
];

/// The "last updated" and "published" dates written in the visible text.
pub fn visible_dates(text: &str) -> (Option<Date>, Option<Date>) {
    static PHRASES: std::sync::LazyLock<super::Phrases> = std::sync::LazyLock::new(|| {
        super::Phrases::anchored(
            &[PUBLISHED_PHRASES, UPDATED_PHRASES].concat(),
            &["updat", "review", "modifi", "revis", "publish", "publicat"],
        )
    });
    // Every occurrence of every phrase, by phrase: each list is tried in its own order of
    // preference.
    let found = PHRASES.occurrences(text);
    let first_date = |phrases: std::ops::Range<usize>| {
        found
            .iter()
            .filter(|(p, _, _)| phrases.contains(p))
            .find_map(|&(_, _, end)| date_after(text, end))
    };
    let published = PUBLISHED_PHRASES.len();
    (
        first_date(0..published),
        first_date(published..published + UPDATED_PHRASES.len()),
    )
}

/// The date a short line does nothing but give ("Last reviewed: 2010-01-01", "Published on
/// 9 May 2012."): a phrase of [`visible_dates`] at its start, then a date, then nothing much
/// (at most the few characters of a weekday or a full stop beyond the date's own). In a
/// line this short, a bare "Published" or "Updated" before the date is as plain.
pub fn dated_line(line: &str) -> Option<Date> {
    const LONGEST_DATE: usize = 30;
    const BARE_PHRASES: &[&str] = &["published", "updated", "reviewed"];
    let lower = line.trim().to_ascii_lowercase();
    let lower = lower.strip_prefix("page ").unwrap_or(&lower);
    PUBLISHED_PHRASES
        .iter()
        .chain(UPDATED_PHRASES)
        .chain(BARE_PHRASES)
        .filter(|phrase| lower.starts_with(*phrase) && lower.len() <= phrase.len() + LONGEST_DATE)
        .find_map(|phrase| date_after(lower, phrase.len()))
}

/// A date in the 40 bytes after a phrase that ends at `start`.
fn date_after(text: &str, start: usize) -> Option<Date> {
    let mut end = (start + 40).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let window = text[start..end].trim_start_matches([':', ' ', '-', '\u{a0}']);
    parse_loose(window.strip_prefix("on ").unwrap_or(window))
}

/// A date at the start of `text`: `12 March 2013`, `March 12, 2013`, `12/03/2013` (UK
/// order), `2013-03-12`, `12.03.2013`, optionally after a weekday.
pub fn parse_loose(text: &str) -> Option<Date> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .take(5)
        .collect();
    let mut words = words.as_slice();
    if let Some(first) = words.first() {
        let w = first.to_ascii_lowercase();
        if w.len() >= 3
            && WEEKDAYS
                .iter()
                .any(|d| d.starts_with(w.trim_end_matches('.')))
        {
            words = &words[1..];
        }
    }
    // Numeric forms in one word, which may end a sentence ("Published 2011-05-06.").
    let first = words.first()?.trim_end_matches(['.', ';', ')']);
    for separator in ['-', '/', '.'] {
        let parts: Vec<&str> = first.split(separator).collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            let n: Vec<i32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
            if parts[0].len() == 4 {
                return Date::new(n[0], n[1] as u32, n[2] as u32);
            }
            let year = if parts[2].len() == 2 {
                2000 + n[2]
            } else {
                n[2]
            };
            return Date::new(year, n[1] as u32, n[0] as u32);
        }
    }
    let number = |w: &str| -> Option<u32> {
        let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
        let suffix = &w[digits.len()..];
        if digits.is_empty()
            || !(suffix.is_empty() || ["st", "nd", "rd", "th", "."].contains(&suffix))
        {
            return None;
        }
        digits.parse().ok()
    };
    let year = |w: &str| -> Option<i32> {
        let w = w.trim_end_matches(['.', ')']);
        (w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()))
            .then(|| w.parse().ok())
            .flatten()
    };
    if words.len() >= 3 {
        if let (Some(d), Some(m), Some(y)) =
            (number(words[0]), month_from_name(words[1]), year(words[2]))
        {
            return Date::new(y, m, d);
        }
        if let (Some(m), Some(d), Some(y)) =
            (month_from_name(words[0]), number(words[1]), year(words[2]))
        {
            return Date::new(y, m, d);
        }
    }
    if words.len() >= 2
        && let (Some(m), Some(y)) = (month_from_name(words[0]), year(words[1]))
    {
        return Date::new(y, m, 1);
    }
    None
}

/// A date from a meta tag or HTTP header: ISO 8601 (`2013-03-12T09:30:00Z`, `2013-03-12`),
/// RFC 1123 (`Tue, 12 Mar 2013 09:30:00 GMT`) or any form `parse_loose` reads.
pub fn parse_any(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Some(day) = t.get(..10)
        && day.as_bytes()[4] == b'-'
        && day.as_bytes()[7] == b'-'
    {
        return parse_loose(day);
    }
    parse_loose(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<Date> {
        Some(Date {
            year: y,
            month: m,
            day,
        })
    }

    #[test]
    fn iso_prefix_never_splits_a_character() {
        // Found by the html_to_govspeak fuzz target: byte 10 falls inside 'ÿ'.
        assert_eq!(parse_any("ffff-ff-ff\u{ff}"), None);
        assert_eq!(parse_any("2013-03-1\u{ff}"), None);
        assert_eq!(parse_any("2013-03-12\u{ff}"), d(2013, 3, 12));
    }

    #[test]
    fn a_pattern_that_starts_with_a_field_is_tried_at_each_character() {
        // Tried byte by byte, a pattern without a prefix cut "é" in two and panicked.
        assert_eq!(
            find_with_pattern("Café menu, revu le 12 March 2013", "%d %B %Y"),
            d(2013, 3, 12)
        );
        assert_eq!(find_with_pattern("éé ü", "%d %B %Y"), None);
    }

    #[test]
    fn patterns() {
        assert_eq!(
            find_with_pattern(
                "Text. Last reviewed: 2012-11-05. More",
                "Last reviewed: %Y-%m-%d"
            ),
            d(2012, 11, 5)
        );
        assert_eq!(
            find_with_pattern("last updated: 3 March 2011", "Last updated: %d %B %Y"),
            d(2011, 3, 3)
        );
        assert_eq!(
            find_with_pattern("Last updated: soon", "Last updated: %d %B %Y"),
            None
        );
        assert_eq!(
            find_with_pattern("Updated 31/02/2011", "Updated %d/%m/%Y"),
            None,
            "no 31 February"
        );
    }

    #[test]
    fn loose_forms() {
        assert_eq!(parse_loose("12 March 2013"), d(2013, 3, 12));
        assert_eq!(parse_loose("1st Sept 2012 by"), d(2012, 9, 1));
        assert_eq!(parse_loose("March 12, 2013"), d(2013, 3, 12));
        assert_eq!(parse_loose("12/03/2013"), d(2013, 3, 12));
        assert_eq!(parse_loose("2013-03-12"), d(2013, 3, 12));
        assert_eq!(parse_loose("2011-05-06."), d(2011, 5, 6));
        assert_eq!(parse_loose("06/05/2011; revised"), d(2011, 5, 6));
        assert_eq!(dated_line("Published 2011-05-06."), d(2011, 5, 6));
        assert_eq!(parse_loose("Tuesday 12 March 2013"), d(2013, 3, 12));
        assert_eq!(parse_loose("May 2010"), d(2010, 5, 1));
        assert_eq!(parse_loose("may be"), None);
        assert_eq!(parse_any("Tue, 12 Mar 2013 09:30:00 GMT"), d(2013, 3, 12));
        assert_eq!(parse_any("2013-03-12T09:30:00Z"), d(2013, 3, 12));
    }

    #[test]
    fn lines_that_only_give_a_date() {
        assert_eq!(dated_line("Last reviewed: 2010-01-01"), d(2010, 1, 1));
        assert_eq!(dated_line("Published: 19 January 2012"), d(2012, 1, 19));
        assert_eq!(
            dated_line(" Page last updated on 3 March 2013. "),
            d(2013, 3, 3)
        );
        assert_eq!(
            dated_line("Last updated: Wednesday, 12 September 2012"),
            d(2012, 9, 12)
        );
        // A sentence that goes on is text, not a date line.
        assert_eq!(
            dated_line("Last updated: 12 March 2013, when the figures for 2012 were added"),
            None
        );
        assert_eq!(dated_line("The report was published: 12 March 2013"), None);
        assert_eq!(dated_line("Last updated: soon"), None);
    }

    #[test]
    fn visible() {
        let text = "Published on 4 January 2010. Page last updated: 12 March 2013.";
        assert_eq!(visible_dates(text), (d(2010, 1, 4), d(2013, 3, 12)));
    }
}
