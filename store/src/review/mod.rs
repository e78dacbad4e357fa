//! Review before change: approval policies (an entity kind like the others), the check every
//! change set passes before it commits (`gate.rs`: no write path goes around a policy), and
//! change requests — change sets proposed, reviewed, approved against their content's hash,
//! rebased and applied (`requests.rs`, `reviews.rs`).

mod approval_policies;
pub mod gate;
pub mod requests;
pub mod reviews;
