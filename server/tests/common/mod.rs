//! Starting the real server for tests: a free port, the given database and origin directory,
//! the site root, and a cache. Answers the server's base URL.

use std::net::SocketAddr;
use std::path::Path;

use strata_server::cache::CacheSetting;
use strata_server::config::Settings;
use strata_server::origin::OriginSetting;
use strata_server::startup::Application;
use strata_store::test_support::TestDatabase;

pub async fn start_server(
    db: &TestDatabase,
    origin: &Path,
    site_root: &Path,
    cache: CacheSetting,
) -> String {
    let settings = Settings {
        database_url: db.url.clone(),
        origin: OriginSetting::Directory(origin.to_path_buf()),
        cache,
        addr: "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        site_root: site_root.to_path_buf(),
    };
    let app = Application::build(settings)
        .await
        .expect("the server starts");
    let address = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    address
}
