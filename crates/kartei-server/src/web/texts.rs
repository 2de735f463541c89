//! Every text of the web pages, in German and English. Templates ask by key
//! (`shell.t(key)`); a test checks that every key a template uses exists here.

use kartei_core::i18n::Lang;

/// (key, German, English)
const TEXTS: &[(&str, &str, &str)] = &[
    // Navigation and common words
    ("app.tagline", "Kundendatenbank", "Customer database"),
    ("nav.contacts", "Kontakte", "Contacts"),
    ("nav.organizations", "Organisationen", "Organisations"),
    ("nav.views", "Gespeicherte Ansichten", "Saved views"),
    ("nav.no_views", "Noch keine gespeicherten Ansichten.", "No saved views yet."),
    ("nav.trash", "Papierkorb", "Trash"),
    ("nav.admin", "Verwaltung", "Administration"),
    ("nav.users", "Benutzer", "Users"),
    ("nav.tags", "Tags", "Tags"),
    ("nav.fields", "Eigene Felder", "Custom fields"),
    ("nav.account", "Mein Konto", "My account"),
    ("nav.logout", "Abmelden", "Sign out"),
    ("nav.api_docs", "API-Dokumentation", "API documentation"),
    ("nav.language", "Sprache", "Language"),
    ("nav.skip", "Zum Inhalt springen", "Skip to content"),
    ("action.save", "Speichern", "Save"),
    ("action.cancel", "Abbrechen", "Cancel"),
    ("action.edit", "Bearbeiten", "Edit"),
    ("action.delete", "Löschen", "Delete"),
    ("action.add", "Hinzufügen", "Add"),
    ("action.create", "Anlegen", "Create"),
    ("action.remove", "Entfernen", "Remove"),
    ("action.apply", "Anwenden", "Apply"),
    ("action.restore", "Wiederherstellen", "Restore"),
    ("action.purge", "Endgültig löschen", "Delete for good"),
    ("action.revoke", "Widerrufen", "Revoke"),
    ("action.confirm_delete", "Wirklich löschen?", "Really delete?"),
    ("action.confirm_purge", "Endgültig löschen? Das kann nicht rückgängig gemacht werden.", "Delete for good? This cannot be undone."),
    ("common.yes", "ja", "yes"),
    ("common.no", "nein", "no"),
    ("common.none", "—", "—"),
    ("common.name", "Name", "Name"),
    ("common.created", "Angelegt", "Created"),
    ("common.by", "von", "by"),
    // Login
    ("login.title", "Anmelden", "Sign in"),
    ("login.name", "Benutzername", "User name"),
    ("login.password", "Passwort", "Password"),
    ("login.submit", "Anmelden", "Sign in"),
    ("login.failed", "Benutzername oder Passwort ist falsch.", "User name or password is wrong."),
    ("login.throttled", "Zu viele fehlgeschlagene Anmeldungen. Bitte in {minutes} Minuten erneut versuchen.", "Too many failed sign-ins. Please try again in {minutes} minutes."),
    ("login.signed_out", "Sie sind abgemeldet.", "You are signed out."),
    // Lists
    ("list.search", "Suchen", "Search"),
    ("list.search_hint", "Name, E-Mail, Telefon … (Taste /)", "Name, e-mail, phone … (key /)"),
    ("list.filter", "Filter", "Filter"),
    ("list.add_condition", "Bedingung hinzufügen", "Add condition"),
    ("list.match_all", "alle Bedingungen", "all conditions"),
    ("list.match_any", "eine der Bedingungen", "any condition"),
    ("list.match", "Treffer für", "Match"),
    ("list.columns", "Spalten", "Columns"),
    ("list.next", "Weiter", "Next"),
    ("list.first", "Zum Anfang", "First page"),
    ("list.empty", "Keine Einträge gefunden.", "Nothing found."),
    ("list.empty_hint", "Suche oder Filter ändern, oder einen neuen Eintrag anlegen.", "Change the search or filter, or create a new entry."),
    ("list.select_all", "Alle auf dieser Seite auswählen", "Select all on this page"),
    ("list.select_row", "Auswählen", "Select"),
    ("list.selected", "ausgewählt", "selected"),
    ("list.sorted_by", "sortiert nach", "sorted by"),
    ("list.relevance", "Bei einer Suche sind die besten Treffer oben.", "A search shows the best matches first."),
    ("list.save_view", "Ansicht speichern", "Save view"),
    ("list.view_name", "Name der Ansicht", "View name"),
    ("list.view_shared", "Für alle sichtbar", "Visible to everyone"),
    ("list.view_delete", "Ansicht löschen", "Delete view"),
    ("list.clear", "Zurücksetzen", "Reset"),
    ("bulk.action", "Aktion für Auswahl", "Action for selection"),
    ("bulk.tag", "Tag vergeben", "Add tag"),
    ("bulk.untag", "Tag entfernen", "Remove tag"),
    ("bulk.owner", "Betreuer zuweisen", "Assign owner"),
    ("bulk.export", "Als CSV exportieren", "Export as CSV"),
    ("bulk.delete", "Löschen", "Delete"),
    ("bulk.tag_name", "Tag", "Tag"),
    ("bulk.run", "Ausführen", "Run"),
    ("bulk.nothing_selected", "Bitte zuerst Einträge auswählen.", "Please select entries first."),
    ("bulk.tag_required", "Bitte einen Tag angeben; nichts geändert.", "Please give a tag; nothing changed."),
    ("bulk.invalid", "Nichts geändert: die Eingabe ist ungültig.", "Nothing changed: the input is invalid."),
    ("tag.invalid", "Der Tag-Name ist ungültig (1 bis 50 Zeichen); nichts geändert.", "The tag name is invalid (1 to 50 characters); nothing changed."),
    ("list.view_invalid", "Die Ansicht braucht einen Namen (höchstens 100 Zeichen); nichts gespeichert.", "The view needs a name (at most 100 characters); nothing saved."),
    // Operators of the filter builder
    ("op.eq", "ist", "is"),
    ("op.ne", "ist nicht", "is not"),
    ("op.contains", "enthält", "contains"),
    ("op.starts_with", "beginnt mit", "starts with"),
    ("op.lt", "kleiner als", "less than"),
    ("op.le", "höchstens", "at most"),
    ("op.gt", "größer als", "greater than"),
    ("op.ge", "mindestens", "at least"),
    ("op.is_empty", "ist leer", "is empty"),
    ("op.not_empty", "ist nicht leer", "is not empty"),
    ("op.has_tag", "hat Tag", "has tag"),
    ("op.not_tag", "hat Tag nicht", "lacks tag"),
    // Records
    ("contact.new", "Neuer Kontakt", "New contact"),
    ("contact.edit", "Kontakt bearbeiten", "Edit contact"),
    ("organization.new", "Neue Organisation", "New organisation"),
    ("organization.edit", "Organisation bearbeiten", "Edit organisation"),
    ("detail.master", "Stammdaten", "Master data"),
    ("detail.channels", "Kontaktwege", "Ways to reach"),
    ("detail.emails", "E-Mail-Adressen", "E-mail addresses"),
    ("detail.phones", "Telefonnummern", "Phone numbers"),
    ("detail.addresses", "Adressen", "Addresses"),
    ("detail.custom", "Eigene Felder", "Custom fields"),
    ("detail.bank", "Bankverbindung", "Bank details"),
    ("detail.notes", "Notizen", "Notes"),
    ("detail.people", "Personen", "People"),
    ("detail.no_people", "Noch keine Personen verknüpft.", "No people linked yet."),
    ("detail.all_people", "Alle Personen als Liste", "All people as a list"),
    ("detail.tags", "Tags", "Tags"),
    ("detail.add_tag", "Tag hinzufügen", "Add tag"),
    ("detail.no_tags", "Keine Tags.", "No tags."),
    ("detail.timeline", "Verlauf", "Timeline"),
    ("detail.timeline_all", "Alles", "Everything"),
    ("detail.no_timeline", "Noch keine Einträge.", "No entries yet."),
    ("detail.older", "Ältere Einträge", "Older entries"),
    ("detail.bulk_history", "Per Massenimport angelegt; kein Einzelverlauf.", "Created by a bulk load; no history of its own."),
    ("detail.masked", "Bankdaten sind für Ihre Rolle verborgen.", "Bank details are hidden for your role."),
    ("history.create", "angelegt", "created"),
    ("history.update", "geändert", "changed"),
    ("history.delete", "in den Papierkorb gelegt", "moved to the trash"),
    ("history.restore", "wiederhergestellt", "restored"),
    ("history.tag", "Tag vergeben", "tag added"),
    ("history.untag", "Tag entfernt", "tag removed"),
    ("history.bulk_create", "per Massenimport angelegt", "created by a bulk load"),
    ("history.other", "bearbeitet", "edited"),
    ("history.kind.audit", "Änderungen", "Changes"),
    ("form.required_hint", "Name oder Organisation angeben.", "Give a name or an organisation."),
    ("form.errors", "Bitte die markierten Felder korrigieren; es wurde nichts gespeichert.", "Please correct the marked fields; nothing was saved."),
    ("form.add_email", "Weitere E-Mail", "Another e-mail"),
    ("form.add_phone", "Weitere Nummer", "Another number"),
    ("form.add_address", "Weitere Adresse", "Another address"),
    ("form.address", "Adresse", "Address"),
    ("form.kind", "Art", "Type"),
    ("form.sales", "Vertrieb", "Sales"),
    ("form.choose", "— bitte wählen —", "— please choose —"),
    ("form.org_search", "Organisation suchen …", "Search organisation …"),
    ("form.similar", "Ähnliche Kontakte gibt es schon:", "Similar contacts exist:"),
    ("form.similar_hint", "Bitte prüfen, bevor Sie einen neuen Kontakt anlegen.", "Please check before creating a new contact."),
    ("form.score", "Übereinstimmung", "Match"),
    ("conflict.title", "Jemand anderes hat diesen Datensatz inzwischen gespeichert.", "Someone else saved this record meanwhile."),
    ("conflict.explain", "Ihre Eingaben stehen im Formular; wo die gespeicherte Fassung abweicht, steht sie darunter. Speichern überschreibt die andere Fassung mit Ihrer.", "Your input is in the form; where the saved version differs, it is shown below the field. Saving replaces the other version with yours."),
    ("conflict.theirs", "Gespeichert von anderen:", "Saved by someone else:"),
    ("conflict.keep_mine", "Meine Fassung speichern", "Save my version"),
    ("conflict.discard", "Meine Änderungen verwerfen", "Discard my changes"),
    ("saved.created", "Gespeichert.", "Saved."),
    ("saved.deleted", "In den Papierkorb gelegt.", "Moved to the trash."),
    // Field labels (master data, forms, history)
    ("field.salutation", "Anrede", "Salutation"),
    ("field.title", "Titel", "Title"),
    ("field.first_name", "Vorname", "First name"),
    ("field.last_name", "Nachname", "Last name"),
    ("field.gender", "Geschlecht", "Gender"),
    ("field.birthday", "Geburtstag", "Birthday"),
    ("field.language", "Sprache (ISO-Code)", "Language (ISO code)"),
    ("field.organization_id", "Organisation", "Organisation"),
    ("field.job_title", "Position", "Job title"),
    ("field.department", "Abteilung", "Department"),
    ("field.lifecycle_stage", "Phase", "Lifecycle stage"),
    ("field.lead_source", "Quelle", "Lead source"),
    ("field.owner_id", "Betreuer", "Owner"),
    ("field.price_group", "Preisgruppe", "Price group"),
    ("field.customer_type", "Kundenart", "Customer type"),
    ("field.customer_number", "Kundennummer", "Customer number"),
    ("field.notes", "Notizen", "Notes"),
    ("field.name", "Name", "Name"),
    ("field.legal_form", "Rechtsform", "Legal form"),
    ("field.industry", "Branche", "Industry"),
    ("field.team_size", "Mitarbeiter", "Team size"),
    ("field.website", "Website", "Website"),
    ("field.vat_id", "USt-IdNr.", "VAT ID"),
    ("field.emails", "E-Mail", "E-mail"),
    ("field.phones", "Telefon", "Phone"),
    ("field.addresses", "Adresse", "Address"),
    ("field.address", "E-Mail-Adresse", "E-mail address"),
    ("field.number", "Nummer", "Number"),
    ("field.street", "Straße und Hausnummer", "Street and number"),
    ("field.extra", "Adresszusatz", "Address line 2"),
    ("field.postcode", "PLZ", "Postcode"),
    ("field.city", "Ort", "City"),
    ("field.country", "Land (ISO-Code)", "Country (ISO code)"),
    ("field.bank", "Bankverbindung", "Bank details"),
    ("field.iban", "IBAN", "IBAN"),
    ("field.bic", "BIC", "BIC"),
    ("field.account_holder", "Kontoinhaber", "Account holder"),
    ("field.custom", "Eigene Felder", "Custom fields"),
    ("field.tags", "Tags", "Tags"),
    ("field.email", "E-Mail", "E-mail"),
    ("field.phone", "Telefon", "Phone"),
    ("field.created_at", "Angelegt", "Created"),
    ("field.updated_at", "Geändert", "Changed"),
    // Codes
    ("opt.female", "weiblich", "female"),
    ("opt.male", "männlich", "male"),
    ("opt.diverse", "divers", "diverse"),
    ("opt.lead", "Lead", "Lead"),
    ("opt.prospect", "Interessent", "Prospect"),
    ("opt.customer", "Kunde", "Customer"),
    ("opt.former", "Ehemaliger Kunde", "Former customer"),
    ("opt.private", "privat", "private"),
    ("opt.business", "geschäftlich", "business"),
    ("opt.work", "geschäftlich", "work"),
    ("opt.mobile", "mobil", "mobile"),
    ("opt.fax", "Fax", "fax"),
    ("opt.other", "sonstige", "other"),
    ("opt.billing", "Rechnung", "billing"),
    ("opt.delivery", "Lieferung", "delivery"),
    // Administration
    ("users.title", "Benutzer und Rollen", "Users and roles"),
    ("users.role", "Rolle", "Role"),
    ("users.add", "Benutzer anlegen", "Add user"),
    ("users.password_hint", "Mindestens 10 Zeichen.", "At least 10 characters."),
    ("users.you", "Sie", "you"),
    ("role.admin", "Administrator", "Administrator"),
    ("role.manager", "Leitung", "Manager"),
    ("role.user", "Mitarbeiter", "User"),
    ("role.readonly", "Nur lesen", "Read only"),
    ("tags.title", "Tags", "Tags"),
    ("tags.count", "Verwendet", "Used"),
    ("tags.color", "Farbe", "Colour"),
    ("tags.add", "Tag anlegen", "Add tag"),
    ("tags.empty", "Noch keine Tags.", "No tags yet."),
    ("fields.title", "Eigene Felder", "Custom fields"),
    ("fields.entity", "Für", "For"),
    ("fields.key", "Schlüssel", "Key"),
    ("fields.key_hint", "Kleinbuchstaben, Ziffern, _ (z. B. kundenkarte)", "Lower case, digits, _ (e.g. loyalty_card)"),
    ("fields.label_de", "Bezeichnung Deutsch", "Label German"),
    ("fields.label_en", "Bezeichnung Englisch", "Label English"),
    ("fields.kind", "Typ", "Type"),
    ("fields.options", "Auswahlwerte", "Choices"),
    ("fields.options_hint", "Eine pro Zeile: schluessel = Deutsch | English", "One per line: key = German | English"),
    ("fields.add", "Feld anlegen", "Add field"),
    ("fields.empty", "Noch keine eigenen Felder.", "No custom fields yet."),
    ("fields.delete_hint", "Löschen entfernt die Werte aus allen Datensätzen.", "Deleting removes the values from every record."),
    ("kind.text", "Text", "Text"),
    ("kind.number", "Zahl", "Number"),
    ("kind.date", "Datum", "Date"),
    ("kind.boolean", "Ja/Nein", "Yes/no"),
    ("kind.single_choice", "Auswahl", "Choice"),
    ("kind.multi_choice", "Mehrfachauswahl", "Multiple choice"),
    ("entity.contact", "Kontakte", "Contacts"),
    ("entity.organization", "Organisationen", "Organisations"),
    ("account.title", "Mein Konto", "My account"),
    ("account.language", "Sprache der Oberfläche", "Interface language"),
    ("account.password", "Passwort ändern", "Change password"),
    ("account.current_password", "Aktuelles Passwort", "Current password"),
    ("account.new_password", "Neues Passwort", "New password"),
    ("account.repeat_password", "Neues Passwort wiederholen", "Repeat new password"),
    ("account.password_changed", "Passwort geändert. Andere Sitzungen wurden beendet; bitte neu anmelden.", "Password changed. Other sessions were ended; please sign in again."),
    ("account.wrong_password", "Das aktuelle Passwort stimmt nicht.", "The current password is wrong."),
    ("account.mismatch", "Die beiden neuen Passwörter sind verschieden.", "The two new passwords differ."),
    ("account.tokens", "API-Tokens", "API tokens"),
    ("account.token_name", "Bezeichnung", "Label"),
    ("account.token_create", "Token erzeugen", "Create token"),
    ("account.token_once", "Das Token wird nur jetzt angezeigt. Bitte sicher aufbewahren:", "The token is shown only now. Please keep it safe:"),
    ("account.last_used", "Zuletzt benutzt", "Last used"),
    ("account.revoked", "widerrufen", "revoked"),
    ("account.no_tokens", "Noch keine Tokens.", "No tokens yet."),
    ("trash.title", "Papierkorb", "Trash"),
    ("trash.explain", "Gelöschte Einträge bleiben 30 Tage wiederherstellbar und werden danach endgültig gelöscht.", "Deleted entries can be restored for 30 days and are then deleted for good."),
    ("trash.deleted_at", "Gelöscht am", "Deleted"),
    ("trash.purge_after", "Endgültig gelöscht ab", "Deleted for good from"),
    ("trash.empty", "Der Papierkorb ist leer.", "The trash is empty."),
    ("trash.restored", "Wiederhergestellt.", "Restored."),
    ("trash.purged", "Endgültig gelöscht.", "Deleted for good."),
    // Errors
    ("error.title", "Das hat nicht geklappt", "That did not work"),
    ("error.not_found", "Diese Seite oder dieser Eintrag existiert nicht (mehr).", "This page or entry does not exist (any more)."),
    ("error.forbidden", "Ihre Rolle erlaubt das nicht.", "Your role does not allow this."),
    ("error.csrf", "Das Formular ist abgelaufen. Bitte die Seite neu laden und erneut senden.", "The form has expired. Please reload the page and send it again."),
    ("error.internal", "Interner Fehler. Es wurde nichts gespeichert; Details stehen im Server-Protokoll.", "Internal error. Nothing was saved; details are in the server log."),
    ("error.bad_request", "Die Anfrage ist fehlerhaft.", "The request is malformed."),
    ("error.back", "Zurück zur Übersicht", "Back to the overview"),
];

/// Looks up texts in one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text for `key`; the key itself when missing (a test keeps that from happening).
    pub fn t(&self, key: &str) -> &'static str {
        lookup(key, self.0).unwrap_or("?")
    }
}

pub fn lookup(key: &str, lang: Lang) -> Option<&'static str> {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, de, en)| lang.pick(de, en))
}

/// A stored code (`customer`, `mobile` …) in the reader's language; unknown codes as they are.
pub fn option_label(code: &str, lang: Lang) -> &str {
    TEXTS
        .iter()
        .find(|(k, _, _)| k.strip_prefix("opt.") == Some(code))
        .map_or(code, |(_, de, en)| lang.pick(de, en))
}

/// The label of a record field by its JSON name, for forms and the history.
pub fn field_label(field: &str, lang: Lang) -> String {
    lookup(&format!("field.{field}"), lang).map_or_else(|| field.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key looked up with `t(…)` in a template and every key the Rust code of the web pages asks
    /// for exists, in both languages, and no key is defined twice.
    #[test]
    fn every_key_used_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut sources: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        let web = concat!(env!("CARGO_MANIFEST_DIR"), "/src/web");
        sources.extend(
            std::fs::read_dir(web)
                .unwrap()
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()),
        );
        let mut missing = Vec::new();
        for source in &sources {
            for part in source.split(".t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if lookup(key, Lang::De).is_none() {
                    missing.push(key.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "missing texts: {missing:?}");
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a key is defined twice");
        for (k, de, en) in TEXTS {
            assert!(!de.is_empty() && !en.is_empty(), "{k}");
        }
    }
}
