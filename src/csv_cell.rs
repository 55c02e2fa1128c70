//! CSV cells a spreadsheet will not run. Titles, file names and needs come from legacy pages
//! and the people who map them; a cell starting `=`, `+`, `-`, `@`, tab or carriage return
//! is a formula to Excel, LibreOffice and Google Sheets (OWASP's CSV injection advice), so
//! such a cell gets a leading `'`, which spreadsheets show as text. Numbers stay numbers.

use std::borrow::Cow;

/// The text as a cell no spreadsheet evaluates.
pub fn cell(text: &str) -> Cow<'_, str> {
    if is_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a cell written by `cell` stands for (for our own readers of our own CSVs).
pub fn text_of(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if is_formula(rest) => rest,
        _ => cell,
    }
}

fn is_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_back() {
        for (raw, written) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "'=HYPERLINK(\"http://evil\")",
            ),
            ("+1+1", "'+1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-report.pdf", "'-report.pdf"),
            ("\tcmd", "'\tcmd"),
            ("-12", "-12"),
            ("Measles", "Measles"),
            ("'quoted'", "'quoted'"),
        ] {
            assert_eq!(cell(raw), written);
            assert_eq!(text_of(&cell(raw)), raw);
        }
    }
}
