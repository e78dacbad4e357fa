//! A moment as people read it: how long ago (or how soon), with the exact time in their own
//! time zone on hover. The server knows neither the reader's clock nor their zone, so it writes
//! the exact time (UTC); once the page is live, the browser says it relative to now.

use leptos::prelude::*;

/// `at` (RFC 3339, as the server functions send times) in a `<time>` element.
#[component]
pub fn When(at: String) -> impl IntoView {
    let shown = RwSignal::new(at.clone());
    let exact = RwSignal::new(at.clone());
    #[cfg(feature = "hydrate")]
    {
        let at = at.clone();
        Effect::new(move |_| {
            let date = js_sys::Date::new(&at.as_str().into());
            if date.get_time().is_nan() {
                return;
            }
            exact.set(String::from(
                date.to_locale_string("default", &js_sys::Object::new().into()),
            ));
            let ms = date.get_time();
            let say = move || {
                let elapsed = (js_sys::Date::now() - ms) as i64;
                shown.try_set(strata_domain::time::relative(elapsed));
            };
            say();
            // Said again as time goes by, while the page shows it.
            if let Ok(every) = set_interval_with_handle(say, std::time::Duration::from_secs(30)) {
                on_cleanup(move || every.clear());
            }
        });
    }
    view! { <time datetime=at title=move || exact.get()>{move || shown.get()}</time> }
}
