//! The data graph and what the engine asks of it: focus nodes of targets
//! (<https://www.w3.org/TR/shacl/#targets>), value nodes along property paths
//! (<https://www.w3.org/TR/shacl/#property-paths>).

use super::*;
use crate::rdf::frozen::{self, Id};
use crate::rdf::select::Dataset;
use spareval::{InternalQuad, QueryableDataset};
use std::cell::RefCell;
use std::convert::Infallible;

/// A data graph the shapes check: the default graph of a store, or of a frozen graph.
#[derive(Clone, Copy)]
pub enum DataGraph<'a> {
    Store(&'a Store),
    Frozen(&'a frozen::Graph),
}

impl<'a> From<&'a Store> for DataGraph<'a> {
    fn from(store: &'a Store) -> Self {
        DataGraph::Store(store)
    }
}

impl<'a> From<&'a frozen::Graph> for DataGraph<'a> {
    fn from(graph: &'a frozen::Graph) -> Self {
        DataGraph::Frozen(graph)
    }
}

/// The data graph, and the focus nodes of one piece of work.
pub(super) struct Data<'a> {
    graph: DataGraph<'a>,
    /// The scratch named graph that holds a constraint's focus nodes while its query runs, one
    /// per piece of work running at the same time; queries read the default graph, so the data
    /// never sees it.
    focus: NamedNode,
    /// Opens the query's outermost group, binding `?this` to the focus nodes. A triple pattern
    /// rather than `VALUES`: oxigraph joins a 10,000-row `VALUES` with a triple pattern in a
    /// nested loop (3.4 s for the file-reachability check of a 10,000-file crate), and a
    /// trailing `VALUES` would leave `$this` unbound in the group's FILTERs.
    pub(super) pattern: String,
    marked: Cell<Marked>,
    /// The focus nodes over a frozen graph, which cannot be written: queries see them as the
    /// scratch graph all the same.
    nodes: RefCell<Vec<Id>>,
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

/// Which term of the matching triples a lookup wants.
#[derive(Clone, Copy)]
enum Pick {
    Subject,
    Object,
}

impl<'a> Data<'a> {
    pub(super) fn new(graph: DataGraph<'a>, piece: usize) -> Self {
        let focus = NamedNode::new_unchecked(format!("urn:trecrate:shacl:focus:{piece}"));
        let pattern = format!(" GRAPH {focus} {{ {focus} {focus} ?this }} ");
        Data {
            graph,
            focus,
            pattern,
            marked: Cell::new(Marked::Nothing),
            nodes: RefCell::new(Vec::new()),
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
        let store = match self.graph {
            DataGraph::Frozen(graph) => {
                self.marked.set(what);
                *self.nodes.borrow_mut() = nodes.into_iter().map(|n| graph.internal(n)).collect();
                return Ok(());
            }
            DataGraph::Store(store) => store,
        };
        let focus = self.focus.as_ref();
        if self.marked.get() != Marked::Nothing {
            store.clear_graph(focus)?;
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
            store.extend(chunk)?;
        }
        // On disk, RocksDB keeps writes in memory tables of up to 64 MB per index until they
        // are flushed: a large crate's focus nodes filled several of them.
        if written >= CHUNK {
            store.flush()?;
        }
        Ok(())
    }

    pub(super) fn clear_focus(&self) -> Result<(), ShaclError> {
        if self.marked.replace(Marked::Nothing) != Marked::Nothing {
            match self.graph {
                DataGraph::Store(store) => store.remove_named_graph(self.focus.as_ref())?,
                DataGraph::Frozen(_) => self.nodes.borrow_mut().clear(),
            }
        }
        Ok(())
    }

    /// `run` over the data graph with the scratch graph as marked.
    pub(super) fn with_dataset<R>(&self, run: impl FnOnce(&dyn Dataset) -> R) -> R {
        match self.graph {
            DataGraph::Store(store) => run(store),
            DataGraph::Frozen(graph) => run(&Focused {
                graph,
                name: Id::Other(Box::new(self.focus.clone().into())),
                nodes: &self.nodes.borrow(),
            }),
        }
    }

    /// The subjects or objects of the default graph's triples that match a pattern.
    fn lookup(
        &self,
        subject: Option<&Term>,
        predicate: NamedNodeRef<'_>,
        object: Option<&Term>,
        pick: Pick,
    ) -> Result<Vec<Term>, ShaclError> {
        match self.graph {
            DataGraph::Store(store) => {
                let subject = match subject.map(subject_ref) {
                    Some(None) => return Ok(Vec::new()),
                    Some(Some(s)) => Some(s),
                    None => None,
                };
                store
                    .quads_for_pattern(
                        subject.as_ref().map(|s| s.as_ref()),
                        Some(predicate),
                        object.map(|o| o.as_ref()),
                        Some(GraphNameRef::DefaultGraph),
                    )
                    .map(|q| {
                        let q = q?;
                        Ok(match pick {
                            Pick::Subject => q.subject.into(),
                            Pick::Object => q.object,
                        })
                    })
                    .collect()
            }
            DataGraph::Frozen(graph) => {
                let id = |t: Option<&Term>| t.map(|t| graph.id_of(t));
                let (Some(p), s, o) = (
                    graph.id_of(&predicate.into_owned().into()),
                    id(subject),
                    id(object),
                ) else {
                    return Ok(Vec::new());
                };
                if s == Some(None) || o == Some(None) {
                    return Ok(Vec::new());
                }
                Ok(graph
                    .matching(s.flatten(), Some(p), o.flatten())
                    .map(|[s, _, o]| {
                        graph
                            .term(match pick {
                                Pick::Subject => s,
                                Pick::Object => o,
                            })
                            .into_owned()
                    })
                    .collect())
            }
        }
    }

    pub(super) fn objects(
        &self,
        subject: &Term,
        predicate: NamedNodeRef<'_>,
    ) -> Result<Vec<Term>, ShaclError> {
        self.lookup(Some(subject), predicate, None, Pick::Object)
    }

    pub(super) fn subjects(
        &self,
        predicate: NamedNodeRef<'_>,
        object: &Term,
    ) -> Result<Vec<Term>, ShaclError> {
        self.lookup(None, predicate, Some(object), Pick::Subject)
    }

    pub(super) fn subjects_of(&self, predicate: &NamedNode) -> Result<Vec<Term>, ShaclError> {
        self.lookup(None, predicate.as_ref(), None, Pick::Subject)
    }

    pub(super) fn objects_of(&self, predicate: &NamedNode) -> Result<Vec<Term>, ShaclError> {
        self.lookup(None, predicate.as_ref(), None, Pick::Object)
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

/// A frozen graph with the scratch graph of focus nodes beside it: the triples
/// `focus focus node` of the graph `focus`, answered from a list.
struct Focused<'a> {
    graph: &'a frozen::Graph,
    name: Id,
    nodes: &'a [Id],
}

impl Dataset for Focused<'_> {
    fn execute(
        &self,
        query: oxigraph::sparql::PreparedSparqlQuery,
    ) -> Result<oxigraph::sparql::QueryResults<'_>, String> {
        query
            .on_queryable_dataset(self)
            .execute()
            .map_err(|e| e.to_string())
    }
}

impl<'a> QueryableDataset<'a> for &'a Focused<'a> {
    type InternalTerm = Id;
    type Error = Infallible;

    fn internal_quads_for_pattern(
        &self,
        subject: Option<&Id>,
        predicate: Option<&Id>,
        object: Option<&Id>,
        graph_name: Option<Option<&Id>>,
    ) -> impl Iterator<Item = Result<InternalQuad<Id>, Infallible>> + use<'a> {
        let focused: &'a Focused<'a> = self;
        let name = &focused.name;
        let is_name = |t: Option<&Id>| t.is_none_or(|t| t == name);
        let in_focus = match graph_name {
            None => true,
            Some(g) => g.is_some() && is_name(g),
        };
        let nodes: &'a [Id] = match in_focus && is_name(subject) && is_name(predicate) {
            true => focused.nodes,
            false => &[],
        };
        let data = focused
            .graph
            .internal_quads_for_pattern(subject, predicate, object, graph_name);
        let object = object.cloned();
        let scratch = nodes
            .iter()
            .filter(move |n| object.as_ref().is_none_or(|o| o == *n))
            .map(move |n| {
                Ok(InternalQuad {
                    subject: name.clone(),
                    predicate: name.clone(),
                    object: n.clone(),
                    graph_name: Some(name.clone()),
                })
            });
        scratch.chain(data)
    }

    fn internal_named_graphs(&self) -> impl Iterator<Item = Result<Id, Infallible>> + use<'a> {
        let focused: &'a Focused<'a> = self;
        std::iter::once(Ok(focused.name.clone())).chain(focused.graph.internal_named_graphs())
    }

    fn contains_internal_graph_name(&self, name: &Id) -> Result<bool, Infallible> {
        Ok(*name == self.name || self.graph.contains_internal_graph_name(name)?)
    }

    fn internalize_term(&self, term: Term) -> Result<Id, Infallible> {
        self.graph.internalize_term(term)
    }

    fn externalize_term(&self, term: Id) -> Result<Term, Infallible> {
        self.graph.externalize_term(term)
    }
}
