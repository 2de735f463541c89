//! Excel workbooks (XLSX): reading one sheet as rows of text for the import, and
//! writing one sheet of text cells for exports.

use std::io::{Cursor, Write};

/// A workbook that cannot be read, or a sheet it does not have.
#[derive(Debug, Clone, PartialEq)]
pub enum XlsxError {
    Unreadable(String),
    NoSuchSheet {
        wanted: String,
        sheets: Vec<String>,
    },
    /// The sheet spans far more cells than it holds values.
    Sparse {
        rows: usize,
        columns: usize,
        values: usize,
    },
}

impl std::fmt::Display for XlsxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XlsxError::Unreadable(e) => write!(f, "not a readable XLSX workbook: {e}"),
            XlsxError::NoSuchSheet { wanted, sheets } => {
                write!(
                    f,
                    "no sheet {wanted:?}; the workbook has {}",
                    sheets.join(", ")
                )
            }
            XlsxError::Sparse {
                rows,
                columns,
                values,
            } => write!(
                f,
                "the sheet spans {rows} rows and {columns} columns but holds only {values} \
                 values; delete the empty rows and columns beyond the data"
            ),
        }
    }
}

/// True when `bytes` start like a ZIP archive (as XLSX files do).
pub fn looks_like_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Days from Excel's day zero (1899-12-30, which absorbs its 1900 leap-year bug) to a date.
fn excel_date(serial: f64) -> Option<chrono::NaiveDate> {
    let zero = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    zero.checked_add_signed(chrono::Duration::days(serial.floor() as i64))
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers without ".0" (customer numbers, postcodes typed as numbers).
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64())
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) => String::new(),
    }
}

/// The names of the workbook's sheets, in order.
pub fn sheet_names(bytes: &[u8]) -> Result<Vec<String>, XlsxError> {
    use calamine::Reader;
    let book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| XlsxError::Unreadable(e.to_string()))?;
    Ok(book.sheet_names().clone())
}

/// The rows of one sheet (the first when `sheet` is `None`) as text, trailing empty
/// rows left out. Dates become `YYYY-MM-DD`.
pub fn read_sheet(bytes: &[u8], sheet: Option<&str>) -> Result<Vec<Vec<String>>, XlsxError> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| XlsxError::Unreadable(e.to_string()))?;
    let sheets = book.sheet_names().clone();
    let name = match sheet {
        Some(wanted) => sheets
            .iter()
            .find(|s| s.as_str() == wanted)
            .cloned()
            .ok_or_else(|| XlsxError::NoSuchSheet {
                wanted: wanted.to_string(),
                sheets: sheets.clone(),
            })?,
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| XlsxError::Unreadable("no sheets".into()))?,
    };
    // A damaged workbook can make the reader panic (a cell reference too long for its
    // counters): that is one more way of being unreadable.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sheet_cells(&mut book, &name)
    }))
    .unwrap_or_else(|_| Err(XlsxError::Unreadable("damaged cell references".into())))
}

/// The size of the largest sheet Excel makes.
const MAX_ROWS: u32 = 1 << 20;
const MAX_COLUMNS: u32 = 1 << 14;

/// Most cells a sheet may span for each cell that holds a value (plus [`SPAN_GRACE`]):
/// the rows come out as a full rectangle, and a workbook that names one cell far out
/// would otherwise cost memory for every empty cell before it.
const SPAN_PER_VALUE: usize = 16;
const SPAN_GRACE: usize = 1 << 20;

/// The cells of sheet `name`, read one by one, as a rectangle from the first row that
/// holds a value and from column A.
fn sheet_cells<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Result<Vec<Vec<String>>, XlsxError> {
    let unreadable = |e: calamine::XlsxError| XlsxError::Unreadable(e.to_string());
    let mut reader = book.worksheet_cells_reader(name).map_err(unreadable)?;
    let mut values = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        if row >= MAX_ROWS || column >= MAX_COLUMNS {
            return Err(XlsxError::Unreadable(format!(
                "a cell outside any sheet (row {}, column {})",
                u64::from(row) + 1,
                u64::from(column) + 1
            )));
        }
        let text = cell_text(&calamine::Data::from(cell.get_value().clone()));
        if !text.is_empty() {
            values.push((row as usize, column as usize, text));
        }
    }
    let Some(first) = values.iter().map(|(row, _, _)| *row).min() else {
        return Ok(Vec::new());
    };
    let last = values.iter().map(|(row, _, _)| *row).max().unwrap_or(first);
    let width = values
        .iter()
        .map(|(_, column, _)| column + 1)
        .max()
        .unwrap_or(0);
    let height = last - first + 1;
    let span = height.saturating_mul(width);
    if span > values.len().saturating_mul(SPAN_PER_VALUE) + SPAN_GRACE {
        return Err(XlsxError::Sparse {
            rows: height,
            columns: width,
            values: values.len(),
        });
    }
    let mut rows = vec![vec![String::new(); width]; height];
    for (row, column, text) in values {
        rows[row - first][column] = text;
    }
    while rows
        .last()
        .is_some_and(|r| r.iter().all(|c| c.trim().is_empty()))
    {
        rows.pop();
    }
    Ok(rows)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters other than tab and line breaks are not allowed in XML.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The column letters of a 0-based index: A … Z, AA, AB …
fn column_name(mut i: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// A workbook with one sheet holding `rows` as text cells; the first row is frozen as
/// the header.
pub fn write(sheet: &str, rows: &[Vec<String>]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" \
         activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews><sheetData>",
    );
    for (r, row) in rows.iter().enumerate() {
        xml.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            xml.push_str(&format!(
                "<c r=\"{}{}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                column_name(c),
                r + 1,
                escape(cell)
            ));
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    package(sheet, xml)
}

/// A workbook around one worksheet's XML.
fn package(sheet: &str, xml: String) -> Vec<u8> {
    let files: [(&str, String); 5] = [
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
             </Types>"
                .to_string(),
        ),
        (
            "_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
             </Relationships>"
                .to_string(),
        ),
        (
            "xl/workbook.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
                 <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
                 xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
                 <sheets><sheet name=\"{}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
                escape(sheet)
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
             </Relationships>"
                .to_string(),
        ),
        ("xl/worksheets/sheet1.xml", xml),
    ];
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (*p, c.as_bytes())).collect();
    archive(&files)
}

/// A ZIP archive (deflated) of the files, in memory: an XLSX workbook, an access
/// export.
pub fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, content) in files {
        // Writing into memory cannot fail short of running out of it.
        if zip.start_file(*path, options).is_ok() {
            let _ = zip.write_all(content);
        }
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_workbook_reads_back() {
        let rows = vec![
            vec!["Vorname".to_string(), "Nachname".into(), "Notiz".into()],
            vec![
                "Jörg".into(),
                "Müller & Söhne <GmbH>".into(),
                "Zeile 1\nZeile 2".into(),
            ],
            vec!["".into(), "Groß".into(), "".into()],
            // Cells are inline strings, never formulas: they read back as the text.
            vec![
                "=HYPERLINK(\"http://evil.example\",\"klick\")".into(),
                "+SUM(1+1)*cmd|' /C calc'!A0".into(),
                "@SUM(1)".into(),
            ],
        ];
        let bytes = write("Kontakte", &rows);
        assert!(looks_like_xlsx(&bytes));
        assert_eq!(sheet_names(&bytes).unwrap(), ["Kontakte"]);
        assert_eq!(read_sheet(&bytes, Some("Kontakte")).unwrap(), rows);
        assert_eq!(read_sheet(&bytes, None).unwrap(), rows);
        let missing = read_sheet(&bytes, Some("Tabelle2")).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "no sheet \"Tabelle2\"; the workbook has Kontakte"
        );
        assert!(matches!(
            read_sheet(b"PK\x03\x04 broken", None),
            Err(XlsxError::Unreadable(_))
        ));
    }

    fn sheet_of(cells: &str) -> Vec<u8> {
        package(
            "Blatt",
            format!(
                "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
                 <sheetData>{cells}</sheetData></worksheet>"
            ),
        )
    }

    fn cell(at: &str, text: &str) -> String {
        format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
    }

    #[test]
    fn damaged_cell_references_are_refused() {
        // Too long for the reader's counters, and past the last column a sheet has.
        for at in ["ZZZZZZZZZZZZZZ1", "XFE1", "A1048577", "A99999999999"] {
            let bytes = sheet_of(&format!("<row r=\"1\">{}</row>", cell(at, "x")));
            assert!(
                matches!(read_sheet(&bytes, None), Err(XlsxError::Unreadable(_))),
                "{at}: {:?}",
                read_sheet(&bytes, None)
            );
        }
    }

    #[test]
    fn a_cell_far_out_is_refused_before_memory_is_spent_on_the_empty_ones() {
        let far = sheet_of(&format!(
            "<row r=\"1\">{}</row><row r=\"1048576\">{}</row>",
            cell("A1", "Name"),
            cell("XFD1048576", "x")
        ));
        let refused = read_sheet(&far, None).unwrap_err();
        assert_eq!(
            refused,
            XlsxError::Sparse {
                rows: 1_048_576,
                columns: 16_384,
                values: 2
            }
        );
        assert!(refused.to_string().contains("delete the empty rows"));
        // Rows before the first value are left out; columns before it stay, empty.
        let offset = sheet_of(&format!(
            "<row r=\"3\">{}</row><row r=\"5\">{}</row>",
            cell("B3", "Name"),
            cell("C5", "Meier")
        ));
        assert_eq!(
            read_sheet(&offset, None).unwrap(),
            [
                vec!["", "Name", ""],
                vec!["", "", ""],
                vec!["", "", "Meier"]
            ]
        );
    }

    #[test]
    fn column_names_go_past_z() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(29579.0).unwrap().to_string(), "1980-12-24");
    }
}
