//! Small helpers for building statements with sea-query.

use kartei_core::record::IndexValue;
use sea_query::{Alias, Expr, SimpleExpr, Value};

pub fn name(n: &str) -> Alias {
    Alias::new(n)
}

/// `alias.column`
pub fn qcol(alias: &str, column: &str) -> Expr {
    Expr::col((Alias::new(alias), Alias::new(column)))
}

pub fn index_value(v: &IndexValue) -> Value {
    match v {
        IndexValue::Text(t) => t.clone().into(),
        IndexValue::Int(i) => (*i).into(),
        IndexValue::Date(d) => (*d).into(),
        IndexValue::Timestamp(t) => (*t).into(),
        IndexValue::Uuid(u) => (*u).into(),
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Splits `items` into chunks that stay under the bound-parameter limit of both
/// databases (SQLite 32766, PostgreSQL 65535) for rows of `columns` values.
pub fn chunk_size(columns: usize) -> usize {
    (30_000 / columns.max(1)).max(1)
}

/// `SUM(column)` as a 64-bit integer, 0 for no rows: PostgreSQL sums BIGINT to NUMERIC.
pub fn sum_i64(column: &str) -> SimpleExpr {
    sea_query::Func::cast_as(
        sea_query::Func::coalesce([
            sea_query::Func::sum(Expr::col(name(column))).into(),
            Expr::val(0i64).into(),
        ]),
        Alias::new("BIGINT"),
    )
    .into()
}
