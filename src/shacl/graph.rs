//! Reading the shapes graph: objects, lists and paths as the constraint parser needs them.

use super::*;

/// Reading helpers over the shapes graph.
pub(super) trait ShapesGraph {
    fn object(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<Term>;
    fn objects_for_subject_predicate_owned(
        &self,
        subject: Option<&NamedOrBlankNode>,
        predicate: &NamedNode,
    ) -> Vec<Term>;
    fn object_str(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<String>;
    fn object_u64(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<u64>;
    fn has(&self, subject: &NamedOrBlankNode, predicate: &NamedNode, object: &Term) -> bool;
    fn has_type(&self, subject: &NamedOrBlankNode, class: NamedNodeRef<'_>) -> bool;
    fn list(&self, head: &Term) -> Vec<Term>;
    fn path_string(&self, path: &Term) -> String;
}

impl ShapesGraph for Graph {
    fn object(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<Term> {
        self.object_for_subject_predicate(subject, predicate)
            .map(TermRef::into_owned)
    }

    fn objects_for_subject_predicate_owned(
        &self,
        subject: Option<&NamedOrBlankNode>,
        predicate: &NamedNode,
    ) -> Vec<Term> {
        match subject {
            Some(s) => self
                .objects_for_subject_predicate(s, predicate)
                .map(TermRef::into_owned)
                .collect(),
            None => self
                .triples_for_predicate(predicate)
                .map(|t| t.object.into_owned())
                .collect(),
        }
    }

    fn object_str(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<String> {
        match self.object(subject, predicate)? {
            Term::Literal(l) => Some(l.value().to_owned()),
            Term::NamedNode(n) => Some(n.into_string()),
            _ => None,
        }
    }

    fn object_u64(&self, subject: &NamedOrBlankNode, predicate: &NamedNode) -> Option<u64> {
        self.object_str(subject, predicate)?.parse().ok()
    }

    fn has(&self, subject: &NamedOrBlankNode, predicate: &NamedNode, object: &Term) -> bool {
        self.objects_for_subject_predicate(subject, predicate)
            .any(|o| o == object.as_ref())
    }

    fn has_type(&self, subject: &NamedOrBlankNode, class: NamedNodeRef<'_>) -> bool {
        self.objects_for_subject_predicate(subject, rdf::TYPE)
            .any(|o| o == class.into())
    }

    fn list(&self, head: &Term) -> Vec<Term> {
        let mut items = Vec::new();
        let mut node = head.clone();
        let mut seen = HashSet::new();
        while node != Term::from(rdf::NIL.into_owned()) && seen.insert(node.clone()) {
            let Some(subject) = subject_ref(&node) else {
                break;
            };
            let Some(first) = self.object(&subject, &rdf::FIRST.into_owned()) else {
                break;
            };
            items.push(first);
            match self.object(&subject, &rdf::REST.into_owned()) {
                Some(rest) => node = rest,
                None => break,
            }
        }
        items
    }

    /// A SHACL path in SPARQL property path syntax, for reports.
    fn path_string(&self, path: &Term) -> String {
        match path {
            Term::NamedNode(n) => compact(n.as_str()),
            Term::BlankNode(_) => {
                let node = as_subject(path);
                let unary = |p: &str, fmt: &dyn Fn(String) -> String| {
                    self.object(&node, &sh(p))
                        .map(|inner| fmt(self.path_string(&inner)))
                };
                unary("inversePath", &|s| format!("^{s}"))
                    .or_else(|| unary("zeroOrMorePath", &|s| format!("{s}*")))
                    .or_else(|| unary("oneOrMorePath", &|s| format!("{s}+")))
                    .or_else(|| unary("zeroOrOnePath", &|s| format!("{s}?")))
                    .or_else(|| {
                        self.object(&node, &sh("alternativePath")).map(|l| {
                            let parts: Vec<String> =
                                self.list(&l).iter().map(|p| self.path_string(p)).collect();
                            format!("({})", parts.join("|"))
                        })
                    })
                    .unwrap_or_else(|| {
                        let parts: Vec<String> = self
                            .list(path)
                            .iter()
                            .map(|p| self.path_string(p))
                            .collect();
                        parts.join("/")
                    })
            }
            other => other.to_string(),
        }
    }
}

pub(super) fn as_subject(term: &Term) -> NamedOrBlankNode {
    subject_ref(term).unwrap_or_else(|| {
        NamedOrBlankNode::NamedNode(NamedNode::new_unchecked("urn:trecrate:invalid"))
    })
}

pub(super) fn subject_ref(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}
