//! The ceiling for the read benchmark: a bare axum handler answering fixed bytes as JSON, with
//! no lookup at all. `ceiling ADDR BODY_FILE`. See scripts/bench-read.

use axum::Router;
use axum::http::header;
use axum::routing::get;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().expect("usage: ceiling ADDR BODY_FILE");
    let body: &'static [u8] = std::fs::read(args.next().expect("usage: ceiling ADDR BODY_FILE"))
        .unwrap()
        .leak();
    let app = Router::new().route(
        "/{*path}",
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
