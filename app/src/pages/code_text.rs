//! A text box for JSON and other code. Leptos writes a `<textarea>`'s children into the
//! server's HTML as raw text, unescaped, so a value holding `</textarea>` would end the element
//! there and whatever followed would be markup. Every textarea of the console is this one.

use leptos::prelude::*;

/// A `<textarea>` showing `text` exactly. The server writes it escaped (a browser decodes
/// character references inside a textarea); the browser sets it as the element's value, which
/// is never parsed. Attributes and `on:` handlers given to it go to the textarea.
#[component]
pub fn CodeText(text: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let written = strata_domain::text::escape_html(&text);
    #[cfg(not(feature = "ssr"))]
    let written = String::new();
    view! { <textarea class="code" spellcheck="false" prop:value=text>{written}</textarea> }
}
