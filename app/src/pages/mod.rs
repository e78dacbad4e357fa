//! One module per page of the console.

mod entity;
mod home;
mod list;
mod not_found;
mod publications;
mod section;

pub use entity::EntityPage;
pub use home::HomePage;
pub use list::ListPage;
pub use not_found::NotFound;
pub use publications::PublicationsPage;
pub use section::SectionPage;
