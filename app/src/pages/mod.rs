//! One module per page of the console.

mod home;
mod not_found;
mod section;

pub use home::HomePage;
pub use not_found::NotFound;
pub use section::SectionPage;
