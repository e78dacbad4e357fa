//! `sqlx::migrate!` reads the migration folders while compiling: a migration added or
//! changed must compile the store again, or a binary would lack it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
