//! One validation run: focus nodes, constraint components and their findings
//! (<https://www.w3.org/TR/shacl/#validation-definition>).

use super::*;

/// State of one validation run.
pub(super) struct Run<'a> {
    pub(super) shapes: &'a Shapes,
    pub(super) data: &'a Data<'a>,
    pub(super) findings: &'a mut BTreeSet<Finding>,
    /// The name of the node shape being checked, for findings of its anonymous property shapes.
    pub(super) check: String,
    /// The shapes document the node shape being checked comes from.
    pub(super) source: Option<String>,
    /// The focus nodes of the node shape being checked.
    pub(super) focus: &'a HashSet<Term>,
    /// Rows of each `sh:sparql` constraint for all of `focus`, by `?this`, computed once.
    pub(super) sparql_cache: HashMap<NamedOrBlankNode, HashMap<Term, Vec<HashMap<String, Term>>>>,
}

impl<'a> Run<'a> {
    /// A shape's constraints, borrowed for `'a` rather than for `self`, so checks can recurse.
    pub(super) fn constraints(&self, shape: &NamedOrBlankNode) -> &'a Constraints {
        self.shapes.constraints(shape)
    }

    /// Checks a focus node against a node shape and records what fails.
    pub(super) fn check_node_shape(
        &mut self,
        shape: &NamedOrBlankNode,
        focus: &Term,
    ) -> Result<(), ShaclError> {
        let c = self.constraints(shape);
        if let Some(expected) = &c.has_value {
            if expected != focus {
                self.record(true, c, focus, false, Some(focus), || {
                    format!("must be {}", display_term(expected))
                });
            }
        }
        self.check_value(c, focus, focus, false, true)?;
        self.check_sparql(c, focus, false, true)?;
        for property in &c.properties {
            self.check_property_shape(property, focus, true)?;
        }
        Ok(())
    }

    pub(super) fn check_property_shape(
        &mut self,
        shape: &NamedOrBlankNode,
        focus: &Term,
        record: bool,
    ) -> Result<bool, ShaclError> {
        let c = self.constraints(shape);
        if c.deactivated {
            return Ok(true);
        }
        let Some(path) = &c.path else {
            return Err(ShaclError::Shape {
                shape: c.label.clone(),
                message: "property shape without sh:path".into(),
            });
        };
        let values: Vec<Term> = self
            .data
            .path_values(self.graph(), focus, path)?
            .into_iter()
            .collect();
        let mut conforms = self.check_counts(c, focus, &values, record);
        for value in &values {
            conforms &= self.check_value(c, focus, value, true, record)?;
        }
        for nested in &c.properties {
            for value in &values {
                conforms &= self.check_property_shape(nested, value, record)?;
            }
        }
        conforms &= self.check_sparql(c, focus, true, record)?;
        Ok(conforms)
    }

    /// The shapes graph, borrowed for `'a`, for walking property paths.
    pub(super) fn graph(&self) -> &'a Graph {
        &self.shapes.graph
    }

    pub(super) fn check_counts(
        &mut self,
        c: &Constraints,
        focus: &Term,
        values: &[Term],
        record: bool,
    ) -> bool {
        let mut conforms = true;
        if let Some(min) = c.min_count {
            if (values.len() as u64) < min {
                conforms = false;
                self.record(record, c, focus, true, None, || {
                    format!("needs at least {min} value(s), has {}", values.len())
                });
            }
        }
        if let Some(max) = c.max_count {
            if values.len() as u64 > max {
                conforms = false;
                self.record(record, c, focus, true, None, || {
                    format!("allows at most {max} value(s), has {}", values.len())
                });
            }
        }
        if let Some(expected) = &c.has_value {
            if !values.contains(expected) {
                conforms = false;
                self.record(record, c, focus, true, None, || {
                    format!("must have the value {}", display_term(expected))
                });
            }
        }
        conforms
    }

    /// Value-type, string, list and logical constraints on a single value node; `on_path`
    /// says whether `value` was reached through the shape's path (and findings name it).
    pub(super) fn check_value(
        &mut self,
        c: &Constraints,
        focus: &Term,
        value: &Term,
        on_path: bool,
        record: bool,
    ) -> Result<bool, ShaclError> {
        let mut failures: Vec<String> = Vec::new();
        for class in &c.classes {
            if !self.data.is_instance(value, class)? {
                failures.push(format!("must be an entity of type {}", display_term(class)));
            }
        }
        if let Some(datatype) = &c.datatype {
            let ok = matches!(value, Term::Literal(l) if l.datatype() == datatype.as_ref() && well_formed(l));
            if !ok {
                failures.push(format!(
                    "must be a literal of datatype {}",
                    datatype.as_str()
                ));
            }
        }
        if let Some(kind) = &c.node_kind {
            if !node_kind_matches(kind.as_ref(), value) {
                failures.push(format!(
                    "must be of node kind {}",
                    local_name(kind.as_str())
                ));
            }
        }
        let text = lexical(value);
        if let Some(min) = c.min_length {
            if text
                .as_ref()
                .is_none_or(|t| (t.chars().count() as u64) < min)
            {
                failures.push(format!("must be at least {min} characters long"));
            }
        }
        if let Some(max) = c.max_length {
            if text.as_ref().is_none_or(|t| t.chars().count() as u64 > max) {
                failures.push(format!("must be at most {max} characters long"));
            }
        }
        if let Some((pattern, regex)) = &c.pattern {
            if text.as_ref().is_none_or(|t| !regex.is_match(t)) {
                failures.push(format!("must match the pattern {pattern:?}"));
            }
        }
        if let Some(allowed) = &c.allowed {
            if !allowed.contains(value) {
                let names: Vec<String> = allowed.iter().map(display_term).collect();
                failures.push(format!("must be one of {}", names.join(", ")));
            }
        }
        for node in &c.nodes {
            if !self.conforms(node, value)? {
                failures.push(format!("must conform to {}", self.constraints(node).label));
            }
        }
        for not in &c.nots {
            if self.conforms(not, value)? {
                failures.push(format!(
                    "must not conform to {}",
                    self.constraints(not).label
                ));
            }
        }
        for (component, members) in &c.logical {
            let mut passed = 0;
            for member in members {
                if self.conforms(member, value)? {
                    passed += 1;
                }
            }
            let (ok, rule) = match *component {
                "and" => (passed == members.len(), "all"),
                "or" => (passed >= 1, "at least one"),
                _ => (passed == 1, "exactly one"),
            };
            if !ok {
                failures.push(format!(
                    "must conform to {rule} of the alternatives in sh:{component}"
                ));
            }
        }
        let conforms = failures.is_empty();
        for failure in failures {
            self.record(record, c, focus, on_path, Some(value), || failure.clone());
        }
        Ok(conforms)
    }

    /// Whether `value` conforms to `shape`, without reporting (for `sh:node`, `sh:not`, ...).
    pub(super) fn conforms(
        &mut self,
        shape: &NamedOrBlankNode,
        value: &Term,
    ) -> Result<bool, ShaclError> {
        let findings_before = self.findings.len();
        let c = self.constraints(shape);
        let verdict = if c.path.is_some() {
            self.check_property_shape(shape, value, false)?
        } else {
            let mut ok = self.check_value(c, value, value, false, false)?;
            ok &= self.check_sparql(c, value, false, false)?;
            for property in &c.properties {
                ok &= self.check_property_shape(property, value, false)?;
            }
            ok
        };
        debug_assert_eq!(findings_before, self.findings.len());
        Ok(verdict)
    }

    pub(super) fn check_sparql(
        &mut self,
        c: &'a Constraints,
        focus: &Term,
        on_path: bool,
        record: bool,
    ) -> Result<bool, ShaclError> {
        let mut conforms = true;
        for constraint in &c.sparql {
            let rows = if self.focus.contains(focus) {
                if !self.sparql_cache.contains_key(&constraint.node) {
                    let rows = self.shapes.select(
                        &c.label,
                        &constraint.select,
                        self.data,
                        self.focus,
                        Marked::Focus,
                    )?;
                    let mut by_focus: HashMap<Term, Vec<HashMap<String, Term>>> = HashMap::new();
                    for row in rows {
                        if let Some(this) = row.get("this").cloned() {
                            by_focus.entry(this).or_default().push(row);
                        }
                    }
                    self.sparql_cache.insert(constraint.node.clone(), by_focus);
                }
                self.sparql_cache[&constraint.node]
                    .get(focus)
                    .cloned()
                    .unwrap_or_default()
            } else {
                self.shapes.select(
                    &c.label,
                    &constraint.select,
                    self.data,
                    [focus],
                    Marked::Other,
                )?
            };
            if rows.is_empty() {
                continue;
            }
            conforms = false;
            for row in rows {
                let value = row.get("value").cloned();
                let property = match row.get("path") {
                    Some(p) => Some(self.graph().path_string(p)),
                    None if on_path => c.property.clone(),
                    None => None,
                };
                let text = substitute(&constraint.message, &row);
                let level = constraint.level.unwrap_or(c.level);
                self.record_with(record, c, level, focus, property, value.as_ref(), text);
            }
        }
        Ok(conforms)
    }

    pub(super) fn record(
        &mut self,
        record: bool,
        c: &Constraints,
        focus: &Term,
        on_path: bool,
        value: Option<&Term>,
        fallback: impl FnOnce() -> String,
    ) {
        if !record {
            return;
        }
        let message = c.message.clone().unwrap_or_else(fallback);
        let property = if on_path { c.property.clone() } else { None };
        self.record_with(true, c, c.level, focus, property, value, message);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn record_with(
        &mut self,
        record: bool,
        c: &Constraints,
        level: Level,
        focus: &Term,
        property: Option<String>,
        value: Option<&Term>,
        message: String,
    ) {
        if !record {
            return;
        }
        self.findings.insert(Finding {
            level,
            check: if c.named {
                c.label.clone()
            } else {
                self.check.clone()
            },
            entity: self.shapes.relative(focus),
            property,
            value: value.map(|v| self.shapes.relative(v)),
            message,
            profile: None,
            source: self.source.clone(),
        });
    }
}
