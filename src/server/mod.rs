//! The service (`drucksache serve`): one axum router for the admin API (`/api/v1`, bearer
//! tokens), the citizen pages (`/`, `/vorlagen/…`, the legal pages `/impressum`,
//! `/datenschutz`, `/barrierefreiheit`), the public search API and OParl 1.1 (`/oparl/v1`),
//! plus `/healthz` and `/metrics`.
//!
//! Every public route reads through [`crate::archive::PublicPaper`] queries or the search
//! index, both of which hold only published papers; only the admin routes see the rest.

mod api;
mod auth;
mod downloads;
mod error;
mod files;
mod headers;
mod html;
mod jobs;
mod legal;
mod listen;
mod local_time;
mod messages;
mod metrics;
mod oparl;
mod openapi;
mod pages;
mod paper_page;
mod params;
mod state;
mod writer;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use auth::generate as generate_token;
pub use error::{ApiError, FieldProblem};
pub use html::markdown as markdown_html;
pub use state::{AppState, StartError};

/// A request that takes longer than this is answered with 503 (a creation in the writer
/// still completes; the client finds it with `GET /papers`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The whole service as a router (tests call it with `oneshot`, without a socket).
pub fn app(state: AppState) -> Router {
    let admin = Router::new()
        .route("/papers", post(api::create).get(api::list))
        .route("/papers/{id}", get(api::show))
        .route("/papers/{id}/pdf", get(api::pdf))
        .route(
            "/papers/{id}/renditions/{rendition}",
            get(api::rendition_pdf),
        )
        .route("/papers/{id}/supplements", post(api::supplement))
        .route("/papers/{id}/withdraw", post(api::withdraw))
        .route("/preview", post(api::preview))
        .route("/rerender", post(jobs::start))
        .route("/jobs/{id}", get(jobs::show))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    let api = Router::new()
        .route("/search", get(api::search).layer(headers::public_cors()))
        .route("/openapi.json", get(openapi::document))
        .merge(admin)
        .fallback(api::not_found);
    let oparl = Router::new()
        .route("/system", get(oparl::system))
        .route("/body", get(oparl::bodies))
        .route("/body/{body}", get(oparl::body))
        .route("/body/{body}/paper", get(oparl::papers))
        .route("/body/{body}/organization", get(oparl::organizations))
        .route("/body/{body}/person", get(oparl::empty_list))
        .route("/body/{body}/meeting", get(oparl::meetings))
        .route("/body/{body}/agendaItem", get(oparl::agenda_items))
        .route("/body/{body}/file", get(oparl::files))
        .route("/body/{body}/consultation", get(oparl::consultations))
        .route("/body/{body}/membership", get(oparl::empty_list))
        .route("/body/{body}/locationList", get(oparl::empty_list))
        .route("/body/{body}/legislativeTermList", get(oparl::empty_list))
        .route("/paper/{id}", get(oparl::paper))
        .route("/file/{id}", get(oparl::file))
        .route("/organization/{id}", get(oparl::organization))
        .route("/consultation/{id}", get(oparl::consultation))
        .route("/meeting/{id}", get(oparl::meeting))
        .route("/agendaItem/{id}", get(oparl::agenda_item))
        .fallback(api::not_found)
        .layer(headers::public_cors());
    let router = Router::new()
        .route("/", get(pages::search))
        .route("/vorlagen/{slug}", get(paper_page::paper))
        .route("/vorlagen/{slug}/pdf", get(downloads::pdf))
        .route("/dateien/{id}", get(downloads::file))
        .route("/originale/{id}", get(downloads::original))
        .route("/sitemap.xml", get(pages::sitemap))
        .route("/robots.txt", get(pages::robots))
        .route("/stil.css", get(pages::stylesheet))
        .route("/impressum", get(legal::imprint))
        .route("/datenschutz", get(legal::privacy))
        .route("/barrierefreiheit", get(legal::accessibility))
        .route("/favicon.svg", get(legal::favicon))
        .route("/favicon.ico", get(legal::favicon_ico))
        .route("/wappen", get(legal::coat_of_arms))
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api/v1", api)
        .nest("/oparl/v1", oparl)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(pages::not_found);
    // `/metrics` counts non-public papers too: behind a token, unless it has its own address.
    let router = if state.settings().service.metrics_listen.is_none() {
        router.route(
            "/metrics",
            get(metrics::metrics).route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_token,
            )),
        )
    } else {
        router
    };
    let router = router
        .layer(middleware::from_fn(refuse_oversized))
        .layer(DefaultBodyLimit::max(
            crate::model::MAX_INPUT_BYTES as usize,
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .with_state(state);
    headers::security()
        .into_iter()
        .fold(router, |router, layer| router.layer(layer))
        .layer(TraceLayer::new_for_http())
}

/// `/metrics` alone, without a token, for its own listener (`[dienst] metriken_adresse`).
pub fn metrics_app(state: AppState) -> Router {
    let router = Router::new()
        .route("/metrics", get(metrics::metrics))
        .with_state(state);
    headers::security()
        .into_iter()
        .fold(router, |router, layer| router.layer(layer))
}

/// A request that declares a body larger than a record may be is answered 413 at once,
/// before its body is read.
async fn refuse_oversized(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > crate::model::MAX_INPUT_BYTES) {
        return ApiError::too_large(crate::model::MAX_INPUT_BYTES).into_response();
    }
    next.run(request).await
}

/// Serves `state` on `listener` (and `/metrics` on `metrics`, if given) until Ctrl-C or
/// SIGTERM; requests in flight are finished (and the writer's queue worked off) before this
/// returns.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    metrics: Option<tokio::net::TcpListener>,
) -> std::io::Result<()> {
    state.keep_index_in_step();
    let service = &state.settings().service;
    let limits = listen::Limits {
        header_timeout: service.header_timeout,
        max_connections: service.max_connections,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let main = listen::serve(
        listener,
        app(state.clone()),
        limits,
        until_stopped(stopped.clone()),
    );
    match metrics {
        None => main.await,
        Some(metrics) => {
            let side = listen::serve(
                metrics,
                metrics_app(state.clone()),
                limits,
                until_stopped(stopped),
            );
            let (main, side) = tokio::join!(main, side);
            main.and(side)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
