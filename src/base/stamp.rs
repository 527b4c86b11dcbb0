//! What changes the answers of a run, recorded in every output a reader may keep (JSON,
//! the CSV header comment, the report, the graph): stance's version, `--as-of` and the
//! engine. Later issues add `--min-grade` and the defeasible policy here, in one place.

use serde_json::{Value as Json, json};

/// The version of the JSON outputs' layout. 1: the first versioned layout, which added this
/// `meta` object to the objects of version 0 (the unversioned outputs) and changed nothing else.
pub const SCHEMA_VERSION: u32 = 1;

/// The settings a run's answers depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamp {
    /// `--as-of` as `YYYY-MM-DD`, when given.
    pub as_of: Option<String>,
    /// `--engine`, when the command has one (`datafrog`, `simple`, `compare`).
    pub engine: Option<String>,
}

impl Stamp {
    /// The settings of a run with `--as-of` (or none) and no engine named yet.
    pub fn new(as_of: Option<String>) -> Stamp {
        Stamp { as_of, engine: None }
    }

    /// The same, naming the engine that evaluated.
    pub fn with_engine(self, engine: &str) -> Stamp {
        Stamp { engine: Some(engine.to_string()), ..self }
    }

    /// stance's version (`CARGO_PKG_VERSION`).
    pub fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// The `meta` object of a JSON output.
    pub fn json(&self) -> Json {
        json!({
            "schema_version": SCHEMA_VERSION,
            "stance_version": self.version(),
            "as_of": self.as_of,
            "engine": self.engine,
        })
    }

    /// One line for a comment: `stance 0.1.0, as of 2016-11-28` (or `all dates`), then
    /// `, engine datafrog` when the engine is known.
    pub fn line(&self) -> String {
        let as_of = self.as_of.as_deref().map(|d| format!("as of {d}")).unwrap_or_else(|| "all dates".to_string());
        let engine = self.engine.as_deref().map(|e| format!(", engine {e}")).unwrap_or_default();
        format!("stance {}, {as_of}{engine}", self.version())
    }

    /// `key=value` pairs, for formats that keep attributes (GraphML, a graph's JSON).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("stance_version", self.version().to_string()),
            ("as_of", self.as_of.clone().unwrap_or_default()),
            ("engine", self.engine.clone().unwrap_or_default()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_names_the_version_and_the_date() {
        let v = env!("CARGO_PKG_VERSION");
        assert_eq!(Stamp::default().line(), format!("stance {v}, all dates"));
        let s = Stamp::new(Some("2016-11-28".into()));
        assert_eq!(s.line(), format!("stance {v}, as of 2016-11-28"));
        assert_eq!(s.json(), json!({"schema_version": 1, "stance_version": v, "as_of": "2016-11-28", "engine": null}));
        let s = s.with_engine("datafrog");
        assert_eq!(s.line(), format!("stance {v}, as of 2016-11-28, engine datafrog"));
        assert_eq!(s.json()["engine"], "datafrog");
    }
}
