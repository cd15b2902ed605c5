//! A frozen graph: triples written once, then only read, for the SPARQL evaluator.
//!
//! The release's source graphs are written in one go and then queried many times. oxigraph's
//! memory store pays for transactions and versioning on every read (each pattern lookup walks
//! versioned entries behind concurrent hash maps, each term is hashed to find its string); a
//! frozen graph numbers its terms once and keeps its triples as sorted arrays of those
//! numbers, so a pattern is a binary search and a slice, and joins compare integers.

use super::dictionary::Dictionary;
use oxigraph::model::{GraphName, NamedOrBlankNode, Quad, Term, TermRef, Triple};
use spareval::{InternalQuad, QueryableDataset};
use std::collections::BTreeMap;
use std::convert::Infallible;

/// Collects triples; [`GraphBuilder::freeze`] indexes them.
#[derive(Default, Clone)]
pub struct GraphBuilder {
    terms: Dictionary,
    triples: Vec<[u32; 3]>,
    /// Triples of named graphs, as (graph, subject, predicate, object): a crate's JSON-LD may
    /// nest a `@graph` in a node object, and validation adds what it saw of the payload.
    named: Vec<[u32; 4]>,
}

impl GraphBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of `term`, numbering it if it is new.
    pub fn id<'t>(&mut self, term: impl Into<TermRef<'t>>) -> u32 {
        self.terms.insert(term.into())
    }

    pub fn insert_ids(&mut self, triple: [u32; 3]) {
        self.triples.push(triple);
    }

    pub fn insert(&mut self, triple: Triple) {
        let t = [
            self.id(&triple.subject),
            self.id(&triple.predicate),
            self.id(&triple.object),
        ];
        self.triples.push(t);
    }

    /// Adds a quad, to the default graph or to a named one.
    pub fn insert_quad(&mut self, quad: Quad) {
        let [s, p, o] = [
            self.id(&quad.subject),
            self.id(&quad.predicate),
            self.id(&quad.object),
        ];
        let g = match &quad.graph_name {
            GraphName::DefaultGraph => return self.triples.push([s, p, o]),
            GraphName::NamedNode(n) => self.id(n),
            GraphName::BlankNode(b) => self.id(b),
        };
        self.named.push([g, s, p, o]);
    }

    /// Adds every term and triple of `other`, whose numbers are its own: each of its terms is
    /// looked up here once, however many triples use it.
    pub fn merge(&mut self, other: GraphBuilder) {
        let to: Vec<u32> = other.terms.iter().map(|t| self.terms.insert(t)).collect();
        let at = |n: u32| to[n as usize];
        self.triples.extend(
            other
                .triples
                .into_iter()
                .map(|[s, p, o]| [at(s), at(p), at(o)]),
        );
        self.named.extend(
            other
                .named
                .into_iter()
                .map(|[g, s, p, o]| [at(g), at(s), at(p), at(o)]),
        );
    }

    /// Sorts and indexes the triples; duplicates count once.
    pub fn freeze(self) -> Graph {
        let mut named: BTreeMap<u32, Vec<[u32; 3]>> = BTreeMap::new();
        for [g, s, p, o] in self.named {
            named.entry(g).or_default().push([s, p, o]);
        }
        Graph {
            terms: self.terms,
            default: Indexes::new(self.triples),
            named: named
                .into_iter()
                .map(|(g, triples)| (g, Indexes::new(triples)))
                .collect(),
        }
    }
}

impl Extend<Triple> for GraphBuilder {
    fn extend<I: IntoIterator<Item = Triple>>(&mut self, triples: I) {
        for triple in triples {
            self.insert(triple);
        }
    }
}

impl Extend<Quad> for GraphBuilder {
    fn extend<I: IntoIterator<Item = Quad>>(&mut self, quads: I) {
        for quad in quads {
            self.insert_quad(quad);
        }
    }
}

/// The triples of one graph, sorted two ways: subject first, and predicate first.
///
/// No object-first copy: a pattern that fixes only the object is answered from the
/// predicate-first one, a range per predicate. Graphs have a few dozen predicates, so that is
/// a few dozen binary searches, and the third copy had been a third of the graph's memory and
/// of its sorting time.
struct Indexes {
    spo: Vec<[u32; 3]>,
    pos: Vec<[u32; 3]>,
    /// Where the triples of each subject start in `spo`, by the subject's number less
    /// `first_subject`, and where the last one's end: most patterns fix the subject, and a
    /// binary search over the whole index had been the costliest part of answering them.
    /// At most one number per term of the graph.
    subject_starts: Vec<u32>,
    first_subject: u32,
    /// The distinct predicates, in order.
    predicates: Vec<u32>,
}

/// Triples from which the two orders are sorted on two threads: a release's crate graph of
/// a few thousand files or more, sorted while the other core is idle (a shard's source graph
/// usually has fewer, and shards are already spread over the cores).
const PARALLEL_SORT: usize = 1 << 16;

impl Indexes {
    fn new(mut spo: Vec<[u32; 3]>) -> Self {
        let mut pos: Vec<[u32; 3]> = spo.iter().map(|&[s, p, o]| [p, o, s]).collect();
        let sort = |index: &mut Vec<[u32; 3]>| {
            index.sort_unstable();
            index.dedup();
        };
        // A release's crate graph is sorted while nothing else can run: both orders at once.
        if spo.len() >= PARALLEL_SORT {
            std::thread::scope(|scope| {
                scope.spawn(|| sort(&mut pos));
                sort(&mut spo);
            });
        } else {
            sort(&mut spo);
            sort(&mut pos);
        }
        let mut predicates: Vec<u32> = pos.iter().map(|t| t[0]).collect();
        predicates.dedup();
        let first_subject = spo.first().map_or(0, |t| t[0]);
        let subjects = spo.last().map_or(0, |t| t[0] - first_subject + 1);
        let mut subject_starts = Vec::with_capacity(subjects as usize + 1);
        let mut at = 0;
        for subject in first_subject..first_subject + subjects {
            while spo[at][0] < subject {
                at += 1;
            }
            subject_starts.push(at as u32);
        }
        subject_starts.push(spo.len() as u32);
        Indexes {
            spo,
            pos,
            subject_starts,
            first_subject,
            predicates,
        }
    }

    /// The triples of subject `s`, in predicate and object order.
    fn of_subject(&self, s: u32) -> &[[u32; 3]] {
        let Some(i) = s.checked_sub(self.first_subject).map(|i| i as usize) else {
            return &[];
        };
        match (self.subject_starts.get(i), self.subject_starts.get(i + 1)) {
            (Some(&start), Some(&end)) => &self.spo[start as usize..end as usize],
            _ => &[],
        }
    }

    /// The triples of `p`, and of object `o` when given, in object and subject order.
    fn of_predicate(&self, p: u32, o: Option<u32>) -> &[[u32; 3]] {
        match o {
            None => equal_range(&self.pos, |t| t[0], p),
            Some(o) => equal_range(&self.pos, |t| (t[0], t[1]), (p, o)),
        }
    }

    fn matching(
        &self,
        s: Option<u32>,
        p: Option<u32>,
        o: Option<u32>,
    ) -> impl Iterator<Item = [u32; 3]> + '_ {
        let from_pos: Reorder = |[p, o, s]| [s, p, o];
        // A pattern that fixes the predicate, or the subject but not the object, is one range
        // of one index, put back in subject order, then filtered on what the range could not
        // fix.
        let (slice, order): (&[[u32; 3]], Reorder) = match (s, p, o) {
            (Some(s), Some(p), _) => (equal_range(self.of_subject(s), |t| t[1], p), |t| t),
            (Some(s), None, None) => (self.of_subject(s), |t| t),
            (None, Some(p), _) => (self.of_predicate(p, o), from_pos),
            (_, None, Some(_)) => (&[], |t| t),
            (None, None, None) => (&self.spo[..], |t| t),
        };
        let one = slice
            .iter()
            .map(move |t| order(*t))
            .filter(move |t| o.is_none_or(|o| t[2] == o));
        // One that fixes the object and not the predicate is a lookup per predicate.
        let by_object = match (p, o) {
            (None, Some(o)) => Some(self.predicates.iter().flat_map(move |&p| {
                let found: &[[u32; 3]] = match s {
                    None => self.of_predicate(p, Some(o)),
                    Some(s) => {
                        let triples = self.of_subject(s);
                        match triples.binary_search(&[s, p, o]) {
                            Ok(i) => &triples[i..=i],
                            Err(_) => &[],
                        }
                    }
                };
                let order = if s.is_none() { from_pos } else { |t| t };
                found.iter().map(move |t| order(*t))
            })),
            _ => None,
        };
        one.chain(by_object.into_iter().flatten())
    }
}

/// The triples of `triples`, sorted on `key`, whose key is `value`. Keys are integers or
/// pairs of them: slice comparisons went through `memcmp`, a tenth of the mapping's time.
fn equal_range<K: Ord>(
    triples: &[[u32; 3]],
    key: impl Fn(&[u32; 3]) -> K,
    value: K,
) -> &[[u32; 3]] {
    let start = triples.partition_point(|t| key(t) < value);
    let end = start + triples[start..].partition_point(|t| key(t) <= value);
    &triples[start..end]
}

/// Triples indexed two ways, read-only: the default graph, and any named graphs.
pub struct Graph {
    terms: Dictionary,
    default: Indexes,
    named: BTreeMap<u32, Indexes>,
}

impl Graph {
    /// The number of triples in the default graph.
    pub fn len(&self) -> usize {
        self.default.spo.len()
    }

    pub fn is_empty(&self) -> bool {
        self.default.spo.is_empty()
    }

    /// Back to a builder, with every term and triple of the default graph, to add more.
    pub fn thaw(self) -> GraphBuilder {
        GraphBuilder {
            terms: self.terms,
            triples: self.default.spo,
            named: Vec::new(),
        }
    }

    pub fn term(&self, id: u32) -> TermRef<'_> {
        self.terms.get(id)
    }

    /// `term` as the SPARQL evaluator holds it.
    pub fn internal(&self, term: &Term) -> Id {
        match self.id_of(term) {
            Some(id) => Id::Known(id),
            None => Id::Other(Box::new(term.clone())),
        }
    }

    /// The number of `term`, if the graph has it.
    pub fn id_of(&self, term: &Term) -> Option<u32> {
        self.terms.find(term.as_ref())
    }

    /// The triples of the default graph matching a pattern, as (subject, predicate, object)
    /// numbers.
    pub fn matching(
        &self,
        s: Option<u32>,
        p: Option<u32>,
        o: Option<u32>,
    ) -> impl Iterator<Item = [u32; 3]> + '_ {
        self.default.matching(s, p, o)
    }

    /// Replaces the named graph `name` with `triples`, leaving the rest as it was: the default
    /// graph is not sorted again.
    pub fn set_named(&mut self, name: Term, triples: impl IntoIterator<Item = Triple>) {
        let g = self.terms.insert(name.as_ref());
        let triples = triples
            .into_iter()
            .map(|t| {
                [
                    self.terms.insert((&t.subject).into()),
                    self.terms.insert((&t.predicate).into()),
                    self.terms.insert((&t.object).into()),
                ]
            })
            .collect();
        self.named.insert(g, Indexes::new(triples));
    }

    /// Removes the named graph `name`; its terms stay numbered.
    pub fn remove_named(&mut self, name: &Term) {
        if let Some(g) = self.id_of(name) {
            self.named.remove(&g);
        }
    }

    /// Every quad, the default graph's first, then each named graph's.
    pub fn quads(&self) -> impl Iterator<Item = Quad> + '_ {
        let quad = move |[s, p, o]: [u32; 3], g: Option<u32>| {
            let subject = match self.term(s) {
                TermRef::NamedNode(n) => NamedOrBlankNode::from(n),
                TermRef::BlankNode(b) => b.into(),
                other => unreachable!("a subject is an IRI or a blank node, not {other}"),
            };
            let TermRef::NamedNode(predicate) = self.term(p) else {
                unreachable!("a predicate is an IRI");
            };
            let graph_name = match g.map(|g| self.term(g)) {
                None => GraphName::DefaultGraph,
                Some(TermRef::NamedNode(n)) => n.into(),
                Some(TermRef::BlankNode(b)) => b.into(),
                Some(other) => unreachable!("a graph name is an IRI or a blank node, not {other}"),
            };
            Quad::new(subject, predicate, self.term(o), graph_name)
        };
        let default = self.default.spo.iter().map(move |t| quad(*t, None));
        let named = self
            .named
            .iter()
            .flat_map(move |(g, i)| i.spo.iter().map(move |t| quad(*t, Some(*g))));
        default.chain(named)
    }

    /// The triples matching a pattern in the graph a SPARQL pattern names: `Some(None)` the
    /// default graph, `Some(Some(g))` the named graph `g`, `None` every named graph.
    fn quads_matching(
        &self,
        s: Option<u32>,
        p: Option<u32>,
        o: Option<u32>,
        graph: Option<Option<u32>>,
    ) -> Box<dyn Iterator<Item = ([u32; 3], Option<u32>)> + '_> {
        match graph {
            Some(None) => Box::new(self.default.matching(s, p, o).map(|t| (t, None))),
            Some(Some(g)) => Box::new(
                self.named
                    .get(&g)
                    .into_iter()
                    .flat_map(move |i| i.matching(s, p, o).map(move |t| (t, Some(g)))),
            ),
            None => Box::new(
                self.named
                    .iter()
                    .flat_map(move |(g, i)| i.matching(s, p, o).map(move |t| (t, Some(*g)))),
            ),
        }
    }
}

/// Puts a triple of one index back in subject, predicate, object order.
type Reorder = fn([u32; 3]) -> [u32; 3];

/// A term as the evaluator holds it: a number of the graph's, or a term the query made (a
/// BIND, a constant) that the graph does not have, which therefore matches no triple.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Id {
    Known(u32),
    Other(Box<Term>),
}

impl<'a> QueryableDataset<'a> for &'a Graph {
    type InternalTerm = Id;
    type Error = Infallible;

    fn internal_quads_for_pattern(
        &self,
        subject: Option<&Id>,
        predicate: Option<&Id>,
        object: Option<&Id>,
        graph_name: Option<Option<&Id>>,
    ) -> impl Iterator<Item = Result<InternalQuad<Id>, Infallible>> + use<'a> {
        let known = |id: Option<&Id>| match id {
            None => Some(None),
            Some(Id::Known(n)) => Some(Some(*n)),
            Some(Id::Other(_)) => None,
        };
        let graph = match graph_name {
            None => Some(None),
            Some(g) => known(g).map(Some),
        };
        // A term the graph does not have matches nothing.
        let pattern = match (known(subject), known(predicate), known(object), graph) {
            (Some(s), Some(p), Some(o), Some(g)) => Some((s, p, o, g)),
            _ => None,
        };
        let graph: &'a Graph = self;
        pattern
            .into_iter()
            .flat_map(move |(s, p, o, g)| graph.quads_matching(s, p, o, g))
            .map(|([s, p, o], g)| {
                Ok(InternalQuad {
                    subject: Id::Known(s),
                    predicate: Id::Known(p),
                    object: Id::Known(o),
                    graph_name: g.map(Id::Known),
                })
            })
    }

    fn internal_named_graphs(&self) -> impl Iterator<Item = Result<Id, Infallible>> + use<'a> {
        let graph: &'a Graph = self;
        graph.named.keys().map(|g| Ok(Id::Known(*g)))
    }

    fn contains_internal_graph_name(&self, name: &Id) -> Result<bool, Infallible> {
        Ok(matches!(name, Id::Known(g) if self.named.contains_key(g)))
    }

    fn internalize_term(&self, term: Term) -> Result<Id, Infallible> {
        Ok(match self.id_of(&term) {
            Some(id) => Id::Known(id),
            None => Id::Other(Box::new(term)),
        })
    }

    fn externalize_term(&self, term: Id) -> Result<Term, Infallible> {
        Ok(match term {
            Id::Known(id) => self.term(id).into_owned(),
            Id::Other(term) => *term,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{GraphName, Literal, NamedNode};
    use oxigraph::store::Store;

    fn iri(i: u32) -> NamedNode {
        NamedNode::new_unchecked(format!("urn:x:{i}"))
    }

    /// A small graph with repeated subjects, predicates and objects, and a duplicate.
    fn triples() -> Vec<Triple> {
        let mut triples = Vec::new();
        for i in 0..40u32 {
            triples.push(Triple::new(iri(i % 7), iri(100 + i % 3), iri(i % 5)));
            triples.push(Triple::new(
                iri(i % 7),
                iri(100 + i % 2),
                Literal::new_simple_literal(format!("v{}", i % 4)),
            ));
        }
        triples.push(triples[0].clone());
        triples
    }

    #[test]
    fn large_graphs_are_indexed_as_small_ones() {
        // Numbers in a scrambled order, with duplicates, past the size sorted on two threads.
        let n = PARALLEL_SORT as u32 + 1000;
        let spo: Vec<[u32; 3]> = (0..n)
            .map(|i| {
                let x = i.wrapping_mul(2_654_435_761) % (n / 2);
                [x % 997, x % 13, x % 5003]
            })
            .collect();
        let large = Indexes::new(spo.clone());
        let mut sorted = spo;
        sorted.sort_unstable();
        sorted.dedup();
        let mut pos: Vec<[u32; 3]> = sorted.iter().map(|&[s, p, o]| [p, o, s]).collect();
        pos.sort_unstable();
        assert!(large.spo.len() < n as usize / 2 + 1);
        assert!(large.spo == sorted && large.pos == pos);
        assert_eq!(large.predicates, (0..13).collect::<Vec<u32>>());
    }

    /// Subjects looked up by number, including numbers below the first subject's, of terms
    /// that are never subjects, and past the last term.
    #[test]
    fn subject_lookups_find_what_a_scan_finds() {
        let mut builder = GraphBuilder::new();
        let never_a_subject = builder.id(&iri(999));
        for t in triples() {
            builder.insert(t);
        }
        let indexes = builder.freeze().default;
        assert!(indexes.first_subject > never_a_subject);
        let predicates = indexes.predicates.clone();
        let mut seen = 0;
        for s in 0..100 {
            for p in std::iter::once(None).chain(predicates.iter().copied().map(Some)) {
                let mut found: Vec<[u32; 3]> = indexes.matching(Some(s), p, None).collect();
                found.sort();
                let expected: Vec<[u32; 3]> = indexes
                    .spo
                    .iter()
                    .copied()
                    .filter(|t| t[0] == s && p.is_none_or(|p| t[1] == p))
                    .collect();
                assert_eq!(found, expected, "subject {s}, predicate {p:?}");
                seen += found.len();
            }
        }
        assert_eq!(seen, 2 * indexes.spo.len());
    }

    #[test]
    fn every_pattern_finds_what_a_scan_finds() {
        let triples = triples();
        let mut builder = GraphBuilder::new();
        for t in &triples {
            builder.insert(t.clone());
        }
        let graph = builder.freeze();
        let mut distinct = triples.clone();
        distinct.sort_by_key(|t| t.to_string());
        distinct.dedup();
        assert_eq!(graph.len(), distinct.len());
        let id = |term: Term| graph.id_of(&term);
        for t in &distinct {
            let (s, p, o) = (
                id(t.subject.clone().into()),
                id(t.predicate.clone().into()),
                id(t.object.clone()),
            );
            for mask in 0..8 {
                let pattern = (
                    (mask & 1 != 0).then_some(s.unwrap()),
                    (mask & 2 != 0).then_some(p.unwrap()),
                    (mask & 4 != 0).then_some(o.unwrap()),
                );
                let mut found: Vec<[u32; 3]> =
                    graph.matching(pattern.0, pattern.1, pattern.2).collect();
                found.sort();
                let mut expected: Vec<[u32; 3]> = graph
                    .default
                    .spo
                    .iter()
                    .copied()
                    .filter(|&[ts, tp, to]| {
                        pattern.0.is_none_or(|x| x == ts)
                            && pattern.1.is_none_or(|x| x == tp)
                            && pattern.2.is_none_or(|x| x == to)
                    })
                    .collect();
                expected.sort();
                assert!(!found.is_empty(), "{t} under mask {mask}");
                assert_eq!(found, expected, "{t} under mask {mask}");
            }
        }
    }

    /// The same query over a frozen graph and a store gives the same rows, a term made by the
    /// query (which the graph does not have) included.
    #[test]
    fn queries_answer_as_over_a_store() {
        let triples = triples();
        let store = Store::new().unwrap();
        let mut builder = GraphBuilder::new();
        for t in &triples {
            builder.insert(t.clone());
            store
                .insert(&t.clone().in_graph(GraphName::DefaultGraph))
                .unwrap();
        }
        let graph = builder.freeze();
        let query = "SELECT ?s ?o ?made WHERE { ?s <urn:x:100> ?o . \
                     OPTIONAL { ?s <urn:x:101> ?v FILTER (?v != \"v1\") } \
                     BIND (IRI(CONCAT(STR(?s), \"/made\")) AS ?made) \
                     FILTER NOT EXISTS { ?made ?any ?thing } } ORDER BY ?s ?o";
        let rows = |dataset: &dyn Fn(&str) -> crate::rdf::select::Rows| {
            let rows = dataset(query);
            assert!(!rows.rows.is_empty());
            rows.rows
                .iter()
                .map(|r| format!("{:?} {:?} {:?}", r.get("s"), r.get("o"), r.get("made")))
                .collect::<Vec<_>>()
        };
        let frozen = rows(&|q| crate::rdf::select::select(&graph, None, q).unwrap());
        let stored = rows(&|q| crate::rdf::select::select(&store, None, q).unwrap());
        assert_eq!(frozen, stored);
        // Nothing in a named graph, and a pattern naming an unknown term matches nothing.
        let named =
            crate::rdf::select::select(&graph, None, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")
                .unwrap();
        assert!(named.rows.is_empty());
        let unknown =
            crate::rdf::select::select(&graph, None, "SELECT * WHERE { <urn:x:999> ?p ?o }")
                .unwrap();
        assert!(unknown.rows.is_empty());
    }
}
