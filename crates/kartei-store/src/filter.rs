//! The filter compiler: kartei-core's typed filter AST to one SQL condition, the same
//! text for SQLite and PostgreSQL.
//!
//! Every predicate is two-valued (never SQL NULL), so that `not` means what it says:
//! "not city = Berlin" includes contacts without a city.

use crate::sql::{like_escape, name, qcol};
use kartei_core::filter::{Comparison, Predicate, Scalar, Target, TypedFilter};
use kartei_core::text::prefix_upper_bound;
use sea_query::{Alias, Expr, JoinType, LikeExpr, Query, SelectStatement, SimpleExpr, Value};

/// The alias of the record table in list queries.
pub const RECORD: &str = "c";

pub fn scalar_value(s: &Scalar) -> Value {
    match s {
        Scalar::Text(t) => t.clone().into(),
        Scalar::Int(i) => (*i).into(),
        Scalar::Date(d) => (*d).into(),
        Scalar::Timestamp(t) => (*t).into(),
        Scalar::Uuid(u) => (*u).into(),
    }
}

fn always(truth: bool) -> SimpleExpr {
    Expr::val(1).eq(i32::from(truth))
}

/// How filter columns may be used by the planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexUse {
    /// The planner chooses.
    Free,
    /// Filter columns are written `+c.col` so that SQLite cannot drive the query by
    /// their index and walks the sort (or search) index instead; see [`crate::list`].
    /// SQLite only: PostgreSQL, which plans by statistics, has no unary plus on text.
    SortFirst,
}

/// A column of the record in a filter condition.
fn column(name: &str, use_: IndexUse) -> Expr {
    match use_ {
        IndexUse::Free => qcol(RECORD, name),
        IndexUse::SortFirst => Expr::expr(Expr::cust(format!("+\"{RECORD}\".\"{name}\""))),
    }
}

pub fn compile(filter: &TypedFilter, use_: IndexUse) -> SimpleExpr {
    let all = |items: &[TypedFilter]| items.iter().map(|f| compile(f, use_)).collect::<Vec<_>>();
    match filter {
        TypedFilter::And(items) => all(items)
            .into_iter()
            .reduce(SimpleExpr::and)
            .unwrap_or_else(|| always(true)),
        TypedFilter::Or(items) => all(items)
            .into_iter()
            .reduce(SimpleExpr::or)
            .unwrap_or_else(|| always(false)),
        TypedFilter::Not(inner) => compile(inner, use_).not(),
        TypedFilter::Pred(p) => predicate(p, use_),
    }
}

/// `EXISTS (SELECT 1 FROM custom_values v WHERE v.record_id = c.id AND v.field_id = ? AND <cond>)`
fn custom_exists(field_id: uuid::Uuid, cond: Option<SimpleExpr>) -> SimpleExpr {
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from_as(name("custom_values"), Alias::new("v"))
        .and_where(qcol("v", "record_id").equals((Alias::new(RECORD), Alias::new("id"))))
        .and_where(qcol("v", "field_id").eq(field_id));
    if let Some(c) = cond {
        q.and_where(c);
    }
    Expr::exists(q)
}

fn compare(col: Expr, cmp: Comparison, v: Value) -> SimpleExpr {
    match cmp {
        Comparison::Eq => col.eq(v),
        Comparison::Ne => col.ne(v),
        Comparison::Lt => col.lt(v),
        Comparison::Le => col.lte(v),
        Comparison::Gt => col.gt(v),
        Comparison::Ge => col.gte(v),
    }
}

fn starts_with(col: impl Fn() -> Expr, text: &str) -> SimpleExpr {
    // A range, not LIKE, so that the column's index serves it on both databases.
    let lower = col().gte(text);
    match prefix_upper_bound(text) {
        Some(upper) => lower.and(col().lt(upper)),
        None => lower,
    }
}

fn predicate(p: &Predicate, use_: IndexUse) -> SimpleExpr {
    match p {
        Predicate::HasTag { name_key } => {
            let mut q = Query::select();
            q.expr(Expr::val(1))
                .from_as(name("record_tags"), Alias::new("rt"))
                .join_as(
                    JoinType::InnerJoin,
                    name("tags"),
                    Alias::new("t"),
                    qcol("t", "id").equals((Alias::new("rt"), Alias::new("tag_id"))),
                )
                .and_where(qcol("rt", "record_id").equals((Alias::new(RECORD), Alias::new("id"))))
                .and_where(qcol("t", "name_key").eq(name_key.as_str()));
            Expr::exists(q)
        }
        Predicate::MayContact { channel, purpose } => {
            let mut q = Query::select();
            q.from(name("consent_state"))
                .and_where(Expr::col(name("channel")).eq(channel.as_str()))
                .and_where(Expr::col(name("purpose")).eq(purpose.as_str()))
                .and_where(Expr::col(name("status")).eq("granted"))
                .and_where(
                    Expr::col(name("expires_at"))
                        .is_null()
                        .or(Expr::col(name("expires_at")).gt(crate::now())),
                );
            match use_ {
                // Counting or a small share: an IN over the state's index (channel,
                // purpose, status, contact) walks the permitted contacts only.
                IndexUse::Free => {
                    q.column(name("contact_id"));
                    qcol(RECORD, "id").in_subquery(q)
                }
                // A page in sort order over many: each row of the sort index is probed,
                // and the walk stops when the page is full.
                IndexUse::SortFirst => {
                    q.expr(Expr::val(1)).and_where(
                        Expr::col((Alias::new("consent_state"), Alias::new("contact_id")))
                            .equals((Alias::new(RECORD), Alias::new("id"))),
                    );
                    Expr::exists(q)
                }
            }
        }
        Predicate::Compare { target, cmp, value } => match target {
            Target::Column { column, .. } => {
                let col = || self::column(column, use_);
                if *cmp == Comparison::Ne {
                    col().is_null().or(col().ne(scalar_value(value)))
                } else {
                    col()
                        .is_not_null()
                        .and(compare(col(), *cmp, scalar_value(value)))
                }
            }
            Target::Custom { field_id, .. } => {
                if *cmp == Comparison::Ne {
                    custom_exists(*field_id, Some(qcol("v", "value").eq(scalar_value(value)))).not()
                } else {
                    custom_exists(
                        *field_id,
                        Some(compare(qcol("v", "value"), *cmp, scalar_value(value))),
                    )
                }
            }
        },
        Predicate::In { target, values } => {
            let values: Vec<Value> = values.iter().map(scalar_value).collect();
            match target {
                Target::Column { column, .. } => self::column(column, use_)
                    .is_not_null()
                    .and(self::column(column, use_).is_in(values)),
                Target::Custom { field_id, .. } => {
                    custom_exists(*field_id, Some(qcol("v", "value").is_in(values)))
                }
            }
        }
        Predicate::Contains { target, text } => {
            let pattern = LikeExpr::new(format!("%{}%", like_escape(text))).escape('\\');
            match target {
                Target::Column { column, .. } => self::column(column, use_)
                    .is_not_null()
                    .and(self::column(column, use_).like(pattern)),
                Target::Custom { field_id, .. } => {
                    custom_exists(*field_id, Some(qcol("v", "value").like(pattern)))
                }
            }
        }
        Predicate::StartsWith { target, text } => match target {
            Target::Column { column, .. } => self::column(column, use_)
                .is_not_null()
                .and(starts_with(|| self::column(column, use_), text)),
            Target::Custom { field_id, .. } => {
                custom_exists(*field_id, Some(starts_with(|| qcol("v", "value"), text)))
            }
        },
        Predicate::IsEmpty { target } => match target {
            Target::Column { column, .. } => self::column(column, use_).is_null(),
            Target::Custom { field_id, .. } => custom_exists(*field_id, None).not(),
        },
    }
}

/// Adds the filter (if any) and the live-record condition to a query on `c`.
pub fn restrict(q: &mut SelectStatement, filter: Option<&TypedFilter>, use_: IndexUse) {
    q.and_where(qcol(RECORD, "deleted_at").is_null());
    if let Some(f) = filter {
        q.and_where(compile(f, use_));
    }
}
