//! Kartei's domain: records and their validation, matching keys, the filter language and
//! access rules. Pure: no I/O, no async, no SQL.

pub mod access;
pub mod activity;
pub mod bank;
pub mod channels;
pub mod commerce;
pub mod consent;
pub mod contact;
pub mod contact_merge;
pub mod custom_field;
pub mod deal;
pub mod decimal;
pub mod email;
pub mod fields;
pub mod filter;
pub mod fuzzy;
pub mod i18n;
pub mod import;
pub mod import_match;
pub mod import_presets;
pub mod import_set_aside;
pub mod json;
pub mod loyalty;
pub mod matching;
pub mod merge_patch;
pub mod names;
pub mod organization;
pub mod phone;
pub mod postal;
pub mod quality;
pub mod record;
pub mod segment;
pub mod support;
pub mod tag;
pub mod text;
pub mod validation;
