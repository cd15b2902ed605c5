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

    /// The level a user names, in any case (`recommended`, `RECOMMENDED`).
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(name))
    }

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
    /// The profile whose check this is (`process-run-crate-0.5`), once `validate` knows it.
    pub profile: Option<String>,
    /// The shapes document the rule comes from, for findings of shapes.
    pub source: Option<String>,
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
            profile: None,
            source: None,
        }
    }
}

impl fmt::Display for Finding {
    /// One line for a terminal: `[LEVEL] check: entity property = "value": message`. The text
    /// comes from crates written by others, so characters that could move the cursor, reorder
    /// the line or hide in it (controls, bidi overrides, zero-width) are shown escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {}: {}",
            self.level,
            Sanitized(&self.check),
            Sanitized(&self.entity)
        )?;
        if let Some(property) = &self.property {
            write!(f, " {}", Sanitized(property))?;
        }
        if let Some(value) = &self.value {
            write!(f, " = \"{}\"", Sanitized(value))?;
        }
        write!(f, ": {}", Sanitized(&self.message))
    }
}

/// Text from untrusted input, with the characters a terminal would act on escaped.
pub struct Sanitized<'a>(pub &'a str);

impl fmt::Display for Sanitized<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            let hidden = c.is_control()
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
            if hidden {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_is_one_line_without_hidden_characters() {
        let finding = Finding::new(
            Level::Required,
            "Root: name",
            "data/\u{202E}vsc.exe",
            Some("schema:name"),
            Some("a\nb".into()),
            "missing\u{1b}[2J".into(),
        );
        let line = finding.to_string();
        assert_eq!(
            line,
            "[REQUIRED] Root: name: data/\\u{202e}vsc.exe schema:name = \"a\\nb\": missing\\u{1b}[2J"
        );
        assert!(!line.chars().any(|c| c.is_control()));
    }
}
