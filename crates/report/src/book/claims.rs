//! The claims in the book ([`crate::claims`]): each experiment's claims, read from its
//! `summary.json`, become `generated/<experiment>/claims.md` (a list with ✓/✗, the statement and the
//! compared number), which the chapter includes beside the figure; and `{{#claim <experiment>.<id>}}`
//! in a chapter becomes that claim's statement with its mark. The build fails on an id that no
//! experiment's summary has.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use mdbook_driver::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use serde::Deserialize;
use serde_json::Value;

use crate::claims::fmt3;

/// A claim as `summary.json` records it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Recorded {
    /// Identifier within its experiment.
    pub id: String,
    /// The sentence, with its numbers.
    pub statement: String,
    /// The measured values (`null` for a non-finite one).
    pub values: BTreeMap<String, Option<f64>>,
    /// The compared value's name.
    pub key: String,
    /// `at_most` or `at_least`.
    pub comparison: String,
    /// The threshold.
    pub threshold: f64,
    /// Whether the data satisfy it.
    pub holds: bool,
    /// A prediction reported as contradicted by the data.
    #[serde(default)]
    pub finding: bool,
}

impl Recorded {
    /// ✓ or ✗.
    pub fn mark(&self) -> &'static str {
        if self.holds { "✓" } else { "✗" }
    }

    /// The mark of its line in the list: ✓, ✗, or ✗ and "Finding:" for a prediction the data are
    /// reported to contradict.
    fn list_mark(&self) -> &'static str {
        if self.finding && !self.holds { "✗ <strong>Finding:</strong>" } else { self.mark() }
    }

    /// The comparison in words: "key = 0.0123 ≤ 0.1".
    pub fn comparison_text(&self) -> String {
        let value = self.values.get(&self.key).copied().flatten().map_or_else(|| "n/a".to_string(), fmt3);
        let op = if self.comparison == "at_most" { "≤" } else { "≥" };
        format!("{} = {value} {op} {}", self.key.replace('_', " "), fmt3(self.threshold))
    }
}

/// The claims of a summary (its `claims` array; none if it has no such key).
pub fn read(summary: &Value) -> Result<Vec<Recorded>> {
    match summary.get("claims") {
        None => Ok(Vec::new()),
        Some(claims) => Vec::<Recorded>::deserialize(claims).context("reading the summary's claims"),
    }
}

/// An experiment's claims as Markdown: a list, one claim a line, with its mark, statement and the
/// compared number. Empty when there are none.
pub fn markdown(experiment: &str, claims: &[Recorded]) -> String {
    if claims.is_empty() {
        return String::new();
    }
    let held = claims.iter().filter(|c| c.holds).count();
    let findings = claims.iter().filter(|c| c.finding && !c.holds).count();
    let reported = match findings {
        0 => String::new(),
        1 => "; 1 prediction the data contradict, reported as a finding".to_string(),
        k => format!("; {k} predictions the data contradict, reported as findings"),
    };
    let mut out = format!(
        "<div class=\"claims\" id=\"claims-{experiment}\">\n\n**Claims** ({held} of {} hold{reported}; computed from the \
         data of the figure and recomputed by `cargo test`):\n\n",
        claims.len()
    );
    for c in claims {
        out += &format!(
            "- <span id=\"{}\"></span>{} {} <small>(`{experiment}.{}`: {})</small>\n",
            anchor(experiment, &c.id),
            c.list_mark(),
            c.statement,
            c.id,
            c.comparison_text()
        );
    }
    out + "\n</div>\n"
}

/// The HTML id of a claim's line in its experiment's list.
pub fn anchor(experiment: &str, id: &str) -> String {
    format!("claim-{experiment}-{id}").replace('_', "-")
}

/// Every claim of every experiment, by `<experiment>.<id>`.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    by_id: BTreeMap<String, Recorded>,
}

impl Claims {
    /// Adds an experiment's claims; fails on an id it already has.
    pub fn add(&mut self, experiment: &str, claims: Vec<Recorded>) -> Result<()> {
        for c in claims {
            let id = format!("{experiment}.{}", c.id);
            if self.by_id.insert(id.clone(), c).is_some() {
                bail!("two claims have the id `{id}`");
            }
        }
        Ok(())
    }

    /// Whether `experiment` has any claim.
    pub fn has_any(&self, experiment: &str) -> bool {
        self.by_id.keys().any(|id| id.split_once('.').is_some_and(|(e, _)| e == experiment))
    }

    /// The claim `<experiment>.<id>`.
    pub fn get(&self, id: &str) -> Option<&Recorded> {
        self.by_id.get(id)
    }

    /// `text` with every `{{#claim <experiment>.<id>}}` replaced by the claim's statement and mark,
    /// and every `{{#claimref <experiment>.<id>}}` by a link to its line in the claims list (its mark
    /// and id); the unknown ids either names are pushed to `unknown`.
    pub fn expand(&self, text: &str, unknown: &mut Vec<String>) -> String {
        const OPEN: &str = "{{#claim";
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find(OPEN) {
            out.push_str(&rest[..at]);
            let after = &rest[at + OPEN.len()..];
            let (is_ref, after) = match after.strip_prefix("ref ") {
                Some(a) => (true, a),
                None => match after.strip_prefix(' ') {
                    Some(a) => (false, a),
                    None => {
                        out.push_str(OPEN);
                        rest = after;
                        continue;
                    }
                },
            };
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[at..]);
                return out;
            };
            let directive = &rest[at..rest.len() - after.len() + end + 2];
            let id = after[..end].trim();
            match (self.get(id), id.split_once('.')) {
                (Some(c), Some((experiment, short))) if is_ref => {
                    out.push_str(&format!("[{} `{short}`](#{})", c.mark(), anchor(experiment, short)))
                }
                (Some(c), _) => out.push_str(&format!("{} {}", c.statement, c.mark())),
                (None, _) => {
                    unknown.push(id.to_string());
                    out.push_str(directive);
                }
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }
}

/// Fails, naming them, if an experiment with claims has no `claims.md` list in any rendered page of
/// `html` (the book shows every claim next to its figure).
pub fn check_rendered(html: &std::path::Path, with_claims: &[&str]) -> Result<()> {
    let mut pages = String::new();
    for entry in std::fs::read_dir(html).with_context(|| format!("listing {}", html.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "html") && !path.ends_with("print.html") {
            pages += &std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        }
    }
    let missing: Vec<&str> =
        with_claims.iter().copied().filter(|e| !pages.contains(&format!("id=\"claims-{e}\""))).collect();
    if !missing.is_empty() {
        bail!(
            "the book does not show the claims of {} (include generated/<experiment>/claims.md beside the figure)",
            missing.join(", ")
        );
    }
    Ok(())
}

/// The preprocessor that expands `{{#claim …}}` (run after `links`, so included files count too).
pub struct ClaimDirectives(pub Claims);

impl Preprocessor for ClaimDirectives {
    fn name(&self) -> &str {
        "claims"
    }

    fn run(&self, _: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let mut unknown = Vec::new();
        book.for_each_mut(|item| {
            if let BookItem::Chapter(ch) = item {
                let mut missing = Vec::new();
                ch.content = self.0.expand(&ch.content, &mut missing);
                unknown.extend(missing.into_iter().map(|id| format!("{}: `{id}`", ch.name)));
            }
        });
        if !unknown.is_empty() {
            bail!("the book names {} claim(s) no experiment has: {}", unknown.len(), unknown.join("; "));
        }
        Ok(book)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Value {
        serde_json::json!({"x": 1, "claims": [
            {"id": "falls", "statement": "The risk falls 10×.", "values": {"ratio": 0.1, "other": null},
             "key": "ratio", "comparison": "at_most", "threshold": 0.5, "holds": true},
            {"id": "rises", "statement": "It rises.", "values": {"ratio": 0.9}, "key": "ratio",
             "comparison": "at_least", "threshold": 2.0, "holds": false}
        ]})
    }

    #[test]
    fn claims_render_with_their_mark_and_number() {
        let claims = read(&summary()).unwrap();
        assert_eq!(claims.len(), 2);
        let md = markdown("exp", &claims);
        assert!(md.contains("1 of 2 hold"), "{md}");
        assert!(
            md.contains("- <span id=\"claim-exp-falls\"></span>✓ The risk falls 10×. <small>(`exp.falls`: ratio = 0.100 ≤ 0.500)</small>"),
            "{md}"
        );
        assert!(md.contains("✗ It rises. <small>(`exp.rises`: ratio = 0.900 ≥ 2.00)</small>"), "{md}");
        assert_eq!(markdown("exp", &[]), "");
        assert!(read(&serde_json::json!({"x": 1})).unwrap().is_empty());
        assert!(read(&serde_json::json!({"claims": [{"id": 1}]})).is_err());
        let mut finding = claims[1].clone();
        finding.finding = true;
        let md = markdown("exp", &[claims[0].clone(), finding]);
        assert!(md.contains("1 of 2 hold; 1 prediction the data contradict, reported as a finding"), "{md}");
        assert!(md.contains("✗ <strong>Finding:</strong> It rises."), "{md}");
    }

    #[test]
    fn directives_expand_and_unknown_ids_are_reported() {
        let mut all = Claims::default();
        all.add("exp", read(&summary()).unwrap()).unwrap();
        assert!(all.add("exp", read(&summary()).unwrap()).is_err(), "ids are unique");
        let mut unknown = Vec::new();
        let text = "A {{#claim exp.falls}} B {{#claim  exp.nope }} C {{#claim exp.rises}}";
        assert_eq!(all.expand(text, &mut unknown), "A The risk falls 10×. ✓ B {{#claim  exp.nope }} C It rises. ✗");
        assert_eq!(unknown, ["exp.nope"]);
        let mut none = Vec::new();
        assert_eq!(all.expand("no directive {{#claim", &mut none), "no directive {{#claim");
        assert_eq!(all.expand("{{#claims x}}", &mut none), "{{#claims x}}", "another directive is left alone");
        assert!(none.is_empty());
        let refs = all.expand("see {{#claimref exp.rises}}, {{#claimref exp.gone}}.", &mut unknown);
        assert_eq!(refs, "see [✗ `rises`](#claim-exp-rises), {{#claimref exp.gone}}.");
        assert_eq!(unknown, ["exp.nope", "exp.gone"]);
    }
}
