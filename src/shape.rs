//! Stage 2: SPARQL CONSTRUCT queries turn source graphs into the RO-Crate graph.
//!
//! The mapping is entirely in `queries/release/*.rq`; this module only runs them, in two steps:
//! `identify.rq` names entities and picks the shipped versions (its triples go back into the
//! source graph), then every other query contributes its triples to the crate graph.
//!
//! A source graph may come in shards (a release's objects, a thousand at a time, each with the
//! request they belong to): each shard is identified and mapped on its own, and the crate graph
//! is the union of what the shards give. That is the whole graph's mapping as long as no query
//! relates two objects, which none of the mapping does: each solution is about one object and
//! the request.

use crate::assets::Asset;
use crate::rdf::frozen::{self, GraphBuilder};
use crate::rdf::vocab;
use oxigraph::model::{BlankNode, NamedNode, Quad, Term, Variable};
use spargebra::algebra::GraphPattern;
use spargebra::term::TermPattern;

#[derive(Debug, thiserror::Error)]
pub enum ShapeError {
    #[error("queries/{query}: {message}")]
    Query { query: String, message: String },
    #[error("queries/{query}: expected a CONSTRUCT query")]
    NotConstruct { query: String },
}

/// A CONSTRUCT query of the mapping, parsed once for every shard and evaluated as the SELECT
/// of its template's variables, the template instantiated here.
///
/// spareval's own CONSTRUCT makes owned strings of every template triple of every solution and
/// hashes each triple to drop duplicates, and the shard then numbers the same strings again:
/// `file.rq` names its file in twelve triples. Here each solution's values are numbered once,
/// in the graph being built, and the template's triples go in as numbers; duplicates go when
/// that graph is frozen.
struct Construct {
    name: String,
    select: spargebra::Query,
    template: Vec<[Slot; 3]>,
    /// The template's constant terms, numbered in each graph the query adds to.
    constants: Vec<Term>,
    blank_nodes: usize,
}

/// A position of a template triple.
#[derive(Clone, Copy)]
enum Slot {
    Constant(usize),
    /// A variable, by its column in the SELECT.
    Variable(usize),
    /// A blank node of the template: a fresh one per solution, as SPARQL has it.
    BlankNode(usize),
}

/// The template's variables, blank nodes and constants, each numbered where first met.
#[derive(Default)]
struct Slots {
    variables: Vec<Variable>,
    blank_nodes: Vec<BlankNode>,
    constants: Vec<Term>,
}

impl Slots {
    fn slot(&mut self, pattern: &TermPattern) -> Slot {
        match pattern {
            TermPattern::NamedNode(n) => self.constant(n.clone().into()),
            TermPattern::Literal(l) => self.constant(l.clone().into()),
            TermPattern::Variable(v) => Slot::Variable(index_of(&mut self.variables, v)),
            TermPattern::BlankNode(b) => Slot::BlankNode(index_of(&mut self.blank_nodes, b)),
        }
    }

    fn constant(&mut self, term: Term) -> Slot {
        Slot::Constant(index_of(&mut self.constants, &term))
    }
}

fn index_of<T: PartialEq + Clone>(items: &mut Vec<T>, item: &T) -> usize {
    items
        .iter()
        .position(|known| known == item)
        .unwrap_or_else(|| {
            items.push(item.clone());
            items.len() - 1
        })
}

/// One solution of a query, its terms numbered in the graph being built only when a triple
/// uses them, so that a term whose triples are all dropped (an unbound variable's, a literal
/// as subject) adds nothing to the graph.
struct Instance<'s> {
    values: &'s [Option<Term>],
    ids: Vec<Option<u32>>,
    blank_nodes: Vec<Option<u32>>,
}

impl Instance<'_> {
    /// Whether the slot has a term this solution that may stand at `position` of a triple
    /// (0 subject, 1 predicate, 2 object): SPARQL drops a template triple that has an unbound
    /// variable, a literal as subject, or anything but an IRI as predicate.
    fn fits(&self, slot: Slot, position: usize, constants: &[Term]) -> bool {
        let term = match slot {
            Slot::BlankNode(_) => return position != 1,
            Slot::Constant(i) => &constants[i],
            Slot::Variable(i) => match &self.values[i] {
                Some(term) => term,
                None => return false,
            },
        };
        match position {
            0 => !matches!(term, Term::Literal(_)),
            1 => matches!(term, Term::NamedNode(_)),
            _ => true,
        }
    }

    /// The number of the slot's term in `into`; `numbered` keeps those of the constants
    /// from one solution to the next.
    fn id(
        &mut self,
        slot: Slot,
        constants: &[Term],
        numbered: &mut [Option<u32>],
        into: &mut GraphBuilder,
    ) -> u32 {
        match slot {
            Slot::Constant(i) => *numbered[i].get_or_insert_with(|| into.id(&constants[i])),
            Slot::Variable(i) => *self.ids[i].get_or_insert_with(|| {
                into.id(self.values[i]
                    .as_ref()
                    .expect("a fitting variable is bound"))
            }),
            Slot::BlankNode(i) => {
                *self.blank_nodes[i].get_or_insert_with(|| into.id(&BlankNode::default()))
            }
        }
    }
}

impl Construct {
    fn parse(asset: &Asset, base: &str) -> Result<Self, ShapeError> {
        let fail = |message: String| ShapeError::Query {
            query: asset.name.clone(),
            message,
        };
        let query = spargebra::SparqlParser::new()
            .with_base_iri(base)
            .map_err(|e| fail(e.to_string()))?
            .parse_query(&asset.text)
            .map_err(|e| fail(e.to_string()))?;
        let spargebra::Query::Construct {
            template,
            dataset,
            pattern,
            base_iri,
        } = query
        else {
            return Err(ShapeError::NotConstruct {
                query: asset.name.clone(),
            });
        };
        let mut slots = Slots::default();
        let template = template
            .iter()
            .map(|t| {
                let predicate = TermPattern::from(t.predicate.clone());
                [
                    slots.slot(&t.subject),
                    slots.slot(&predicate),
                    slots.slot(&t.object),
                ]
            })
            .collect();
        Ok(Construct {
            name: asset.name.clone(),
            select: spargebra::Query::Select {
                dataset,
                pattern: GraphPattern::Project {
                    inner: Box::new(pattern),
                    variables: slots.variables,
                },
                base_iri,
            },
            template,
            constants: slots.constants,
            blank_nodes: slots.blank_nodes.len(),
        })
    }

    /// Adds the query's triples over `graph` to `into`.
    fn run(&self, graph: &frozen::Graph, into: &mut GraphBuilder) -> Result<(), ShapeError> {
        let fail = |message: String| ShapeError::Query {
            query: self.name.clone(),
            message,
        };
        let evaluator = spareval::QueryEvaluator::new();
        let results = evaluator
            .prepare(&self.select)
            .execute(graph)
            .map_err(|e| fail(e.to_string()))?;
        let spareval::QueryResults::Solutions(solutions) = results else {
            unreachable!("a SELECT gives solutions");
        };
        let mut constants = vec![None; self.constants.len()];
        for solution in solutions {
            let solution = solution.map_err(|e| fail(e.to_string()))?;
            let mut instance = Instance {
                values: solution.values(),
                ids: vec![None; solution.values().len()],
                blank_nodes: vec![None; self.blank_nodes],
            };
            for triple in &self.template {
                let fits = (0..3).all(|at| instance.fits(triple[at], at, &self.constants));
                if fits {
                    let ids =
                        triple.map(|slot| instance.id(slot, &self.constants, &mut constants, into));
                    into.insert_ids(ids);
                }
            }
        }
        Ok(())
    }
}

/// The mapping: `identify`, then the CONSTRUCT queries whose union is the crate graph.
/// Relative IRIs in the queries resolve against the crate's root.
pub struct Mapping {
    identify: Construct,
    construct: Vec<Construct>,
}

impl Mapping {
    pub fn new(identify: &Asset, construct: &[Asset], base: &str) -> Result<Self, ShapeError> {
        Ok(Mapping {
            identify: Construct::parse(identify, base)?,
            construct: construct
                .iter()
                .map(|asset| Construct::parse(asset, base))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Identifies the entities of `source` and maps it, its queries spread over `workers`
    /// threads. Returns the source graph with what `identify` added (for the SELECTs that read
    /// it after) and the crate graph.
    pub fn map(
        &self,
        source: GraphBuilder,
        workers: usize,
    ) -> Result<(frozen::Graph, GraphBuilder), ShapeError> {
        let source = source.freeze();
        // Collected before any goes in: the query reads the graph it adds to.
        let mut identified = GraphBuilder::new();
        self.identify.run(&source, &mut identified)?;
        let mut source = source.thaw();
        source.merge(identified);
        let source = source.freeze();
        // One graph per thread, not per query: each merge looks every term up again.
        let groups: Vec<&[Construct]> = self
            .construct
            .chunks(self.construct.len().div_ceil(workers.max(1)).max(1))
            .collect();
        let results = crate::parallel::map(&groups, workers, |_, queries| {
            let mut graph = GraphBuilder::new();
            for query in *queries {
                query.run(&source, &mut graph)?;
            }
            Ok::<_, ShapeError>(graph)
        });
        let mut graph: Option<GraphBuilder> = None;
        for (queries, result) in groups.iter().zip(results) {
            let group = result.ok_or_else(|| ShapeError::Query {
                query: queries[0].name.clone(),
                message: "its evaluation stopped unexpectedly".into(),
            })??;
            match &mut graph {
                None => graph = Some(group),
                Some(graph) => graph.merge(group),
            }
        }
        Ok((source, graph.unwrap_or_default()))
    }
}

/// The crate graph of one source graph, its queries run side by side.
pub fn shape(
    source: GraphBuilder,
    identify: &Asset,
    mapping: &[Asset],
    base: &str,
) -> Result<frozen::Graph, ShapeError> {
    let mapping = Mapping::new(identify, mapping, base)?;
    let workers = crate::parallel::workers(mapping.construct.len(), usize::MAX);
    let (_, graph) = mapping.map(source, workers)?;
    Ok(graph.freeze())
}

/// Moves the `tre:` terms from ADR-0004's default namespace to the one the TRE configured.
///
/// The queries always write the default namespace so that they stay plain, static documents.
pub fn rename_namespace(graph: frozen::Graph, namespace: &str) -> frozen::Graph {
    if namespace == vocab::TRE {
        return graph;
    }
    let rename = |n: NamedNode| match vocab::moved_to_namespace(n.as_str(), namespace) {
        Some(moved) => NamedNode::new_unchecked(moved),
        None => n,
    };
    let mut renamed = GraphBuilder::new();
    renamed.extend(graph.quads().map(|q| {
        let object = match q.object {
            Term::NamedNode(n) => rename(n).into(),
            other => other,
        };
        Quad::new(q.subject, rename(q.predicate), object, q.graph_name)
    }));
    renamed.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::RdfFormat;
    use oxigraph::model::{GraphNameRef, Triple};
    use oxigraph::sparql::{QueryResults, SparqlEvaluator};
    use oxigraph::store::Store;
    use std::collections::BTreeSet;

    const DATA: &str = r#"
        @prefix ex: <http://example.org/> .
        ex:a ex:name "A" ; ex:size 3 ; ex:link ex:b ; ex:kind ex:p .
        ex:b ex:name "B" ; ex:size 4 ; ex:kind "not an IRI" .
        ex:c ex:size 5 .
    "#;

    fn asset(text: &str) -> Asset {
        Asset {
            name: "test.rq".into(),
            text: text.into(),
        }
    }

    /// The query's triples as `Construct` builds them, and as oxigraph's own CONSTRUCT does.
    fn both(query: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let store = Store::new().unwrap();
        store
            .load_from_slice(RdfFormat::Turtle, DATA.as_bytes())
            .unwrap();
        let mut source = GraphBuilder::new();
        source.extend(
            store
                .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph))
                .map(Result::unwrap),
        );
        let mut built = GraphBuilder::new();
        Construct::parse(&asset(query), "http://example.org/crate/")
            .unwrap()
            .run(&source.freeze(), &mut built)
            .unwrap();
        let ours = built
            .freeze()
            .quads()
            .map(|q| Triple::from(q).to_string())
            .collect();
        let query = SparqlEvaluator::new()
            .with_base_iri("http://example.org/crate/")
            .unwrap()
            .parse_query(query)
            .unwrap();
        let QueryResults::Graph(triples) = query.on_store(&store).execute().unwrap() else {
            panic!("not a CONSTRUCT");
        };
        let theirs = triples.map(|t| t.unwrap().to_string()).collect();
        (ours, theirs)
    }

    #[test]
    fn templates_give_what_sparql_construct_gives() {
        // Unbound variables, a literal as subject, a literal as predicate, constants, a
        // relative IRI, a BIND: each template triple is kept or dropped as SPARQL says.
        let query = r#"
            PREFIX ex: <http://example.org/>
            CONSTRUCT {
                ?s a ex:Thing ; ex:label ?name ; ex:next ?o ; <relative> ?twice .
                ?name ex:of ?s .
                ?s ?kind ?size .
            }
            WHERE {
                ?s ex:size ?size .
                OPTIONAL { ?s ex:name ?name }
                OPTIONAL { ?s ex:link ?o }
                OPTIONAL { ?s ex:kind ?kind }
                BIND (?size * 2 AS ?twice)
            }
        "#;
        let (ours, theirs) = both(query);
        assert_eq!(ours, theirs);
        assert!(ours
            .iter()
            .any(|t| t.contains("<http://example.org/crate/relative>")));
        assert!(ours
            .iter()
            .any(|t| t.starts_with("<http://example.org/a> <http://example.org/p> ")));
        assert!(!ours.iter().any(|t| t.starts_with('"')), "{ours:?}");
    }

    #[test]
    fn template_blank_nodes_are_fresh_for_each_solution() {
        let query = r#"
            PREFIX ex: <http://example.org/>
            CONSTRUCT { ?s ex:has _:n . _:n ex:size ?size . }
            WHERE { ?s ex:size ?size }
        "#;
        let (ours, theirs) = both(query);
        assert_eq!(ours.len(), theirs.len());
        let nodes: BTreeSet<&str> = ours
            .iter()
            .filter(|t| t.starts_with("_:"))
            .map(|t| t.split(' ').next().unwrap())
            .collect();
        assert_eq!(nodes.len(), 3, "{ours:?}");
    }

    #[test]
    fn only_construct_queries_are_a_mapping() {
        let select = asset("SELECT * WHERE { ?s ?p ?o }");
        assert!(matches!(
            Construct::parse(&select, "http://example.org/"),
            Err(ShapeError::NotConstruct { .. })
        ));
    }
}
