//! Matching keys: the one place where text is folded for search, filters and sorting.
//!
//! A German user types "Mueller", "Muller" or "Müller" for the same person, so all
//! three fold to one key. The fold is applied to stored values and to what the user
//! types alike, which is why a few non-German words collapse too ("Michael" ->
//! "michal"): both sides collapse the same way, so matching stays exact.

/// Folds `text` to its matching key: lower case, accents and umlauts reduced to the
/// base letter, `ß` to `ss`, and the transliterations `ae`, `oe`, `ue` to `a`, `o`, `u`.
/// Runs of white space become one space; the result is trimmed.
pub fn fold(text: &str) -> String {
    let mut base = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !base.is_empty();
            continue;
        }
        if pending_space {
            base.push(' ');
            pending_space = false;
        }
        match fold_char(c) {
            Folded::One(f) => base.push(f),
            Folded::Two(a, b) => {
                base.push(a);
                base.push(b);
            }
            Folded::Lower => base.extend(c.to_lowercase()),
        }
    }
    collapse_transliterations(&base)
}

enum Folded {
    One(char),
    Two(char, char),
    Lower,
}

fn fold_char(c: char) -> Folded {
    match c {
        'ä' | 'Ä' | 'à' | 'á' | 'â' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Å' | 'ā' | 'ą' => {
            Folded::One('a')
        }
        'ö' | 'Ö' | 'ò' | 'ó' | 'ô' | 'õ' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ø' | 'ő' => {
            Folded::One('o')
        }
        'ü' | 'Ü' | 'ù' | 'ú' | 'û' | 'Ù' | 'Ú' | 'Û' | 'ű' | 'ů' => Folded::One('u'),
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' | 'ę' | 'ě' => Folded::One('e'),
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => Folded::One('i'),
        'ç' | 'Ç' | 'č' | 'Č' | 'ć' | 'Ć' => Folded::One('c'),
        'ñ' | 'Ñ' | 'ń' | 'ň' => Folded::One('n'),
        'š' | 'Š' | 'ś' | 'Ś' => Folded::One('s'),
        'ž' | 'Ž' | 'ź' | 'ż' => Folded::One('z'),
        'ł' | 'Ł' => Folded::One('l'),
        'ý' | 'ÿ' | 'Ý' => Folded::One('y'),
        'ř' | 'Ř' => Folded::One('r'),
        'đ' | 'ď' => Folded::One('d'),
        'ť' => Folded::One('t'),
        'ß' | 'ẞ' => Folded::Two('s', 's'),
        'æ' | 'Æ' => Folded::One('a'),
        'œ' | 'Œ' => Folded::One('o'),
        _ => Folded::Lower,
    }
}

/// `ae` -> `a`, `oe` -> `o`, `ue` -> `u`: the spellings of ä, ö, ü without umlauts.
fn collapse_transliterations(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous = '\0';
    for c in s.chars() {
        if c == 'e' && matches!(previous, 'a' | 'o' | 'u') {
            previous = '\0';
            continue;
        }
        out.push(c);
        previous = c;
    }
    out
}

/// The key text sorts by in lists, as German dictionaries and phone books order it
/// (DIN 5007, variant 1): case-blind, `ä` as `a`, `ö` as `o`, `ü` as `u`, `ß` as `ss`,
/// other accents dropped, and the spelling itself as a tie-break ("Muller" before
/// "Müller"). Unlike the matching key [`fold`], `ue` stays `ue`: "Bauer" sorts before
/// "Baumann", where the matching key ("baur") would put it after.
pub fn sort_key(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let exact = words.join(" ").to_lowercase();
    let mut base = String::with_capacity(exact.len());
    for c in exact.chars() {
        match fold_char(c) {
            Folded::One(f) => base.push(f),
            Folded::Two(a, b) => {
                base.push(a);
                base.push(b);
            }
            Folded::Lower => base.push(c),
        }
    }
    if base == exact {
        base
    } else {
        // U+0001 sorts before every character of a name, so "muller" comes before
        // "muller\u{1}müller" and both before "mullers".
        format!("{base}\u{1}{exact}")
    }
}

/// Folds and returns `None` for empty text, the form index columns store.
pub fn fold_key(text: Option<&str>) -> Option<String> {
    text.map(fold).filter(|k| !k.is_empty())
}

/// The words of `text` as folded search tokens (letters and digits; everything else splits).
pub fn word_tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
}

/// Search tokens of an e-mail address: the whole address, and every tail that starts
/// after a separator, so "mueller@beispiel" and "beispiel.de" find "anna.mueller@beispiel.de".
pub fn email_tokens(address: &str) -> Vec<String> {
    let folded = fold(address);
    let mut tokens = vec![folded.clone()];
    for (i, c) in folded.char_indices() {
        if matches!(c, '.' | '_' | '-' | '+' | '@') {
            let tail = &folded[i + c.len_utf8()..];
            if !tail.is_empty() {
                tokens.push(tail.to_string());
            }
        }
    }
    tokens
}

/// The smallest string greater than every string starting with `prefix`, for index range
/// scans (`token >= prefix AND token < upper`). `None` when no such bound exists.
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Trims, and turns empty text into `None`.
pub fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
}

/// Trims multi-line text (notes, descriptions): line breaks stay (as `\n`), spaces at
/// line ends go, more than one empty line becomes one; `None` when nothing remains.
pub fn clean_lines(text: Option<String>) -> Option<String> {
    let text = text?;
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() && out.last().is_some_and(|l| l.trim().is_empty()) {
            continue;
        }
        out.push(line);
    }
    let joined = out.join("\n");
    let trimmed = joined.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_as_din_5007_orders_them() {
        let expected = [
            "Bauer",
            "Baumann",
            "Bäumer",
            "Baur",
            "Becker",
            "Mueller",
            "Muller",
            "Müller",
            "Müllerin",
            "Strasser",
            "Straßer",
            "Strauß",
            "Zander",
        ];
        let mut names = expected.to_vec();
        names.reverse();
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(names, expected);
        // The matching key stays spelling-blind: these three are one person to search.
        assert_eq!(fold("Mueller"), fold("Müller"));
        assert_ne!(sort_key("Mueller"), sort_key("Müller"));
        assert_eq!(sort_key("MÜLLER  Anna"), sort_key("Müller anna"));
    }

    #[test]
    fn notes_keep_their_lines() {
        assert_eq!(
            clean_lines(Some("  Zeile 1 \r\nZeile 2\n\n\n\nEnde ".into())).as_deref(),
            Some("Zeile 1\nZeile 2\n\nEnde")
        );
        assert_eq!(clean_lines(Some(" \n ".into())), None);
    }

    #[test]
    fn umlauts_and_transliterations_share_a_key() {
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("Mueller"), "muller");
        assert_eq!(fold("MULLER"), "muller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("  Jörg   Ölmann "), "jorg olmann");
        assert_eq!(fold("Gößweinstein"), fold("Goessweinstein"));
    }

    #[test]
    fn email_tails_are_tokens() {
        let t = email_tokens("Anna.Mueller@Beispiel.de");
        assert!(t.contains(&"anna.muller@beispiel.de".to_string()));
        assert!(t.contains(&"muller@beispiel.de".to_string()));
        assert!(t.contains(&"beispiel.de".to_string()));
        assert!(t.contains(&"de".to_string()));
    }

    #[test]
    fn prefix_bounds() {
        assert_eq!(prefix_upper_bound("mull").as_deref(), Some("mulm"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound(""), None);
    }

    #[test]
    fn word_tokens_split_on_punctuation() {
        let t: Vec<_> = word_tokens("Müller & Söhne GmbH").collect();
        assert_eq!(t, ["muller", "sohne", "gmbh"]);
    }
}
