//! Typo tolerance by deletion neighbourhoods.
//!
//! Every distinct name term is stored with its single-character deletions. A query word
//! generates its own deletions; two words share a variant exactly when they may be one
//! edit apart (insert, delete, substitute, or swap of neighbours), and
//! [`within_one_edit`] confirms it. A lookup is then an indexed `IN` over a few keys
//! instead of a trigram scan, which measured ~30 ms even over distinct names.

/// Terms shorter than this are not matched fuzzily: one edit in a three-letter name
/// finds too many unrelated names.
pub const MIN_FUZZY_LEN: usize = 4;

/// Whether `term` takes part in fuzzy matching.
pub fn is_fuzzy_term(term: &str) -> bool {
    term.chars().count() >= MIN_FUZZY_LEN && term.chars().all(char::is_alphabetic)
}

/// `term` itself and every string made by deleting one of its characters.
pub fn deletion_variants(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    let mut out = Vec::with_capacity(chars.len() + 1);
    out.push(term.to_string());
    for skip in 0..chars.len() {
        let v: String = chars
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, c)| c)
            .collect();
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Whether `a` and `b` differ by at most one insertion, deletion, substitution or
/// transposition of adjacent characters.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            let diffs: Vec<usize> = (0..short.len()).filter(|&i| short[i] != long[i]).collect();
            match diffs.as_slice() {
                [] | [_] => true,
                [i, j] => *j == i + 1 && short[*i] == long[*j] && short[*j] == long[*i],
                _ => false,
            }
        }
        1 => {
            let first_diff = (0..short.len())
                .find(|&i| short[i] != long[i])
                .unwrap_or(short.len());
            short[first_diff..] == long[first_diff + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_letters_share_a_variant() {
        let q = deletion_variants("schmitd");
        let t = deletion_variants("schmidt");
        assert!(q.iter().any(|v| t.contains(v)));
        assert!(within_one_edit("schmitd", "schmidt"));
    }

    #[test]
    fn edit_distance_one() {
        assert!(within_one_edit("meier", "meyer"));
        assert!(within_one_edit("muler", "muller"));
        assert!(within_one_edit("muller", "muler"));
        assert!(!within_one_edit("meier", "mayer"));
        assert!(!within_one_edit("schmidt", "schmied"));
        assert!(within_one_edit("anna", "anna"));
    }

    #[test]
    fn short_and_numeric_terms_are_not_fuzzy() {
        assert!(!is_fuzzy_term("abc"));
        assert!(!is_fuzzy_term("12345"));
        assert!(is_fuzzy_term("kiel"));
    }
}
