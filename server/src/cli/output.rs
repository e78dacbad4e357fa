//! How the command line prints: aligned tables and coloured diffs for people (colours only on
//! a terminal, never with NO_COLOR), JSON for scripts.

use console::{Style, measure_text_width, pad_str};
use serde_json::Value;

/// Pretty JSON on stdout, for `--json`.
pub fn json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON serializes")
    );
}

/// Rows under a bold header, each column as wide as its widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| measure_text_width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(measure_text_width(cell));
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len().saturating_sub(1);
        cells
            .iter()
            .enumerate()
            .map(|(i, cell)| match i == last {
                true => cell.clone(),
                false => pad_str(cell, widths[i], console::Alignment::Left, None).into_owned(),
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let bold = Style::new().bold();
    println!(
        "{}",
        bold.apply_to(line(header.iter().map(|h| h.to_uppercase()).collect()))
    );
    for row in rows {
        println!("{}", line(row.clone()));
    }
}

/// A field's value in a table cell or a `field: value` line: text as it is, the rest as JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => serde_json::to_string(other).expect("JSON serializes"),
    }
}

/// An entity as `field: value` lines, its fields in the order the API gives.
pub fn fields(item: &Value) {
    let Some(fields) = item.as_object() else {
        return json(item);
    };
    let width = fields.keys().map(|k| k.len()).max().unwrap_or(0);
    let dim = Style::new().dim();
    for (name, value) in fields {
        let text = match value {
            Value::Object(_) | Value::Array(_) if cell(value).len() > 60 => {
                serde_json::to_string_pretty(value)
                    .expect("JSON serializes")
                    .replace('\n', &format!("\n{:width$}  ", ""))
            }
            _ => cell(value),
        };
        let line = format!("{}  {text}", dim.apply_to(format!("{name:<width$}")));
        println!("{}", line.trim_end());
    }
}

/// An RFC 6902 patch, a line per operation: added green, removed red, replaced yellow.
pub fn patch(ops: &[Value]) {
    if ops.is_empty() {
        println!("(no difference)");
        return;
    }
    for op in ops {
        let path = op["path"].as_str().unwrap_or_default();
        let path = if path.is_empty() { "(whole)" } else { path };
        let value = cell(&op["value"]);
        let (style, sign) = match op["op"].as_str().unwrap_or_default() {
            "add" => (Style::new().green(), "+"),
            "remove" => (Style::new().red(), "-"),
            _ => (Style::new().yellow(), "~"),
        };
        match op["op"].as_str() {
            Some("remove") => println!("{}", style.apply_to(format!("{sign} {path}"))),
            _ => println!("{}", style.apply_to(format!("{sign} {path}: {value}"))),
        }
    }
}

/// A line that says what a command did, on stdout.
pub fn done(text: impl AsRef<str>) {
    println!("{}", Style::new().green().apply_to(text.as_ref()));
}

/// What a write did: the API's answer with `--json`, else the line for people.
pub fn written(as_json: bool, answer: &Value, line: impl FnOnce() -> String) {
    match as_json {
        true => json(answer),
        false => done(line()),
    }
}

/// A spinner on stderr while something long runs; drawn only on a terminal.
pub fn spinner(message: impl Into<String>) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner().with_message(message.into());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("a valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

/// A step of a long command: the spinner's message on a terminal, else a line on stdout.
pub fn step(bar: &indicatif::ProgressBar, line: &str) {
    match bar.is_hidden() {
        true => println!("  {line}"),
        false => bar.set_message(line.to_owned()),
    }
}
