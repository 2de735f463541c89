//! A file read as a table: its bytes (on disk or uploaded), its format, headers,
//! samples and rows, read a pass at a time.

use super::*;

/// Where a file's bytes are: on disk (a file of any size, read again for each pass) or
/// in memory (an upload, whose size the web limits).
#[derive(Debug, Clone)]
pub enum Content {
    Path(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Content {
    pub(super) fn open(&self) -> std::io::Result<Box<dyn BufRead + Send>> {
        Ok(match self {
            Content::Path(path) => Box::new(BufReader::with_capacity(
                1 << 16,
                std::fs::File::open(path)?,
            )),
            Content::Bytes(bytes) => Box::new(std::io::Cursor::new(Arc::clone(bytes))),
        })
    }

    pub(super) fn whole(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        Ok(match self {
            Content::Path(path) => std::fs::read(path)?.into(),
            Content::Bytes(bytes) => bytes.as_ref().into(),
        })
    }

    /// The first bytes, enough to tell the kind of file and its delimiter.
    pub(super) fn start(&self) -> std::io::Result<Vec<u8>> {
        let mut head = Vec::new();
        self.open()?.take(1 << 16).read_to_end(&mut head)?;
        Ok(head)
    }
}

/// Where the rows came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Csv { encoding: Encoding, delimiter: char },
    Xlsx { sheet: String, sheets: Vec<String> },
    VCard,
}

/// The rows of a file. CSV is read from its content again on each pass, so a file of a
/// million rows is never held as rows; workbooks (a sheet holds at most 1,048,576 rows)
/// and vCards are read whole.
pub(super) enum Body {
    Csv(Content),
    Rows(Vec<Vec<String>>),
    Cards(Vec<Card>),
}

/// A file read far enough to map its columns: the header, the first rows and the
/// number of rows.
pub struct Table {
    pub headers: Vec<String>,
    /// Rows after the header.
    pub len: usize,
    /// The first rows, to show what the columns hold.
    pub samples: Vec<Vec<String>>,
    pub source: Source,
    /// The same file (and sheet) resumes an interrupted import.
    pub hash: String,
    body: Body,
}

/// Rows kept as samples.
pub(super) const SAMPLES: usize = 20;

impl Table {
    /// Reads a CSV (any delimiter, UTF-8 or Windows-1252), an XLSX workbook (`sheet`, or
    /// the first) or vCards.
    pub fn read(content: Content, sheet: Option<&str>) -> Result<Table, ImportError> {
        let head = content.start()?;
        let xlsx = kartei_formats::xlsx::looks_like_xlsx(&head);
        if sheet.is_some() && !xlsx {
            return Err(ImportError::File(
                "a sheet is for XLSX workbooks; this file is not one".into(),
            ));
        }
        if xlsx {
            let bytes = content.whole()?;
            let sheets = kartei_formats::xlsx::sheet_names(&bytes)
                .map_err(|e| ImportError::File(e.to_string()))?;
            let mut rows = kartei_formats::xlsx::read_sheet(&bytes, sheet)
                .map_err(|e| ImportError::File(e.to_string()))?;
            if rows.is_empty() {
                return Err(ImportError::File("no rows".into()));
            }
            let mut hash = Sha256::new();
            for row in &rows {
                hash.update(csv::line(row, ';').as_bytes());
            }
            let headers = rows.remove(0);
            return Ok(Table {
                headers,
                len: rows.len(),
                samples: rows.iter().take(SAMPLES).cloned().collect(),
                source: Source::Xlsx {
                    sheet: sheet
                        .map(str::to_string)
                        .or_else(|| sheets.first().cloned())
                        .unwrap_or_default(),
                    sheets,
                },
                hash: hex(hash),
                body: Body::Rows(rows),
            });
        }
        let (start, _) = decode(&head);
        let vcard = start
            .trim_start()
            .get(..11)
            .is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCARD"));
        if vcard {
            let bytes = content.whole()?;
            let (text, _) = decode(&bytes);
            let cards = kartei_formats::vcard_read::parse(&text);
            return Ok(Table {
                headers: vec!["Name".to_string()],
                len: cards.len(),
                samples: cards
                    .iter()
                    .take(SAMPLES)
                    .map(|c| vec![c.display.clone()])
                    .collect(),
                source: Source::VCard,
                hash: hex(Sha256::new_with_prefix(&text)),
                body: Body::Cards(cards),
            });
        }
        // Three passes over a CSV file: its encoding (and hash), then its rows counted,
        // the delimiter found from its start.
        let mut hash = Sha256::new();
        let encoding = detect_encoding(content.open()?, |block| hash.update(block))?;
        let delimiter = detect_delimiter(&start);
        let mut records = Records::new(content.open()?, encoding, delimiter);
        let headers = records
            .next()
            .transpose()?
            .ok_or_else(|| ImportError::File("no rows".into()))?;
        let mut samples = Vec::new();
        let mut len = 0;
        for record in records {
            let record = record?;
            if samples.len() < SAMPLES {
                samples.push(record);
            }
            len += 1;
        }
        Ok(Table {
            headers,
            len,
            samples,
            source: Source::Csv {
                encoding,
                delimiter,
            },
            hash: hex(hash),
            body: Body::Csv(content),
        })
    }

    /// Reads the rows in order from row `from` (0 = the first after the header).
    pub(super) fn cursor(&self, from: usize) -> Result<Cursor<'_>, ImportError> {
        let records = match (&self.body, &self.source) {
            (
                Body::Csv(content),
                Source::Csv {
                    encoding,
                    delimiter,
                },
            ) => {
                let mut records = Records::new(content.open()?, *encoding, *delimiter);
                // The header, then the rows before `from`.
                for _ in 0..=from {
                    records.next().transpose()?;
                }
                Some(records)
            }
            _ => None,
        };
        Ok(Cursor {
            table: self,
            at: from.min(self.len),
            records,
        })
    }

    /// What each column probably holds, from its header (custom fields by their labels).
    pub fn suggested(&self, defs: &[CustomFieldDef]) -> Vec<Target> {
        match self.source {
            Source::VCard => vec![Target::FullName],
            _ => suggest_with_custom(&self.headers, defs),
        }
    }

    /// Applies a built-in or saved preset to `targets`; headers the file lacks are left
    /// out (a preset covers several variants of an export).
    pub async fn apply_preset(
        &self,
        store: &Store,
        targets: &mut [Target],
        key: &str,
    ) -> Result<(), ImportError> {
        if self.source == Source::VCard {
            return Ok(());
        }
        let columns: Vec<(String, String)> = match kartei_core::import_presets::preset(key) {
            Some(p) => p
                .columns
                .iter()
                .map(|(h, t)| (h.to_string(), t.to_string()))
                .collect(),
            None => store
                .import_presets()
                .await?
                .into_iter()
                .find(|(n, _)| n == key)
                .map(|(_, m)| m.into_iter().collect())
                .ok_or_else(|| {
                    let built_in: Vec<&str> = kartei_core::import_presets::PRESETS
                        .iter()
                        .map(|p| p.key)
                        .collect();
                    ImportError::File(format!(
                        "no preset {key:?}: built in are {}, or one saved with --save-preset",
                        built_in.join(", ")
                    ))
                })?,
        };
        for (column, meaning) in columns {
            if let Some(i) = self.headers.iter().position(|h| h.trim() == column) {
                targets[i] = parse_target(&meaning).ok_or_else(|| {
                    ImportError::File(format!("preset {key}: unknown meaning {meaning:?}"))
                })?;
            }
        }
        Ok(())
    }

    /// Applies a mapping (header → meaning) to `targets`.
    pub fn apply_mapping(
        &self,
        targets: &mut [Target],
        given: &HashMap<String, String>,
    ) -> Result<(), ImportError> {
        if self.source == Source::VCard {
            return Ok(());
        }
        for (column, meaning) in given {
            let i = self
                .headers
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| {
                    ImportError::File(format!(
                        "mapping names column {column:?}, which the file does not have"
                    ))
                })?;
            targets[i] = parse_target(meaning).ok_or_else(|| {
                ImportError::File(format!("mapping: unknown meaning {meaning:?}"))
            })?;
        }
        Ok(())
    }
}

/// A pass over a table's rows, in order.
pub(super) struct Cursor<'a> {
    table: &'a Table,
    /// The row read next.
    at: usize,
    /// A CSV file's records, read as the pass goes.
    records: Option<Records<Box<dyn BufRead + Send>>>,
}

impl Cursor<'_> {
    /// The next `n` rows (fewer at the end) as their cells; a vCard's is its name.
    pub(super) fn rows(&mut self, n: usize) -> Result<Vec<Vec<String>>, ImportError> {
        let end = (self.at + n).min(self.table.len);
        let range = self.at..end;
        self.at = end;
        match (&self.table.body, &mut self.records) {
            (Body::Csv(_), Some(records)) => {
                let mut rows = Vec::with_capacity(range.len());
                for _ in range {
                    // The row count was taken when the file was first read.
                    let row = records.next().transpose()?.ok_or_else(|| {
                        ImportError::File("the file became shorter while it was read".into())
                    })?;
                    rows.push(row);
                }
                Ok(rows)
            }
            (Body::Cards(cards), _) => Ok(cards[range]
                .iter()
                .map(|c| vec![c.display.clone()])
                .collect()),
            (Body::Rows(rows), _) => Ok(rows[range].to_vec()),
            (Body::Csv(_), None) => Ok(Vec::new()),
        }
    }

    /// The next `n` rows (fewer at the end) as drafts of contacts.
    pub(super) fn drafts(
        &mut self,
        n: usize,
        targets: &[Target],
    ) -> Result<Vec<kartei_core::import::RowDraft>, ImportError> {
        if let Body::Cards(cards) = &self.table.body {
            let end = (self.at + n).min(self.table.len);
            let drafts = cards[self.at..end]
                .iter()
                .map(|c| kartei_core::import::RowDraft {
                    contact: c.contact.clone(),
                    organization: c.organization.clone(),
                    external_id: c.uid.clone(),
                    unreadable: Vec::new(),
                    consents: Vec::new(),
                })
                .collect();
            self.at = end;
            return Ok(drafts);
        }
        Ok(self
            .rows(n)?
            .iter()
            .map(|row| row_to_contact(&self.table.headers, targets, row))
            .collect())
    }
}

/// A hash as hex digits.
pub(super) fn hex(hash: Sha256) -> String {
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Windows-1252 file with a line break inside a quoted field.
    const FILE: &[u8] = b"Vorname;Nachname;Notiz\r\nJ\xf6rg;M\xfcller;\"Zeile 1\r\nZeile 2\"\r\nErika;Mustermann;\r\nHans;Stra\xdfer;x\r\n";

    #[test]
    pub(super) fn a_file_on_disk_reads_as_the_same_upload_and_is_read_again_per_pass() {
        let path = std::env::temp_dir().join(format!("kartei-table-{}.csv", Uuid::now_v7()));
        std::fs::write(&path, FILE).unwrap();
        let on_disk = Table::read(Content::Path(path.clone()), None).unwrap();
        let uploaded = Table::read(Content::Bytes(FILE.into()), None).unwrap();
        for table in [&on_disk, &uploaded] {
            assert_eq!(table.headers, ["Vorname", "Nachname", "Notiz"]);
            assert_eq!(table.len, 3);
            assert_eq!(
                table.source,
                Source::Csv {
                    encoding: Encoding::Windows1252,
                    delimiter: ';'
                }
            );
            assert_eq!(table.samples[0][2], "Zeile 1\r\nZeile 2");
        }
        assert_eq!(on_disk.hash, uploaded.hash);
        // A pass from the second row on.
        let rows = on_disk.cursor(1).unwrap().rows(10).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][1], "Straßer");
        // A file that lost rows after it was counted is an error, not a short import.
        let second = FILE.windows(5).position(|w| w == b"Erika").unwrap();
        std::fs::write(&path, &FILE[..second]).unwrap();
        let err = on_disk.cursor(0).unwrap().rows(10).unwrap_err();
        assert!(err.to_string().contains("shorter"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }
}
