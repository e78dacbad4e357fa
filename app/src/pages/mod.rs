//! One module per page of the console.

mod audit;
mod entity;
mod home;
pub(crate) mod list;
mod not_found;
mod publications;
mod section;

pub use audit::AuditPage;
pub use entity::EntityPage;
pub use home::HomePage;
pub use list::ListPage;
pub use not_found::NotFound;
pub use publications::PublicationsPage;
pub use section::SectionPage;
