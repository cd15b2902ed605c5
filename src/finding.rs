//! What a check reports: one finding, at one of RO-Crate's three requirement levels.

use serde::Serialize;
use std::fmt;

/// How much a finding matters: RO-Crate's MUST, SHOULD and MAY.
/// Without a stated severity, a SHACL constraint is a violation: REQUIRED.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    #[default]
    Required,
    Recommended,
    Optional,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Required, Level::Recommended, Level::Optional];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Required => "REQUIRED",
            Level::Recommended => "RECOMMENDED",
            Level::Optional => "OPTIONAL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding, in the words of RO-Crate users.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Finding {
    #[serde(rename = "severity")]
    pub level: Level,
    /// Which rule was broken: a shape's `sh:name`, or the name of a built-in check.
    pub check: String,
    /// The entity's `@id` as written in the crate (`./`, `data/x.csv`), or a file path.
    pub entity: String,
    pub property: Option<String>,
    pub value: Option<String>,
    /// What is wrong and what to do, in plain words.
    pub message: String,
}

impl Finding {
    pub fn new(
        level: Level,
        check: &str,
        entity: &str,
        property: Option<&str>,
        value: Option<String>,
        message: String,
    ) -> Self {
        Finding {
            level,
            check: check.to_owned(),
            entity: entity.to_owned(),
            property: property.map(str::to_owned),
            value,
            message,
        }
    }
}
