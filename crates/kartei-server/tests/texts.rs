//! Every text key the pages and their templates ask for (`.t("…")`) has German and
//! English text in `kartei_app::texts`.

use kartei_app::texts::lookup;
use kartei_core::i18n::Lang;

fn sources(dir: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect()
}

#[test]
fn every_key_used_exists() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut all = sources(&format!("{root}/templates"));
    all.extend(sources(&format!("{root}/src/web")));
    all.extend(sources(&format!("{root}/../kartei-app/src")));
    assert!(all.len() > 20, "the sources were read");
    let mut missing = Vec::new();
    let mut used = 0;
    for source in &all {
        for part in source.split(".t(\"").skip(1) {
            let key = part.split('"').next().unwrap_or_default();
            used += 1;
            if lookup(key, Lang::De).is_none() || lookup(key, Lang::En).is_none() {
                missing.push(key.to_string());
            }
        }
    }
    assert!(used > 100, "keys were found: {used}");
    assert!(missing.is_empty(), "missing texts: {missing:?}");
}
