//! `drucksache serve` and `drucksache token`: the service and its admin tokens.

use anyhow::Context;

use crate::cli::{ServeArgs, TokenArgs};
use crate::config::Settings;
use crate::server::{self, AppState};

pub fn serve(settings: &Settings, args: &ServeArgs) -> anyhow::Result<()> {
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| settings.service.listen.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("drucksache-http")
        .build()
        .context("cannot start the service's runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let address = listener.local_addr()?;
        let metrics = match &settings.service.metrics_listen {
            None => None,
            Some(at) => Some(
                tokio::net::TcpListener::bind(at)
                    .await
                    .with_context(|| format!("cannot listen on {at} ([dienst] metriken_adresse)"))?,
            ),
        };
        let base_url = settings
            .service
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"));
        eprintln!("Archiv {} wird geöffnet …", settings.archive.display());
        let opened = settings.clone();
        let state = tokio::task::spawn_blocking(move || AppState::open(&opened, &base_url))
            .await
            .context("opening the archive failed")??;
        if settings.service.tokens.is_empty() {
            eprintln!(
                "Hinweis: keine API-Tokens konfiguriert; die Admin-API (/api/v1/papers) lehnt alles ab. `drucksache token --name …` erzeugt eins."
            );
        }
        if let Some(metrics) = &metrics {
            eprintln!("Metriken: http://{}/metrics", metrics.local_addr()?);
        }
        eprintln!(
            "drucksache läuft: {} (Suche), {}/oparl/v1/system (OParl), {}/api/v1/openapi.json (API). Beenden mit Strg-C.",
            state.base_url(),
            state.base_url(),
            state.base_url()
        );
        server::serve(state, listener, metrics)
            .await
            .context("the service failed")?;
        eprintln!("drucksache beendet.");
        anyhow::Ok(())
    })
}

pub fn token(args: &TokenArgs) -> anyhow::Result<()> {
    let (token, sha256) = server::generate_token().context("no randomness from the system")?;
    println!("{token}");
    eprintln!(
        "\nDas Token oben wird nur jetzt angezeigt. Tragen Sie in drucksache.toml ein:\n\n[[dienst.token]]\nname = {}\nsha256 = \"{sha256}\"\n",
        toml::Value::String(args.name.clone())
    );
    Ok(())
}
