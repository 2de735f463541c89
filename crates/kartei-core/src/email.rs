//! E-mail addresses: plain `local@domain.tld`, stored in lower case.

use crate::validation::ErrorCode;

/// Checks and normalises an address. Display names (`Anna <anna@x.de>`), missing
/// top-level domains and spaces are rejected; the result is lower case, because no
/// mail system our users reach treats the local part case-sensitively and duplicate
/// detection compares addresses as equal strings.
pub fn normalise_email(input: &str) -> Result<String, ErrorCode> {
    let address = input.trim().to_lowercase();
    let (local, domain) = address.rsplit_once('@').ok_or(ErrorCode::InvalidEmail)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    if local_ok && domain_ok {
        Ok(address)
    } else {
        Err(ErrorCode::InvalidEmail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases() {
        assert_eq!(
            normalise_email(" Anna.Mueller@Beispiel.DE ").unwrap(),
            "anna.mueller@beispiel.de"
        );
        assert!(normalise_email("jörg+crm@müller-bau.de").is_ok());
    }

    #[test]
    fn rejects_display_names_missing_tld_and_spaces() {
        for bad in [
            "Anna <anna@beispiel.de>",
            "anna@beispiel",
            "anna beispiel@x.de",
            "@x.de",
            "anna@",
            "anna@x.d",
            "anna@-x.de",
            "a..b@x.de",
            "anna@x.123",
        ] {
            assert_eq!(normalise_email(bad), Err(ErrorCode::InvalidEmail), "{bad}");
        }
    }
}
