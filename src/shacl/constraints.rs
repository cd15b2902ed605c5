//! What one shape asks: the parameters of its constraint components, read from the shapes
//! graph once (<https://www.w3.org/TR/shacl/#core-components>).

use super::*;

/// The parameters of one shape's constraint components.
#[derive(Default)]
pub(super) struct Constraints {
    pub(super) deactivated: bool,
    pub(super) path: Option<Term>,
    /// `path` as users read it (`schema:author`, `^schema:hasPart`).
    pub(super) property: Option<String>,
    pub(super) min_count: Option<u64>,
    pub(super) max_count: Option<u64>,
    pub(super) has_value: Option<Term>,
    pub(super) classes: Vec<Term>,
    pub(super) datatype: Option<NamedNode>,
    pub(super) node_kind: Option<NamedNode>,
    pub(super) min_length: Option<u64>,
    pub(super) max_length: Option<u64>,
    pub(super) pattern: Option<(String, Regex)>,
    pub(super) allowed: Option<Vec<Term>>,
    pub(super) nodes: Vec<NamedOrBlankNode>,
    pub(super) nots: Vec<NamedOrBlankNode>,
    /// `sh:and`, `sh:or`, `sh:xone`: the component's name and each list's members.
    pub(super) logical: Vec<(&'static str, Vec<NamedOrBlankNode>)>,
    pub(super) properties: Vec<NamedOrBlankNode>,
    pub(super) sparql: Vec<SparqlConstraint>,
    pub(super) message: Option<String>,
    pub(super) level: Level,
    pub(super) label: String,
    /// Whether findings carry `label`; anonymous property shapes report their node shape's.
    pub(super) named: bool,
}

pub(super) struct SparqlConstraint {
    pub(super) node: NamedOrBlankNode,
    pub(super) select: String,
    pub(super) message: String,
    /// `sh:severity` on the constraint itself, which profiles use to give a shape's SHOULDs
    /// and MUSTs side by side; without one, the shape's.
    pub(super) level: Option<Level>,
}

impl Constraints {
    pub(super) fn read(
        graph: &Graph,
        shape: &NamedOrBlankNode,
        label: String,
    ) -> Result<Self, ShaclError> {
        let nodes = |p: &str| -> Vec<NamedOrBlankNode> {
            graph
                .objects_for_subject_predicate_owned(Some(shape), &sh(p))
                .iter()
                .map(as_subject)
                .collect()
        };
        let pattern = match graph.object_str(shape, &sh("pattern")) {
            Some(pattern) => {
                let flags = graph.object_str(shape, &sh("flags")).unwrap_or_default();
                let regex = compile(&pattern, &flags).map_err(|message| ShaclError::Shape {
                    shape: label.clone(),
                    message,
                })?;
                Some((pattern, regex))
            }
            None => None,
        };
        let mut sparql = Vec::new();
        for node in nodes("sparql") {
            let Some(select) = graph.object_str(&node, &sh("select")) else {
                return Err(ShaclError::Shape {
                    shape: label,
                    message: "sh:sparql constraint without sh:select".into(),
                });
            };
            let message = graph
                .object_str(&node, &sh("message"))
                .unwrap_or_else(|| "violates a SPARQL constraint".into());
            let level = graph
                .object(&node, &sh("severity"))
                .map(|s| severity(Some(&s)));
            sparql.push(SparqlConstraint {
                node,
                select,
                message,
                level,
            });
        }
        let named_node = |p: &str| match graph.object(shape, &sh(p)) {
            Some(Term::NamedNode(n)) => Some(n),
            _ => None,
        };
        let path = graph.object(shape, &sh("path"));
        Ok(Constraints {
            deactivated: graph.has(shape, &sh("deactivated"), &Literal::from(true).into()),
            property: path.as_ref().map(|p| graph.path_string(p)),
            path,
            min_count: graph.object_u64(shape, &sh("minCount")),
            max_count: graph.object_u64(shape, &sh("maxCount")),
            has_value: graph.object(shape, &sh("hasValue")),
            classes: graph.objects_for_subject_predicate_owned(Some(shape), &sh("class")),
            datatype: named_node("datatype"),
            node_kind: named_node("nodeKind"),
            min_length: graph.object_u64(shape, &sh("minLength")),
            max_length: graph.object_u64(shape, &sh("maxLength")),
            pattern,
            allowed: graph.object(shape, &sh("in")).map(|list| graph.list(&list)),
            nodes: nodes("node"),
            nots: nodes("not"),
            logical: ["and", "or", "xone"]
                .into_iter()
                .flat_map(|c| {
                    graph
                        .objects_for_subject_predicate_owned(Some(shape), &sh(c))
                        .into_iter()
                        .map(move |list| (c, graph.list(&list).iter().map(as_subject).collect()))
                })
                .collect(),
            properties: nodes("property"),
            sparql,
            message: graph.object_str(shape, &sh("message")),
            level: severity(graph.object(shape, &sh("severity")).as_ref()),
            named: !matches!(shape, NamedOrBlankNode::BlankNode(_))
                || graph.object(shape, &sh("name")).is_some(),
            label,
        })
    }
}
