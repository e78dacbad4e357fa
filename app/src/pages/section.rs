//! A section of the sidebar whose editor has not been built yet: it says so plainly rather
//! than pretending.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::layout::SECTIONS;

#[component]
pub fn SectionPage(section: &'static str) -> impl IntoView {
    let label = SECTIONS
        .iter()
        .find(|(path, _)| *path == section)
        .map_or(section, |(_, label)| *label);
    view! {
        <Title text=label/>
        <h1>{label}</h1>
        <div class="empty">
            <p>"This section has no editor yet in this build of Strata."</p>
            <p class="muted">"The overview on the home page shows the domain's revision and health."</p>
        </div>
    }
}
