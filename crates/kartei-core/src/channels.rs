//! The ways to reach a contact or organisation: typed e-mails, phones and postal addresses.

use crate::record::{raw, text, IndexValue, SearchKeys};
use crate::validation::{Checker, ErrorCode};
use crate::{email, phone, postal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const EMAIL_KINDS: &[&str] = &["work", "private", "other"];
pub const PHONE_KINDS: &[&str] = &["work", "mobile", "private", "fax", "other"];
pub const ADDRESS_KINDS: &[&str] = &["work", "private", "billing", "delivery", "other"];

/// How many entries of one kind a record may carry; more is an input error, not data
/// (the text of [`ErrorCode::TooMany`] names the number).
const MAX_ENTRIES: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailEntry {
    /// Plain address, stored in lower case.
    pub address: String,
    /// `work` (default), `private` or `other`.
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneEntry {
    /// Any notation on input; E.164 (`+49301234567`) on output.
    pub number: String,
    /// `work` (default), `mobile`, `private`, `fax` or `other`.
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Address {
    /// `work` (default), `private`, `billing`, `delivery` or `other`.
    pub kind: Option<String>,
    pub street: Option<String>,
    /// Address line for c/o, building or floor.
    pub extra: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    /// ISO 3166 alpha-2; `DE` when empty.
    pub country: Option<String>,
}

impl Address {
    /// Whether this address says nothing that `other` does not: every part it fills is
    /// the same place in `other` (the street in any notation, "Hauptstr. 1" and
    /// "Hauptstraße 1"; postcode and city case- and umlaut-blind; no country is any).
    /// An import adds an address only when no existing one covers it.
    pub fn is_covered_by(&self, other: &Address) -> bool {
        fn same(a: Option<&str>, b: Option<&str>, key: impl Fn(&str) -> String) -> bool {
            match a.map(str::trim).filter(|a| !a.is_empty()) {
                None => true,
                Some(a) => b.is_some_and(|b| key(a) == key(b)),
            }
        }
        let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        same(
            self.street.as_deref(),
            other.street.as_deref(),
            crate::matching::street_key,
        ) && same(
            self.extra.as_deref(),
            other.extra.as_deref(),
            crate::text::fold,
        ) && same(self.postcode.as_deref(), other.postcode.as_deref(), |p| {
            compact(p).to_uppercase()
        }) && same(
            self.city.as_deref(),
            other.city.as_deref(),
            crate::text::fold,
        ) && same(
            self.country.as_deref(),
            other.country.as_deref(),
            str::to_ascii_uppercase,
        )
    }
}

pub fn normalise_emails(check: &mut Checker, entries: Vec<EmailEntry>) -> Vec<EmailEntry> {
    if entries.len() > MAX_ENTRIES {
        check.fail("emails", ErrorCode::TooMany);
    }
    let mut out = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let kind = check
            .choice(&format!("emails[{i}].kind"), e.kind, EMAIL_KINDS)
            .unwrap_or_else(|| "work".into());
        let field = format!("emails[{i}].address");
        match check.normalise(&field, Some(e.address), email::normalise_email) {
            Some(address) => out.push(EmailEntry {
                address,
                kind: Some(kind),
            }),
            None if check.is_ok() => check.fail(field, ErrorCode::Required),
            None => {}
        }
    }
    out
}

pub fn normalise_phones(
    check: &mut Checker,
    entries: Vec<PhoneEntry>,
    region: &str,
) -> Vec<PhoneEntry> {
    if entries.len() > MAX_ENTRIES {
        check.fail("phones", ErrorCode::TooMany);
    }
    let mut out = Vec::with_capacity(entries.len());
    for (i, p) in entries.into_iter().enumerate() {
        let kind = check
            .choice(&format!("phones[{i}].kind"), p.kind, PHONE_KINDS)
            .unwrap_or_else(|| "work".into());
        let field = format!("phones[{i}].number");
        if p.number.trim().is_empty() {
            check.fail(field, ErrorCode::Required);
            continue;
        }
        if let Some(number) = check.normalise(&field, Some(p.number), |n| phone::to_e164(n, region))
        {
            out.push(PhoneEntry {
                number,
                kind: Some(kind),
            });
        }
    }
    out
}

/// Addresses checked and normalised; one that names no country is in `region`, the
/// home country of the installation.
pub fn normalise_addresses(
    check: &mut Checker,
    entries: Vec<Address>,
    region: &str,
) -> Vec<Address> {
    if entries.len() > MAX_ENTRIES {
        check.fail("addresses", ErrorCode::TooMany);
    }
    let mut out = Vec::with_capacity(entries.len());
    for (i, a) in entries.into_iter().enumerate() {
        let p = |f: &str| format!("addresses[{i}].{f}");
        let kind = check
            .choice(&p("kind"), a.kind, ADDRESS_KINDS)
            .unwrap_or_else(|| "work".into());
        let country = check
            .normalise(&p("country"), a.country, postal::normalise_country)
            .unwrap_or_else(|| region.to_string());
        let postcode = check.normalise(&p("postcode"), a.postcode, |c| {
            postal::normalise_postcode(&country, c)
        });
        let address = Address {
            kind: Some(kind),
            street: check.text(&p("street"), a.street, 200),
            extra: check.text(&p("extra"), a.extra, 200),
            postcode,
            city: check.text(&p("city"), a.city, 100),
            country: Some(country),
        };
        if address.street.is_none() && address.postcode.is_none() && address.city.is_none() {
            check.fail(p("city"), ErrorCode::Required);
        }
        out.push(address);
    }
    out
}

/// The index columns of a record's first e-mail, phone and address: lists filter and
/// sort on the primary way to reach someone.
pub fn index_values(
    emails: &[EmailEntry],
    phones: &[PhoneEntry],
    addresses: &[Address],
) -> Vec<(&'static str, IndexValue)> {
    let address = addresses.first();
    vec![
        ("email", text(emails.first().map(|e| &e.address))),
        ("phone", raw(phones.first().map(|p| &p.number))),
        ("city", text(address.and_then(|a| a.city.as_ref()))),
        ("postcode", raw(address.and_then(|a| a.postcode.as_ref()))),
        ("country", raw(address.and_then(|a| a.country.as_ref()))),
    ]
}

/// Search finds a record by every e-mail, phone and city it has, not only the first.
pub fn add_search_keys(
    keys: &mut SearchKeys,
    emails: &[EmailEntry],
    phones: &[PhoneEntry],
    addresses: &[Address],
) {
    for e in emails {
        keys.add_email(&e.address);
    }
    for p in phones {
        keys.add_phone(&p.number);
    }
    for a in addresses {
        keys.add_words(a.city.as_deref());
    }
}

/// The channel lists of a record that has them, for adding or removing one entry
/// without sending the whole list (and so without overwriting a colleague's entry).
pub struct Channels<'a> {
    pub emails: &'a mut Vec<EmailEntry>,
    pub phones: &'a mut Vec<PhoneEntry>,
    pub addresses: &'a mut Vec<Address>,
}

/// Records with e-mails, phones and addresses.
pub trait HasChannels {
    fn channels(&mut self) -> Channels<'_>;
}

/// One entry to add to a record.
#[derive(Debug, Clone)]
pub enum ChannelEntry {
    Email(EmailEntry),
    Phone(PhoneEntry),
    Address(Address),
}

/// One entry to take out of a record: an e-mail or phone by its value (in any notation),
/// an address by its position.
#[derive(Debug, Clone)]
pub enum ChannelKey {
    Email(String),
    Phone(String),
    Address(usize),
}

/// Errors of a single entry carry the field names of the entry alone (`address`,
/// `number`, `city`), not its position in the record's list.
fn single<T>(
    entry: T,
    normalise: impl FnOnce(&mut Checker, Vec<T>) -> Vec<T>,
    list: &str,
) -> Result<T, Vec<crate::validation::FieldError>> {
    let mut check = Checker::default();
    let mut out = normalise(&mut check, vec![entry]);
    let prefix = format!("{list}[0].");
    check.finish(()).map_err(|errors| {
        errors
            .into_iter()
            .map(|mut e| {
                e.field = e.field.trim_start_matches(&prefix).to_string();
                e
            })
            .collect::<Vec<_>>()
    })?;
    out.pop().ok_or_else(|| {
        vec![crate::validation::FieldError::new(
            list,
            ErrorCode::Required,
        )]
    })
}

impl Channels<'_> {
    /// Adds the entry, normalised, unless the record has it already (the same e-mail or
    /// number, or an address that says nothing new). Whether it was added.
    pub fn add(
        &mut self,
        entry: ChannelEntry,
        region: &str,
    ) -> Result<bool, Vec<crate::validation::FieldError>> {
        /// Appends `entry` unless `list` has the same already; a full list refuses it.
        fn push_new<T>(
            list: &mut Vec<T>,
            entry: T,
            field: &str,
            same: impl Fn(&T, &T) -> bool,
        ) -> Result<bool, Vec<crate::validation::FieldError>> {
            if list.iter().any(|x| same(&entry, x)) {
                return Ok(false);
            }
            if list.len() >= MAX_ENTRIES {
                return Err(vec![crate::validation::FieldError::new(
                    field,
                    ErrorCode::TooMany,
                )]);
            }
            list.push(entry);
            Ok(true)
        }
        match entry {
            ChannelEntry::Email(e) => {
                let e = single(e, normalise_emails, "emails")?;
                push_new(self.emails, e, "emails", |a, b| a.address == b.address)
            }
            ChannelEntry::Phone(p) => {
                let p = single(p, |c, v| normalise_phones(c, v, region), "phones")?;
                push_new(self.phones, p, "phones", |a, b| a.number == b.number)
            }
            ChannelEntry::Address(a) => {
                let a = single(a, |c, v| normalise_addresses(c, v, region), "addresses")?;
                push_new(self.addresses, a, "addresses", Address::is_covered_by)
            }
        }
    }

    /// Takes the entry out. Whether the record had it.
    pub fn remove(&mut self, key: &ChannelKey, region: &str) -> bool {
        fn take<T>(list: &mut Vec<T>, at: Option<usize>) -> bool {
            match at {
                Some(i) => {
                    list.remove(i);
                    true
                }
                None => false,
            }
        }
        match key {
            ChannelKey::Email(address) => {
                let wanted = email::normalise_email(address).unwrap_or_default();
                let at = self.emails.iter().position(|e| e.address == wanted);
                take(self.emails, at)
            }
            ChannelKey::Phone(number) => {
                let wanted = phone::to_e164(number, region).unwrap_or_default();
                let at = self.phones.iter().position(|p| p.number == wanted);
                take(self.phones, at)
            }
            ChannelKey::Address(i) => {
                let at = (*i < self.addresses.len()).then_some(*i);
                take(self.addresses, at)
            }
        }
    }
}
