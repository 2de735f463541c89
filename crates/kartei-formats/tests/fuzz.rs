//! Property tests of everything that parses outside input: CSV, vCard, XLSX and the
//! list filter. Arbitrary input never panics; what Kartei writes reads back the same;
//! reading grows linearly with the input.
//!
//! `scripts/test` runs a few hundred cases of each property. A long run for a fixed
//! time per property, with the number of cases printed:
//!
//! ```text
//! KARTEI_FUZZ_SECONDS=600 cargo test --release -p kartei-formats --test fuzz -- --nocapture --test-threads 1
//! ```

use kartei_core::filter::{Filter, Sort};
use kartei_core::record::Entity;
use kartei_formats::{csv, csv_read, vcard_read, xlsx};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::time::{Duration, Instant};

/// Runs `test` on values of `strategy`: 256 cases from a fixed seed (the same on every
/// run, so that a test run cannot fail by chance), or, with `KARTEI_FUZZ_SECONDS`, new
/// rounds of fresh random cases until that time has passed. Prints the count.
fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let budget = std::env::var("KARTEI_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let started = Instant::now();
    let round = 256;
    let mut cases = 0u64;
    loop {
        let config = Config {
            cases: round,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = match budget {
            Some(_) => TestRunner::new(config),
            None => {
                TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
            }
        };
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("{name}: {e}");
        }
        cases += u64::from(round);
        if budget.is_none_or(|b| started.elapsed() >= b) {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {cases} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Text made mostly of the characters that steer a parser, with some of anything.
fn tricky_text(steering: &'static [char], max: usize) -> impl Strategy<Value = String> {
    let pick = prop_oneof![
        4 => proptest::sample::select(steering),
        2 => proptest::sample::select(&['a', 'Z', 'ä', 'ß', '1', ' ', '€'][..]),
        1 => any::<char>(),
    ];
    proptest::collection::vec(pick, 0..max).prop_map(|cs| cs.into_iter().collect())
}

const CSV_STEERING: &[char] = &['"', ';', ',', '\t', '\r', '\n', '=', '\''];

#[test]
fn csv_reads_any_text_the_same_in_any_pieces() {
    let strategy = (
        tricky_text(CSV_STEERING, 200),
        proptest::sample::select(&[';', ',', '\t'][..]),
        proptest::collection::vec(0usize..200, 0..6),
    );
    fuzz("csv pieces", strategy, |(text, delimiter, cuts)| {
        let whole = csv_read::parse(&text, delimiter);
        let mut bounds: Vec<usize> = cuts
            .into_iter()
            .map(|c| c.min(text.len()))
            .filter(|&c| text.is_char_boundary(c))
            .collect();
        bounds.sort_unstable();
        let mut parser = csv_read::Parser::new(delimiter);
        let mut pieces = Vec::new();
        let mut from = 0;
        for to in bounds.into_iter().chain([text.len()]) {
            parser.feed(&text[from..to], &mut pieces);
            from = to;
        }
        parser.finish(&mut pieces);
        prop_assert_eq!(whole, pieces);
        Ok(())
    });
}

#[test]
fn csv_bytes_in_any_encoding_never_panic() {
    let strategy = (
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::sample::select(&[';', ',', '\t'][..]),
    );
    fuzz("csv bytes", strategy, |(bytes, delimiter)| {
        let (text, encoding) = csv_read::decode(&bytes);
        let found = csv_read::detect_encoding(&bytes[..], |_| {}).unwrap();
        prop_assert_eq!(encoding, found, "one encoding by both ways of reading");
        let _ = csv_read::detect_delimiter(&text);
        let rows = csv_read::parse(&text, delimiter);
        let mut streamed = Vec::new();
        for row in csv_read::Records::new(&bytes[..], encoding, delimiter) {
            streamed.push(row.unwrap());
        }
        prop_assert_eq!(rows, streamed);
        Ok(())
    });
}

fn cells(max_rows: usize) -> impl Strategy<Value = Vec<Vec<String>>> {
    let cell = tricky_text(
        &['"', ';', ',', '\n', '\r', '=', '+', '-', '@', '\'', '\t'],
        12,
    );
    let row = proptest::collection::vec(cell, 1..5)
        // A line with one blank cell is a blank line, which the reader skips.
        .prop_filter("not a blank line", |r| {
            r.len() > 1 || !r[0].trim().is_empty()
        });
    proptest::collection::vec(row, 0..max_rows)
}

#[test]
fn csv_written_by_kartei_reads_back_cell_for_cell() {
    let strategy = (cells(6), proptest::sample::select(&[';', ',', '\t'][..]));
    fuzz("csv round trip", strategy, |(rows, delimiter)| {
        let text: String = rows.iter().map(|r| csv::line(r, delimiter)).collect();
        // The reader takes the formula guard off again.
        let read = csv_read::parse(&text, delimiter);
        prop_assert_eq!(rows, read, "{:?}", text);
        Ok(())
    });
}

const VCARD_STEERING: &[char] = &[':', ';', ',', '\\', '\r', '\n', ' ', '=', 'n', 'N'];

fn vcard_like() -> impl Strategy<Value = String> {
    let name = proptest::sample::select(
        &[
            "FN",
            "N",
            "EMAIL",
            "TEL",
            "ADR",
            "ORG",
            "TITLE",
            "NOTE",
            "BDAY",
            "UID",
            "CATEGORIES",
            "item1.EMAIL",
            "X-CUSTOM",
            "BEGIN",
            "END",
            "VERSION",
        ][..],
    );
    let params = proptest::sample::select(
        &[
            "",
            ";TYPE=work",
            ";TYPE=\"cell,voice\"",
            ";CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE",
            ";PREF=1",
            ";",
        ][..],
    );
    let line = (name, params, tricky_text(VCARD_STEERING, 40))
        .prop_map(|(n, p, v)| format!("{n}{p}:{v}\r\n"));
    proptest::collection::vec(line, 0..12).prop_map(|lines| {
        format!(
            "BEGIN:VCARD\r\nVERSION:4.0\r\n{}END:VCARD\r\n",
            lines.concat()
        )
    })
}

#[test]
fn vcard_reads_any_text_without_panic() {
    fuzz(
        "vcard text",
        prop_oneof![tricky_text(VCARD_STEERING, 300), vcard_like()],
        |text| {
            for card in vcard_read::parse(&text) {
                // Every card the reader gives has a name to show in reports.
                let _ = card.display.len();
            }
            Ok(())
        },
    );
}

#[test]
fn xlsx_reads_any_bytes_and_damaged_files_without_panic() {
    let sample = xlsx::write(
        "Kontakte",
        &[
            vec!["Name".into(), "E-Mail".into()],
            vec!["Müller".into(), "m@example.org".into()],
        ],
    );
    let damage = proptest::collection::vec((0..sample.len(), any::<u8>()), 0..8);
    let strategy = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400).prop_map(|b| (b, Vec::new())),
        damage.prop_map(move |d| (sample.clone(), d)),
    ];
    fuzz("xlsx bytes", strategy, |(mut bytes, damage)| {
        for (at, byte) in damage {
            bytes[at] = byte;
        }
        let _ = xlsx::looks_like_xlsx(&bytes);
        let _ = xlsx::sheet_names(&bytes);
        let _ = xlsx::read_sheet(&bytes, None);
        Ok(())
    });
}

#[test]
fn xlsx_written_by_kartei_reads_back_cell_for_cell() {
    // XML cannot carry control characters or a lone carriage return; the writer drops
    // the former, so the property holds for text without them.
    let cell = tricky_text(&['"', '<', '&', '>', '=', '+', '\n', '\'', ' '], 12).prop_map(|c| {
        c.chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .collect::<String>()
    });
    // As an export: a header with a name in every column, then rows of any text (a
    // sheet ends at its last row with text).
    let header = proptest::collection::vec(
        proptest::sample::select(&["Name", "E-Mail", "Straße", "Ort"][..]).prop_map(String::from),
        3,
    );
    let rows = (
        header,
        proptest::collection::vec(proptest::collection::vec(cell, 3), 0..6),
    )
        .prop_map(|(header, mut rows)| {
            while rows
                .last()
                .is_some_and(|r| r.iter().all(|c| c.trim().is_empty()))
            {
                rows.pop();
            }
            rows.insert(0, header);
            rows
        });
    fuzz("xlsx round trip", rows, |rows| {
        let read = xlsx::read_sheet(&xlsx::write("Kontakte", &rows), None).unwrap();
        prop_assert_eq!(rows, read);
        Ok(())
    });
}

/// JSON values with the words a filter understands, nested a few levels.
fn filter_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let word = proptest::sample::select(
        &[
            "and",
            "or",
            "not",
            "field",
            "op",
            "value",
            "eq",
            "ne",
            "lt",
            "gt",
            "contains",
            "starts_with",
            "in",
            "is_empty",
            "has_tag",
            "city",
            "last_name",
            "created_at",
            "custom.x",
            "team_size",
            "birthday",
            "",
        ][..],
    )
    .prop_map(str::to_string);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        word.clone().prop_map(Value::String),
        tricky_text(&['%', '_', '\\', '"', '-', '1', ':'], 20).prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((word.clone(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

#[test]
fn filters_and_sorts_of_any_shape_are_checked_without_panic() {
    let strategy = prop_oneof![
        filter_json().prop_map(|v| v.to_string()),
        tricky_text(&['{', '}', '[', ']', '"', ':', ','], 120),
    ];
    fuzz("filter", strategy, |text| {
        if let Ok(filter) = serde_json::from_str::<Filter>(&text) {
            for entity in Entity::ALL {
                let _ = filter.clone().typed(entity, &[]);
            }
        }
        let _ = Sort::parse(Entity::Contact, &[], &text);
        Ok(())
    });
}

/// The fastest of three runs of `f`.
fn fastest(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// A shape of input: its name, how to make it `n` units long and how to read it.
type Shape = (&'static str, fn(usize) -> String, fn(&str));

/// Eight times the input costs far less than 64 times the time: a reader that went
/// back over what it read (quadratic) would show it on these shapes.
#[test]
fn reading_grows_linearly_with_the_input() {
    let shapes: [Shape; 5] = [
        (
            "csv quotes",
            |n| "\"".repeat(n),
            |t| drop(csv_read::parse(t, ';')),
        ),
        (
            "csv one long line",
            |n| "a;".repeat(n),
            |t| drop(csv_read::parse(t, ';')),
        ),
        (
            "csv line ends",
            |n| "\r".repeat(n),
            |t| drop(csv_read::parse(t, ';')),
        ),
        (
            "vcard folded line",
            |n| {
                format!(
                    "BEGIN:VCARD\r\nNOTE:{}\r\nEND:VCARD\r\n",
                    "x\r\n ".repeat(n)
                )
            },
            |t| drop(vcard_read::parse(t)),
        ),
        (
            "vcard many cards",
            |n| "BEGIN:VCARD\r\nFN:A\\;B\r\n".repeat(n),
            |t| drop(vcard_read::parse(t)),
        ),
    ];
    for (name, make, read) in shapes {
        let small = make(20_000);
        let large = make(160_000);
        let a = fastest(|| read(&small)).max(Duration::from_micros(200));
        let b = fastest(|| read(&large));
        let ratio = b.as_secs_f64() / a.as_secs_f64();
        eprintln!("{name}: x8 input, x{ratio:.1} time");
        assert!(
            ratio < 32.0,
            "{name}: eight times the input took {ratio:.1} times as long"
        );
    }
}
