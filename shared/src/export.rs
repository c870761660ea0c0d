//! Tables as CSV files for spreadsheets: UTF-8 with a byte order mark (so Excel reads
//! Cyrillic correctly) and cells that a spreadsheet would run as a formula neutralised.

use std::borrow::Cow;

/// Excel and LibreOffice treat a cell starting with one of these as a formula (tab and
/// carriage return too, per OWASP's CSV injection guidance).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell that cannot run as a formula: one starting like a formula gets a leading `'`.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A whole CSV document: the byte order mark, the header row, then the rows.
pub fn csv_document(header: &[String], rows: &[Vec<String>]) -> Result<String, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::from("\u{feff}".as_bytes()));
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        writer.write_record(row.iter().map(|cell| neutralise(cell).into_owned()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|err| csv::Error::from(err.into_error()))?;
    // Every cell went in as a `String`, so the bytes are UTF-8.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_text_is_kept() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for start in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(start).starts_with('\''), "{start:?}");
        }
        assert_eq!(neutralise("Скоринг"), "Скоринг");
        assert_eq!(neutralise("a=b"), "a=b");
    }

    #[test]
    fn documents_start_with_a_bom_and_quote_what_needs_it() {
        let doc = csv_document(
            &["Этап".to_owned(), "Вошли".to_owned()],
            &[
                vec!["Скоринг".to_owned(), "12".to_owned()],
                vec!["a, \"b\"".to_owned(), "=1+1".to_owned()],
            ],
        )
        .unwrap();
        assert_eq!(
            doc,
            "\u{feff}Этап,Вошли\r\nСкоринг,12\r\n\"a, \"\"b\"\"\",'=1+1\r\n"
        );
    }
}
