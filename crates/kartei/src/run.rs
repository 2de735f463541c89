//! Carrying out a command.

use crate::cli::{AuditCommand, Cli, Command, GdprCommand, ServeArgs, TokenCommand, UserCommand};
use crate::config::{FileConfig, DEFAULT_BIND, DEFAULT_DATABASE, DEFAULT_REGION};
use kartei_core::access::Role;
use kartei_core::contact::ContactData;
use kartei_core::filter::Sort;
use kartei_server::auth::{hash_password, hash_secret, new_secret};
use kartei_server::AppState;
use kartei_store::list::ListRequest;
use kartei_store::{Actor, Store, StoreError};
use std::io::Read;
use std::sync::Arc;
use uuid::Uuid;

/// A failed command, with a message for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Store(StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Invalid input names its fields, wherever a command meets it.
impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        match e {
            StoreError::Invalid(fields) => CliError::Usage(
                fields
                    .iter()
                    .map(|f| {
                        format!(
                            "{}: {}",
                            f.field,
                            f.code.message(kartei_core::i18n::Lang::En)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => CliError::Store(other),
        }
    }
}

/// Settings after merging flags, environment and file.
pub struct Settings {
    pub database: String,
    pub default_region: String,
    /// `None`: no review tasks for new contacts.
    pub review_days: Option<u32>,
    pub file: FileConfig,
}

impl Settings {
    pub fn resolve(cli: &Cli) -> Result<Settings, CliError> {
        let file = FileConfig::load(cli.config.as_deref()).map_err(CliError::Usage)?;
        let database = cli
            .database
            .clone()
            .or_else(|| file.database.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        let default_region = cli
            .default_region
            .clone()
            .or_else(|| file.default_region.clone())
            .unwrap_or_else(|| DEFAULT_REGION.into())
            .to_uppercase();
        if !kartei_core::phone::is_supported_region(&default_region) {
            return Err(CliError::Usage(format!(
                "unsupported default region {default_region}"
            )));
        }
        let review_days = match file.review_days {
            Some(0) => None,
            Some(days) if days <= 365 => Some(days),
            Some(days) => {
                return Err(CliError::Usage(format!(
                    "review_days must be 0 to 365, not {days}"
                )))
            }
            None => Some(kartei_store::DEFAULT_REVIEW_DAYS),
        };
        Ok(Settings {
            database,
            default_region,
            review_days,
            file,
        })
    }

    pub async fn open(&self) -> Result<Store, CliError> {
        let store = Store::open(&self.database, &self.default_region)
            .await
            .map_err(|e| {
                CliError::Usage(format!(
                    "cannot open the database {}: {e}",
                    redact(&self.database)
                ))
            })?;
        Ok(store.with_review_days(self.review_days))
    }
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

fn read_password() -> Result<String, CliError> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let password = text.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        return Err(CliError::Usage("no password on standard input".into()));
    }
    Ok(password)
}

fn role(name: &str) -> Result<Role, CliError> {
    Role::parse(name).ok_or_else(|| CliError::Usage(format!("unknown role {name}")))
}

pub(crate) async fn find_user(
    store: &Store,
    name: &str,
) -> Result<kartei_store::users::User, CliError> {
    store
        .user_credentials(name)
        .await?
        .map(|(u, _)| u)
        .ok_or_else(|| CliError::Usage(format!("no user named {name}")))
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = Settings::resolve(&cli)?;
    let cli_actor = Actor::system("cli");
    match cli.command {
        Command::Migrate => {
            let db = kartei_store::Db::connect(&settings.database).await?;
            let applied = kartei_store::migrate::migrate(&db).await?;
            println!("applied migrations: {applied:?}");
            db.close().await;
        }
        Command::Serve(args) => serve(&settings, args).await?,
        Command::User(cmd) => {
            let store = settings.open().await?;
            match cmd {
                UserCommand::Add { name, role: r, .. } => {
                    let hash = hash_password(&read_password()?).map_err(|e| {
                        CliError::Usage(format!(
                            "password: {}",
                            e.code.message(kartei_core::i18n::Lang::En)
                        ))
                    })?;
                    let user = store.add_user(&cli_actor, &name, role(&r)?, &hash).await?;
                    println!(
                        "added user {} ({}) with id {}",
                        user.name,
                        user.role.as_str(),
                        user.id
                    );
                }
                UserCommand::List => {
                    for u in store.users().await? {
                        println!("{}\t{}\t{}", u.name, u.role.as_str(), u.id);
                    }
                }
                UserCommand::SetRole { name, role: r } => {
                    let user = find_user(&store, &name).await?;
                    store
                        .update_user(&cli_actor, user.id, Some(role(&r)?), None, None)
                        .await?;
                    println!("{name} is now {r}");
                }
                UserCommand::SetPassword { name, .. } => {
                    let user = find_user(&store, &name).await?;
                    let hash = hash_password(&read_password()?).map_err(|e| {
                        CliError::Usage(format!(
                            "password: {}",
                            e.code.message(kartei_core::i18n::Lang::En)
                        ))
                    })?;
                    store
                        .update_user(&cli_actor, user.id, None, None, Some(hash))
                        .await?;
                    println!("password of {name} changed; their sessions have ended");
                }
            }
            store.close().await;
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = settings.open().await?;
            let check = store.verify_audit().await?;
            store.close().await;
            println!(
                "audit log: {} entries in the chain checked, {} from before the chain",
                check.checked, check.before_chain
            );
            if let Some(b) = check.broken {
                return Err(CliError::Usage(format!(
                    "the chain breaks at entry {} (id {}, {}): {}",
                    b.seq,
                    b.id,
                    b.at.to_rfc3339(),
                    match b.reason.as_str() {
                        "content" => "its before/after values were changed",
                        "hash" => "its recorded fields were changed",
                        "link" => "it does not follow the entry before it",
                        _ => "entries before it are missing",
                    }
                )));
            }
            println!("the chain is intact");
        }
        Command::Gdpr(GdprCommand::Export { contact, output }) => {
            let store = settings.open().await?;
            let id = match contact.parse::<Uuid>() {
                Ok(id) => id,
                Err(_) => store
                    .contacts_by(
                        kartei_store::imports::MatchColumn::Email,
                        std::slice::from_ref(&contact),
                    )
                    .await?
                    .into_values()
                    .next()
                    .ok_or_else(|| {
                        CliError::Usage(format!("no contact with the id or e-mail {contact:?}"))
                    })?,
            };
            let export = kartei_app::gdpr::access_export(&store, &Actor::system("cli"), id)
                .await
                .map_err(|e| match e {
                    kartei_store::StoreError::NotFound => {
                        CliError::Usage(format!("no contact {id}"))
                    }
                    other => other.into(),
                })?;
            let path = output.unwrap_or_else(|| export.file_name.clone().into());
            std::fs::write(&path, &export.bytes)?;
            eprintln!("wrote {}", path.display());
            store.close().await;
        }
        Command::Token(TokenCommand::Create { name, label }) => {
            let store = settings.open().await?;
            let user = find_user(&store, &name).await?;
            let secret = new_secret("kt_");
            store
                .create_api_token(&cli_actor, user.id, &label, &hash_secret(&secret))
                .await?;
            println!("API token for {name} ({label}); it is shown only now:");
            println!("{secret}");
            store.close().await;
        }
        Command::Seed(args) => {
            let store = settings.open().await?;
            let organizations = args.organizations.unwrap_or(args.contacts.div_ceil(8));
            crate::seed::seed(
                &store,
                args.contacts,
                organizations,
                args.seed,
                crate::seed::Extent::Full,
            )
            .await?;
            store.close().await;
        }
        Command::Export(args) => {
            let store = settings.open().await?;
            crate::export::run(&store, &args).await?;
            store.close().await;
        }
        Command::Duplicates(args) => {
            let store = settings.open().await?;
            crate::export::duplicates(&store, &args).await?;
            store.close().await;
        }
        Command::PurgeTrash => {
            let store = settings.open().await?;
            let n = store.purge_expired(&cli_actor).await?;
            println!("purged {n} records");
            store.close().await;
        }
        Command::BenchDuplicates(args) => {
            let store = settings.open().await?;
            crate::bench::duplicates(&store, &args).await?;
            store.close().await;
        }
        Command::Bench(args) => {
            let store = settings.open().await?;
            crate::bench::run(&store, &args).await?;
            store.close().await;
        }
        Command::Import(args) => {
            let store = settings.open().await?;
            crate::import::run(&store, &args).await?;
            store.close().await;
        }
        Command::BenchImport(args) => {
            let store = settings.open().await?;
            crate::bench_import::run(&store, &args).await?;
            store.close().await;
        }
        Command::BenchLoad(args) => {
            let store = settings.open().await?;
            crate::bench_load::run(&store, &args).await?;
            store.close().await;
        }
        Command::BenchConsents(args) => {
            let store = settings.open().await?;
            crate::bench_consents::run(&store, &args).await?;
            store.close().await;
        }
        Command::BenchHistory(args) => {
            let store = settings.open().await?;
            crate::bench::history(&store, &args).await?;
            store.close().await;
        }
    }
    Ok(())
}

pub async fn contact_count(store: &Store) -> Result<i64, StoreError> {
    let req = ListRequest {
        filter: None,
        sort: Sort::by_name(),
        cursor: None,
        limit: 1,
        with_total: true,
    };
    Ok(store.list::<ContactData>(&req).await?.total.unwrap_or(0))
}

async fn serve(settings: &Settings, args: ServeArgs) -> Result<(), CliError> {
    let store = settings.open().await?;
    if args.demo {
        if store.users().await?.is_empty() {
            let password = new_secret("")
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(16)
                .collect::<String>();
            let hash = hash_password(&password).map_err(|_| CliError::Usage("password".into()))?;
            store
                .add_user(&Actor::system("demo"), "admin", Role::Admin, &hash)
                .await?;
            println!("Admin-Zugang / admin login:  admin / {password}");
            println!(
                "(shown once; change it with `kartei user set-password admin --password-stdin`)"
            );
        }
        if contact_count(&store).await? == 0 {
            println!("Demo-Daten werden angelegt / creating demo data …");
            crate::seed::seed(&store, 2000, 250, 2026, crate::seed::Extent::Full).await?;
        }
    }
    let bind = args
        .bind
        .or_else(|| settings.file.bind.clone())
        .unwrap_or_else(|| DEFAULT_BIND.into());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|e| CliError::Usage(format!("cannot listen on {bind}: {e}")))?;
    let address = listener.local_addr()?;
    println!(
        "Kartei läuft auf / is running at http://{address}  (API docs: http://{address}/api/docs)"
    );
    let state = AppState::new(
        Arc::new(store),
        settings.file.secure_cookies.unwrap_or(false),
    );
    let store = state.store.clone();
    let janitor = tokio::spawn(purge_trash_hourly(store.clone()));
    let server = uuid::Uuid::now_v7();
    let presence = tokio::spawn(announce_presence(store.clone(), server));
    let served = kartei_server::serve(state, listener).await;
    janitor.abort();
    presence.abort();
    if let Err(e) = store.stop_serving(server).await {
        tracing::error!(error = %e, "could not say that this server stopped");
    }
    served?;
    store.close().await;
    Ok(())
}

/// Tells imports run beside this server that it serves the database (they keep their
/// indexes then): at start, then every half minute.
async fn announce_presence(store: Arc<Store>, server: uuid::Uuid) {
    let every = kartei_store::bulk::PRESENCE_EVERY
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(30));
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = store.announce_serving(server).await {
            tracing::error!(error = %e, "could not announce this server");
        }
    }
}

/// Records deleted more than 30 days ago leave the trash for good: at start, then hourly.
async fn purge_trash_hourly(store: Arc<Store>) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        match store.purge_expired(&Actor::system("trash")).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged expired records from the trash"),
            Err(e) => tracing::error!(error = %e, "purging the trash failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            super::redact("postgres://kartei:geheim@db:5432/k"),
            "postgres://kartei:***@db:5432/k"
        );
        assert_eq!(super::redact("kartei.db"), "kartei.db");
    }
}
