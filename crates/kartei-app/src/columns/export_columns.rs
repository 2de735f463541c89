//! Custom fields as cells, and the columns an export writes.

use super::*;

/// A custom value as a person reads it (list cell, spreadsheet, detail page).
pub fn custom_cell(def: &CustomFieldDef, value: Option<&Value>, lang: Lang) -> String {
    let label = |key: &str| {
        def.options
            .iter()
            .find(|o| o.key == key)
            .map_or(key.to_string(), |o| match lang {
                Lang::De => o.label_de.clone(),
                Lang::En => o.label_en.clone(),
            })
    };
    match (def.kind, value) {
        (_, None | Some(Value::Null)) => String::new(),
        (CustomKind::Boolean, Some(Value::Bool(b))) => lang
            .pick(
                if *b { "ja" } else { "nein" },
                if *b { "yes" } else { "no" },
            )
            .into(),
        (CustomKind::Date, Some(Value::String(d))) => {
            date(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok(), lang)
        }
        (CustomKind::SingleChoice, Some(Value::String(k))) => label(k),
        (CustomKind::MultiChoice, Some(Value::Array(ks))) => ks
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join(", "),
        (CustomKind::Number, Some(Value::Number(n))) if lang == Lang::De => {
            n.to_string().replace('.', ",")
        }
        (_, Some(Value::String(t))) => t.clone(),
        (_, Some(v)) => v.to_string(),
    }
}

pub fn custom_label(def: &CustomFieldDef, lang: Lang) -> &str {
    match lang {
        Lang::De => &def.label_de,
        Lang::En => &def.label_en,
    }
}

/// The columns an export writes: the exported built-in columns and every custom field,
/// or those chosen by key (`email`, `custom.size`) in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportColumns(Option<Vec<String>>);

enum ExportColumn<'a, R: 'static> {
    Column(&'static Column<R>),
    Custom(&'a CustomFieldDef),
}

impl ExportColumns {
    /// Whether the export writes the column `key` (all export columns, when none are
    /// chosen, leave out the view-only ones).
    pub fn includes(&self, key: &str) -> bool {
        self.0
            .as_ref()
            .is_some_and(|keys| keys.iter().any(|k| k == key))
    }

    /// All exported columns.
    pub fn all() -> ExportColumns {
        ExportColumns(None)
    }

    /// Chosen columns; an unknown key is an error naming it (and what there is).
    pub fn chosen<R: Columns>(
        keys: &[String],
        defs: &[CustomFieldDef],
    ) -> Result<ExportColumns, String> {
        for k in keys {
            let known = match k.strip_prefix("custom.") {
                Some(key) => defs.iter().any(|d| d.key == key),
                None => R::column(k).is_some(),
            };
            if !known {
                let mut there: Vec<String> = R::COLUMNS.iter().map(|c| c.key.to_string()).collect();
                there.extend(defs.iter().map(|d| format!("custom.{}", d.key)));
                return Err(format!(
                    "unknown column {k:?}; there are {}",
                    there.join(", ")
                ));
            }
        }
        Ok(ExportColumns(Some(keys.to_vec())))
    }

    fn resolve<'a, R: Columns>(&self, defs: &'a [CustomFieldDef]) -> Vec<ExportColumn<'a, R>> {
        match &self.0 {
            None => R::COLUMNS
                .iter()
                .filter(|c| c.export)
                .map(ExportColumn::Column)
                .chain(defs.iter().map(ExportColumn::Custom))
                .collect(),
            Some(keys) => keys
                .iter()
                .filter_map(|k| match k.strip_prefix("custom.") {
                    Some(key) => defs.iter().find(|d| d.key == key).map(ExportColumn::Custom),
                    None => R::column(k).map(ExportColumn::Column),
                })
                .collect(),
        }
    }

    /// The header cells.
    pub fn header<R: Columns>(&self, defs: &[CustomFieldDef], lang: Lang) -> Vec<String> {
        self.resolve::<R>(defs)
            .into_iter()
            .map(|c| match c {
                ExportColumn::Column(c) => c.label(lang).to_string(),
                ExportColumn::Custom(d) => custom_label(d, lang).to_string(),
            })
            .collect()
    }

    /// The cells of one record.
    pub fn cells<R: Columns>(
        &self,
        r: &Record<R>,
        defs: &[CustomFieldDef],
        ctx: &CellContext,
    ) -> Vec<String> {
        self.resolve::<R>(defs)
            .into_iter()
            .map(|c| match c {
                ExportColumn::Column(c) => (c.value)(r, ctx),
                ExportColumn::Custom(d) => custom_cell(d, r.data.custom().get(&d.key), ctx.lang),
            })
            .collect()
    }

    /// The first line of a CSV export: a byte-order mark for German Excel, then the
    /// headers.
    pub fn csv_header<R: Columns>(&self, defs: &[CustomFieldDef], lang: Lang) -> String {
        let mut text = if lang == Lang::De {
            csv::BOM.to_string()
        } else {
            String::new()
        };
        text.push_str(&csv::line(
            &self.header::<R>(defs, lang),
            csv::delimiter(lang),
        ));
        text
    }

    pub fn csv_row<R: Columns>(
        &self,
        r: &Record<R>,
        defs: &[CustomFieldDef],
        ctx: &CellContext,
    ) -> String {
        csv::line(&self.cells(r, defs, ctx), csv::delimiter(ctx.lang))
    }
}

/// The header line of a CSV export of all exported columns.
pub fn csv_header<R: Columns>(defs: &[CustomFieldDef], lang: Lang) -> String {
    ExportColumns::all().csv_header::<R>(defs, lang)
}

pub fn csv_row<R: Columns>(r: &Record<R>, defs: &[CustomFieldDef], ctx: &CellContext) -> String {
    ExportColumns::all().csv_row(r, defs, ctx)
}
