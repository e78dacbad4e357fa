//! One module per page of the console.

mod home;
mod not_found;
mod publications;
mod section;

pub use home::HomePage;
pub use not_found::NotFound;
pub use publications::PublicationsPage;
pub use section::SectionPage;
