//! The data graph and what the engine asks of it: focus nodes of targets
//! (<https://www.w3.org/TR/shacl/#targets>), value nodes along property paths
//! (<https://www.w3.org/TR/shacl/#property-paths>).

use super::*;

/// The data graph: the default graph of a store.
pub(super) struct Data<'a> {
    pub(super) store: &'a Store,
    /// The scratch named graph that holds a constraint's focus nodes while its query runs, one
    /// per piece of work running at the same time; queries read the default graph, so the data
    /// never sees it.
    pub(super) focus: NamedNode,
    /// Opens the query's outermost group, binding `?this` to the focus nodes. A triple pattern
    /// rather than `VALUES`: oxigraph joins a 10,000-row `VALUES` with a triple pattern in a
    /// nested loop (3.4 s for the file-reachability check of a 10,000-file crate), and a
    /// trailing `VALUES` would leave `$this` unbound in the group's FILTERs.
    pub(super) pattern: String,
    pub(super) marked: Cell<Marked>,
}

/// What the scratch graph holds.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Marked {
    Nothing,
    /// The focus nodes of the piece of work: one set for the life of a [`Data`], so marked
    /// once for all the SPARQL constraints of its shape (each marking of a large crate's files
    /// was a write and a removal of hundreds of thousands of quads).
    Focus,
    Other,
}

/// The focus nodes written in one transaction: oxigraph holds a transaction's writes in memory
/// until it commits.
const CHUNK: usize = 10_000;

/// Shapes with at least this many focus nodes are shared between the cores.
pub(super) const SPLIT_FROM: usize = 256;

impl<'a> Data<'a> {
    pub(super) fn new(store: &'a Store, piece: usize) -> Self {
        let focus = NamedNode::new_unchecked(format!("urn:trecrate:shacl:focus:{piece}"));
        let pattern = format!(" GRAPH {focus} {{ {focus} {focus} ?this }} ");
        Data {
            store,
            focus,
            pattern,
            marked: Cell::new(Marked::Nothing),
        }
    }

    /// Replaces the scratch graph's content with `nodes`, which are the piece's focus nodes
    /// if `what` is [`Marked::Focus`].
    pub(super) fn mark_focus<'t>(
        &self,
        nodes: impl IntoIterator<Item = &'t Term>,
        what: Marked,
    ) -> Result<(), ShaclError> {
        if what == Marked::Focus && self.marked.get() == Marked::Focus {
            return Ok(());
        }
        let focus = self.focus.as_ref();
        if self.marked.get() != Marked::Nothing {
            self.store.clear_graph(focus)?;
        }
        self.marked.set(what);
        let mut nodes = nodes
            .into_iter()
            .map(|node| QuadRef::new(focus, focus, node.as_ref(), focus).into_owned());
        let mut written = 0;
        loop {
            let chunk: Vec<oxigraph::model::Quad> = nodes.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            written += chunk.len();
            self.store.extend(chunk)?;
        }
        // On disk, RocksDB keeps writes in memory tables of up to 64 MB per index until they
        // are flushed: a large crate's focus nodes filled several of them.
        if written >= CHUNK {
            self.store.flush()?;
        }
        Ok(())
    }

    pub(super) fn clear_focus(&self) -> Result<(), ShaclError> {
        if self.marked.replace(Marked::Nothing) != Marked::Nothing {
            self.store.remove_named_graph(self.focus.as_ref())?;
        }
        Ok(())
    }

    pub(super) fn objects(
        &self,
        subject: &Term,
        predicate: NamedNodeRef<'_>,
    ) -> Result<Vec<Term>, ShaclError> {
        let Some(subject) = subject_ref(subject) else {
            return Ok(Vec::new());
        };
        self.store
            .quads_for_pattern(
                Some(subject.as_ref()),
                Some(predicate),
                None,
                Some(GraphNameRef::DefaultGraph),
            )
            .map(|q| Ok(q?.object))
            .collect()
    }

    pub(super) fn subjects(
        &self,
        predicate: NamedNodeRef<'_>,
        object: &Term,
    ) -> Result<Vec<Term>, ShaclError> {
        self.store
            .quads_for_pattern(
                None,
                Some(predicate),
                Some(object.as_ref()),
                Some(GraphNameRef::DefaultGraph),
            )
            .map(|q| Ok(q?.subject.into()))
            .collect()
    }

    pub(super) fn subjects_of(&self, predicate: &NamedNode) -> Result<Vec<Term>, ShaclError> {
        self.store
            .quads_for_pattern(
                None,
                Some(predicate.as_ref()),
                None,
                Some(GraphNameRef::DefaultGraph),
            )
            .map(|q| Ok(q?.subject.into()))
            .collect()
    }

    pub(super) fn objects_of(&self, predicate: &NamedNode) -> Result<Vec<Term>, ShaclError> {
        self.store
            .quads_for_pattern(
                None,
                Some(predicate.as_ref()),
                None,
                Some(GraphNameRef::DefaultGraph),
            )
            .map(|q| Ok(q?.object))
            .collect()
    }

    /// Instances of `class` or of any of its `rdfs:subClassOf` descendants in the data graph.
    pub(super) fn instances(&self, class: &Term) -> Result<HashSet<Term>, ShaclError> {
        let mut classes = vec![class.clone()];
        let mut seen = HashSet::new();
        let mut instances = HashSet::new();
        while let Some(c) = classes.pop() {
            if !seen.insert(c.clone()) {
                continue;
            }
            instances.extend(self.subjects(rdf::TYPE, &c)?);
            classes.extend(self.subjects(rdfs::SUB_CLASS_OF, &c)?);
        }
        Ok(instances)
    }

    pub(super) fn is_instance(&self, node: &Term, class: &Term) -> Result<bool, ShaclError> {
        let mut pending = self.objects(node, rdf::TYPE)?;
        let mut seen = HashSet::new();
        while let Some(c) = pending.pop() {
            if &c == class {
                return Ok(true);
            }
            if seen.insert(c.clone()) {
                pending.extend(self.objects(&c, rdfs::SUB_CLASS_OF)?);
            }
        }
        Ok(false)
    }

    /// Value nodes of a SHACL property path.
    pub(super) fn path_values(
        &self,
        shapes: &Graph,
        focus: &Term,
        path: &Term,
    ) -> Result<HashSet<Term>, ShaclError> {
        let mut out = HashSet::new();
        match path {
            Term::NamedNode(p) => out.extend(self.objects(focus, p.as_ref())?),
            // A list is a sequence path, whatever else its node says (the W3C suite's
            // "strange paths"); otherwise the node's path forms apply.
            Term::BlankNode(_)
                if shapes
                    .object(&as_subject(path), &rdf::FIRST.into_owned())
                    .is_some() =>
            {
                let mut current = HashSet::from([focus.clone()]);
                for step in &shapes.list(path) {
                    let mut next = HashSet::new();
                    for node in &current {
                        next.extend(self.path_values(shapes, node, step)?);
                    }
                    current = next;
                }
                out = current;
            }
            Term::BlankNode(_) => {
                let node = as_subject(path);
                if let Some(inner) = shapes.object(&node, &sh("inversePath")) {
                    match &inner {
                        Term::NamedNode(p) => out.extend(self.subjects(p.as_ref(), focus)?),
                        _ => out.extend(self.inverse_complex(shapes, focus, &inner)?),
                    }
                }
                if let Some(list) = shapes.object(&node, &sh("alternativePath")) {
                    for alt in shapes.list(&list) {
                        out.extend(self.path_values(shapes, focus, &alt)?);
                    }
                }
                if let Some(inner) = shapes.object(&node, &sh("zeroOrMorePath")) {
                    out.extend(self.closure(shapes, focus, &inner, true)?);
                }
                if let Some(inner) = shapes.object(&node, &sh("oneOrMorePath")) {
                    out.extend(self.closure(shapes, focus, &inner, false)?);
                }
                if let Some(inner) = shapes.object(&node, &sh("zeroOrOnePath")) {
                    out.insert(focus.clone());
                    out.extend(self.path_values(shapes, focus, &inner)?);
                }
            }
            _ => {}
        }
        Ok(out)
    }

    /// `sh:inversePath` of a complex path: nodes from which `inner` reaches `focus`. Only
    /// sequence-free inner paths are supported, by walking each step backwards.
    pub(super) fn inverse_complex(
        &self,
        shapes: &Graph,
        focus: &Term,
        inner: &Term,
    ) -> Result<HashSet<Term>, ShaclError> {
        let node = as_subject(inner);
        if let Some(back) = shapes.object(&node, &sh("inversePath")) {
            return self.path_values(shapes, focus, &back);
        }
        let steps = shapes.list(inner);
        let mut current = HashSet::from([focus.clone()]);
        for step in steps.iter().rev() {
            let Term::NamedNode(p) = step else {
                return Ok(HashSet::new());
            };
            let mut next = HashSet::new();
            for n in &current {
                next.extend(self.subjects(p.as_ref(), n)?);
            }
            current = next;
        }
        Ok(current)
    }

    pub(super) fn closure(
        &self,
        shapes: &Graph,
        focus: &Term,
        inner: &Term,
        reflexive: bool,
    ) -> Result<HashSet<Term>, ShaclError> {
        let mut out = HashSet::new();
        if reflexive {
            out.insert(focus.clone());
        }
        let mut frontier = vec![focus.clone()];
        while let Some(node) = frontier.pop() {
            for next in self.path_values(shapes, &node, inner)? {
                if out.insert(next.clone()) {
                    frontier.push(next);
                }
            }
        }
        Ok(out)
    }
}
