//! One module per page of the console.

mod audit;
pub(crate) mod code_text;
mod configs;
pub(crate) mod conflict;
pub(crate) mod diff;
mod edit;
pub(crate) mod entity;
mod home;
mod layer;
pub(crate) mod list;
mod members;
mod not_found;
mod publications;
mod read_only;
pub(crate) mod reason;
pub(crate) mod resolved;
mod revisions;
mod schema_form;
mod server_check;
mod sign_in;
mod tokens;
mod users;
pub(crate) mod when;

pub use audit::AuditPage;
pub use configs::ConfigsPage;
pub use edit::EditPage;
pub use entity::EntityPage;
pub use home::HomePage;
pub use layer::LayerPage;
pub use list::ListPage;
pub use members::MembersPage;
pub use not_found::NotFound;
pub use publications::PublicationsPage;
pub use sign_in::{SetupPage, SignInPage};
pub use tokens::TokensPage;
pub use users::UsersPage;
