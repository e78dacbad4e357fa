//! A form generated from a deployable's JSON Schema, editing one config layer: a fieldset per
//! object, a select per enum or boolean, a text or number input per string or number, and a
//! JSON box for arrays and anything else. A layer sets only some keys: an input left empty
//! leaves the key to the layers below, whose value shows as the placeholder.

use leptos::prelude::*;
use serde_json::{Map, Value};
use strata_domain::resolve::escape;
use strata_domain::rules::FieldError;
use strata_domain::schema::follow_refs;
use strata_domain::secret::{is_sealed, marks_secret};

use crate::layers::RevealSecret;
use crate::pages::code_text::CodeText;

/// The value at `path` inside `document`.
pub fn value_at<'a>(document: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(document, |value, key| value.as_object()?.get(key))
}

/// Sets (or with `None` removes) the value at `path`, making the objects on the way and
/// dropping those a removal leaves empty.
pub fn set_at(document: &mut Value, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        if let Some(value) = value {
            *document = value;
        }
        return;
    };
    if !document.is_object() {
        *document = Value::Object(Map::new());
    }
    let Value::Object(members) = document else {
        unreachable!("made an object above")
    };
    match parents.split_first() {
        None => match value {
            Some(value) => {
                members.insert(last.clone(), value);
            }
            None => {
                members.remove(last);
            }
        },
        Some((first, _)) => {
            if value.is_none() && !members.contains_key(first) {
                return;
            }
            let child = members
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            set_at(child, &path[1..], value);
            if child.as_object().is_some_and(Map::is_empty) {
                members.remove(first);
            }
        }
    }
}

fn pointer(path: &[String]) -> String {
    path.iter().map(|k| format!("/{}", escape(k))).collect()
}

/// What a field of the form edits, shared down the tree.
#[derive(Clone, Copy)]
pub struct LayerForm {
    pub layer: RwSignal<Value>,
    pub root: StoredValue<Value>,
    pub below: StoredValue<Value>,
    pub errors: Memo<Vec<FieldError>>,
    /// Bumped to draw the inputs again from the layer (after a key is unset, or the raw JSON
    /// was edited).
    pub generation: RwSignal<u32>,
    /// The layer's deployable, scope kind and name, when the person may reveal its secrets.
    pub reveal: Option<StoredValue<(String, String, String)>>,
    /// How many fields this drawing of the form has made so far.
    pub drawn: StoredValue<usize>,
}

/// How deep the form nests fieldsets; deeper objects are edited as JSON.
const MAX_FORM_DEPTH: usize = 12;

/// How many fields the form draws before it offers the remaining objects as JSON: a schema
/// whose parts refer to each other (each `$ref` followed once per path) could otherwise ask for
/// more fields than there are atoms.
pub const MAX_FORM_FIELDS: usize = 500;

/// The fields of the object at `path` (the whole layer when empty), from `schema`. `refs` are
/// the `$ref`s followed on the way here: a schema may refer to itself (a tree of nodes), and
/// the form follows each reference once per path, then offers the rest as JSON.
#[component]
pub fn SchemaFields(
    form: LayerForm,
    schema: Value,
    path: Vec<String>,
    #[prop(optional)] refs: Vec<String>,
) -> impl IntoView {
    if path.is_empty() {
        form.drawn.set_value(0);
    }
    let mut refs = refs;
    refs.extend(reference_of(&schema));
    let schema = form
        .root
        .with_value(|root| follow_refs(root, &schema).clone());
    let Some(properties) = schema.get("properties").and_then(Value::as_object).cloned() else {
        return view! {
            <JsonField form path label="Config".to_owned() help="This schema lists no properties: edit the object as JSON.".to_owned()/>
        }
        .into_any();
    };
    properties
        .into_iter()
        .map(|(key, property)| {
            let mut path = path.clone();
            path.push(key.clone());
            let refs = refs.clone();
            view! { <SchemaField form schema=property path name=key refs/> }
        })
        .collect_view()
        .into_any()
}

fn reference_of(schema: &Value) -> Option<String> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// One property: a nested fieldset for an object with properties, else one input.
#[component]
fn SchemaField(
    form: LayerForm,
    schema: Value,
    path: Vec<String>,
    name: String,
    refs: Vec<String>,
) -> impl IntoView {
    let reference = reference_of(&schema);
    let again = reference.as_ref().is_some_and(|r| refs.contains(r));
    let schema = form
        .root
        .with_value(|root| follow_refs(root, &schema).clone());
    let label = schema
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| name.clone());
    let help = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or("");
    form.drawn.update_value(|drawn| *drawn += 1);
    if schema.get("properties").is_some_and(Value::is_object) {
        let crowded = form.drawn.get_value() > MAX_FORM_FIELDS;
        if again || path.len() > MAX_FORM_DEPTH || crowded {
            let help = if again {
                format!(
                    "{help} This part of the schema contains itself ({}): edit it as JSON.",
                    reference.unwrap_or_default()
                )
            } else if crowded {
                format!(
                    "{help} The form has more than {MAX_FORM_FIELDS} fields: edit this part as JSON."
                )
            } else {
                format!("{help} Nested more than {MAX_FORM_DEPTH} levels deep: edit it as JSON.")
            };
            return view! { <JsonField form path label help=help.trim().to_owned()/> }.into_any();
        }
        let mut refs = refs;
        refs.extend(reference);
        let at = pointer(&path);
        return view! {
            <fieldset class="schema-object" data-pointer=at>
                <legend>{label}</legend>
                {(!help.is_empty()).then(|| view! { <p class="help">{help}</p> })}
                <SchemaFields form schema path refs/>
            </fieldset>
        }
        .into_any();
    }
    if marks_secret(&schema) {
        return view! { <SecretField form path label help/> }.into_any();
    }
    if let Some(options) = choices(&schema) {
        return view! { <ChoiceField form path label help options/> }.into_any();
    }
    match kind {
        "boolean" => {
            let options = [true, false]
                .map(|b| (Value::Bool(b), b.to_string()))
                .to_vec();
            view! { <ChoiceField form path label help options/> }.into_any()
        }
        "string" => view! { <TextField form path label help number=None/> }.into_any(),
        "integer" => {
            view! { <TextField form path label help number=Some(Numbers::Whole)/> }.into_any()
        }
        "number" => {
            view! { <TextField form path label help number=Some(Numbers::Any)/> }.into_any()
        }
        _ => view! { <JsonField form path label help/> }.into_any(),
    }
}

/// The frame of one input: label, the input, what is inherited, help and error.
#[component]
fn Frame(
    form: LayerForm,
    path: Vec<String>,
    label: String,
    help: String,
    children: Children,
) -> impl IntoView {
    let at = pointer(&path);
    let id = id_of(&path);
    let inherited = form
        .below
        .with_value(|below| value_at(below, &path).map(|v| v.to_string()));
    let error = {
        let at = at.clone();
        Memo::new(move |_| {
            form.errors.with(|errors| {
                errors
                    .iter()
                    .find(|e| e.field == at || e.field.starts_with(&format!("{at}/")))
                    .map(|e| e.rule.clone())
            })
        })
    };
    let set_here = {
        let path = path.clone();
        Memo::new(move |_| form.layer.with(|layer| value_at(layer, &path).is_some()))
    };
    let unset = {
        let path = path.clone();
        move |_| {
            form.layer.update(|layer| set_at(layer, &path, None));
            form.generation.update(|g| *g += 1);
        }
    };
    view! {
        <div class="form-field schema-field" class:invalid=move || error.get().is_some() class:set-here=move || set_here.get() data-pointer=at.clone()>
            <label for=id.clone()>{label} " " <code class="muted">{at.clone()}</code></label>
            {children()}
            <p class="help">
                {match inherited {
                    Some(value) => format!("Below this layer: {value}. "),
                    None => "Not set below this layer. ".to_owned(),
                }}
                {help}
                {move || set_here.get().then(|| view! {
                    " " <button type="button" class="link" on:click=unset.clone()>"Leave it to the layers below"</button>
                })}
            </p>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
}

fn id_of(path: &[String]) -> String {
    format!("layer{}", pointer(path).replace('/', "-"))
}

/// The values a schema allows, if it lists them, each with what a person reads: its title
/// where the schema gives one (`oneOf` of `const`s with `title`s), else the value itself —
/// text as it is, without JSON's quotes.
fn choices(schema: &Value) -> Option<Vec<(Value, String)>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(values.iter().map(|v| (v.clone(), shown(v))).collect());
    }
    let options = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)?;
    options
        .iter()
        .map(|option| {
            let value = option.get("const")?.clone();
            let title = option
                .get("title")
                .and_then(Value::as_str)
                .map_or_else(|| shown(&value), str::to_owned);
            Some((value, title))
        })
        .collect()
}

/// A value as a person reads it: text as it is, anything else as JSON.
fn shown(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// A select: "(not set here)" or one of the options, each a value and what it reads.
#[component]
fn ChoiceField(
    form: LayerForm,
    path: Vec<String>,
    label: String,
    help: String,
    options: Vec<(Value, String)>,
) -> impl IntoView {
    let current = form
        .layer
        .with_untracked(|layer| value_at(layer, &path).cloned());
    let id = id_of(&path);
    let options = StoredValue::new(options);
    let on_change = {
        let path = path.clone();
        move |ev: leptos::ev::Event| {
            // Each option's value is its JSON: "1" and 1 stay apart.
            let picked = serde_json::from_str::<Value>(&event_target_value(&ev)).ok();
            let value = options.with_value(|o| {
                o.iter()
                    .find(|(v, _)| picked.as_ref() == Some(v))
                    .map(|(v, _)| v.clone())
            });
            form.layer.update(|layer| set_at(layer, &path, value));
        }
    };
    view! {
        <Frame form path label help>
            <select id=id on:change=on_change>
                <option value="" selected=current.is_none() prop:selected=current.is_none()>"(not set here)"</option>
                {options.with_value(|o| o.iter().map(|(option, text)| {
                    let selected = current.as_ref() == Some(option);
                    view! { <option value=option.to_string() selected=selected prop:selected=selected>{text.clone()}</option> }
                }).collect_view())}
            </select>
        </Frame>
    }
}

/// A text or number input; empty leaves the key to the layers below.
#[component]
fn TextField(
    form: LayerForm,
    path: Vec<String>,
    label: String,
    help: String,
    /// Which numbers the field takes, if it takes numbers.
    number: Option<Numbers>,
) -> impl IntoView {
    let current = form
        .layer
        .with_untracked(|layer| value_at(layer, &path).cloned());
    let initial = match &current {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let placeholder = form
        .below
        .with_value(|below| {
            value_at(below, &path).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        })
        .unwrap_or_default();
    let id = id_of(&path);
    let on_input = {
        let path = path.clone();
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            let value = if text.is_empty() {
                None
            } else if let Some(numbers) = number {
                // Not such a number: kept as text, so the schema's check names the rule.
                Some(numbers.read(&text).unwrap_or(Value::String(text)))
            } else {
                Some(Value::String(text))
            };
            form.layer.update(|layer| set_at(layer, &path, value));
        }
    };
    view! {
        <Frame form path label help>
            <input id=id type="text" inputmode=match number {
                    Some(Numbers::Whole) => "numeric",
                    Some(Numbers::Any) => "decimal",
                    None => "text",
                }
                value=initial.clone() prop:value=initial placeholder=placeholder on:input=on_input/>
        </Frame>
    }
}

/// The numbers a field takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// `integer`: whole numbers as typed, that a 64-bit integer holds. "1e3" or a number past
    /// 2^64 is not read as one (JSON would keep it as 1000.0 or 1e+23, silently).
    Whole,
    /// `number`: any JSON number.
    Any,
}

impl Numbers {
    /// `text` as a JSON number of this kind, if it reads as one.
    fn read(self, text: &str) -> Option<Value> {
        let text = text.trim();
        match self {
            Numbers::Whole => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<u64>().map(Value::from))
                .ok(),
            Numbers::Any => serde_json::from_str::<serde_json::Number>(text)
                .ok()
                .map(Value::Number),
        }
    }
}

/// A secret: a password input that never shows what is stored. Left empty, the stored value
/// (sealed) stays; typed, the new value is sealed by the server when the layer is saved.
/// Someone who may reveal the layer's secrets can ask for the stored one, which is audited.
#[component]
fn SecretField(form: LayerForm, path: Vec<String>, label: String, help: String) -> impl IntoView {
    let stored = form
        .layer
        .with_untracked(|layer| value_at(layer, &path).cloned());
    let sealed_here = stored.as_ref().is_some_and(is_sealed);
    let placeholder = match (&stored, sealed_here) {
        (_, true) => "secret set here: type to replace it",
        (Some(_), false) => "",
        (None, _) => "secret: type to set it here",
    };
    let initial = match &stored {
        Some(Value::String(text)) if !sealed_here => text.clone(),
        _ => String::new(),
    };
    let id = id_of(&path);
    let on_input = {
        let path = path.clone();
        let stored = stored.clone();
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            let value = match text.is_empty() {
                true => stored.clone().filter(is_sealed),
                false => Some(Value::String(text)),
            };
            form.layer.update(|layer| set_at(layer, &path, value));
        }
    };
    let reveal = ServerAction::<RevealSecret>::new();
    let ask = {
        let at = pointer(&path);
        move |_| {
            if let Some(target) = form.reveal {
                let (deployable, kind, name) = target.get_value();
                reveal.dispatch(RevealSecret {
                    deployable,
                    kind,
                    name,
                    pointer: at.clone(),
                });
            }
        }
    };
    let revealed = move || {
        reveal.value().get().map(|answer| match answer {
            Ok(value) => view! { <output class="revealed" data-testid="revealed">{value}</output> }
                .into_any(),
            Err(e) => {
                view! { <span class="field-error">{crate::failure::said(&e)}</span> }.into_any()
            }
        })
    };
    view! {
        <Frame form path label help>
            <input id=id type="password" autocomplete="new-password" class="secret"
                value=initial.clone() prop:value=initial placeholder=placeholder on:input=on_input/>
            {(sealed_here && form.reveal.is_some()).then(|| view! {
                <button type="button" class="link" on:click=ask>"Reveal the stored value"</button>
                " "
                {revealed}
            })}
        </Frame>
    }
}

/// Any JSON value as text; empty leaves the key to the layers below.
#[component]
fn JsonField(form: LayerForm, path: Vec<String>, label: String, help: String) -> impl IntoView {
    let current = form
        .layer
        .with_untracked(|layer| value_at(layer, &path).cloned());
    let initial = current
        .map(|v| serde_json::to_string_pretty(&v).expect("JSON serializes"))
        .unwrap_or_default();
    let unreadable = RwSignal::new(None::<String>);
    let id = id_of(&path);
    let on_input = {
        let path = path.clone();
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            if text.trim().is_empty() {
                unreadable.set(None);
                form.layer.update(|layer| set_at(layer, &path, None));
                return;
            }
            match serde_json::from_str::<Value>(&text) {
                Ok(value) => {
                    unreadable.set(None);
                    form.layer.update(|layer| set_at(layer, &path, Some(value)));
                }
                Err(e) => unreadable.set(Some(format!("not JSON yet: {e}"))),
            }
        }
    };
    let rows = initial.lines().count().clamp(2, 16);
    view! {
        <Frame form path label help>
            <CodeText text=initial attr:id=id attr:rows=rows on:input=on_input/>
            <p class="field-error">{move || unreadable.get()}</p>
        </Frame>
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn setting_makes_the_objects_on_the_way_and_removing_drops_empty_ones() {
        let mut layer = json!({});
        set_at(&mut layer, &path(&["db", "pool", "size"]), Some(json!(8)));
        assert_eq!(layer, json!({"db": {"pool": {"size": 8}}}));
        set_at(&mut layer, &path(&["db", "host"]), Some(json!("a")));
        set_at(&mut layer, &path(&["db", "pool", "size"]), None);
        assert_eq!(layer, json!({"db": {"host": "a"}}));
        set_at(&mut layer, &path(&["db", "host"]), None);
        assert_eq!(layer, json!({}));
        set_at(&mut layer, &path(&["missing", "x"]), None);
        assert_eq!(layer, json!({}));
        assert_eq!(
            value_at(&json!({"a": {"b": 1}}), &path(&["a", "b"])),
            Some(&json!(1))
        );
    }

    #[test]
    fn choices_read_as_their_values_or_their_titles() {
        assert_eq!(
            choices(&json!({"enum": ["error", 3, null]})),
            Some(vec![
                (json!("error"), "error".to_owned()),
                (json!(3), "3".to_owned()),
                (json!(null), "null".to_owned()),
            ])
        );
        assert_eq!(
            choices(&json!({"oneOf": [{"const": "eu", "title": "Europe"}, {"const": "us"}]})),
            Some(vec![
                (json!("eu"), "Europe".to_owned()),
                (json!("us"), "us".to_owned()),
            ])
        );
        // Alternatives that are not fixed values are no list of choices.
        assert_eq!(
            choices(&json!({"oneOf": [{"const": 1}, {"type": "string"}]})),
            None
        );
        assert_eq!(choices(&json!({"type": "string"})), None);
    }

    #[test]
    fn a_whole_number_field_reads_only_whole_numbers_as_typed() {
        assert_eq!(Numbers::Whole.read("42"), Some(json!(42)));
        assert_eq!(Numbers::Whole.read(" -7 "), Some(json!(-7)));
        assert_eq!(
            Numbers::Whole.read("18446744073709551615"),
            Some(json!(u64::MAX))
        );
        for not_whole in ["1e3", "99999999999999999999999", "1.5", "4.0", "x", ""] {
            assert_eq!(Numbers::Whole.read(not_whole), None, "{not_whole}");
        }
        assert_eq!(Numbers::Any.read("1.5"), Some(json!(1.5)));
        assert_eq!(Numbers::Any.read("x"), None);
    }

    #[test]
    fn references_inside_the_schema_are_followed() {
        let root = json!({"$defs": {"port": {"type": "integer"}}, "properties": {"p": {"$ref": "#/$defs/port"}}});
        assert_eq!(
            follow_refs(&root, &root["properties"]["p"]),
            &json!({"type": "integer"})
        );
    }
}
