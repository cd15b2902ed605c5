//! Replacing a variable by a constant throughout a query's algebra, or, for a parameter left
//! out (`None`), only `BOUND(?v)` by `false`; then a FILTER that became constantly false
//! prunes its branch, so an alternative written for the other case costs nothing.

use oxigraph::model::vocab::xsd;
use oxigraph::model::{Term, Variable};
use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};
use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};

type Result<T> = std::result::Result<T, String>;

pub fn pattern(p: GraphPattern, v: &Variable, t: Option<&Term>) -> Result<GraphPattern> {
    let sub = |p: Box<GraphPattern>| pattern(*p, v, t).map(Box::new);
    let expr = |e: Expression| expression(e, v, t);
    Ok(match p {
        GraphPattern::Bgp { patterns } => GraphPattern::Bgp {
            patterns: patterns
                .into_iter()
                .map(|tp| triple(tp, v, t))
                .collect::<Result<_>>()?,
        },
        GraphPattern::Path {
            subject,
            path,
            object,
        } => GraphPattern::Path {
            subject: term(subject, v, t),
            path,
            object: term(object, v, t),
        },
        GraphPattern::Join { left, right } => GraphPattern::Join {
            left: sub(left)?,
            right: sub(right)?,
        },
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => GraphPattern::LeftJoin {
            left: sub(left)?,
            right: sub(right)?,
            expression: expression.map(expr),
        },
        GraphPattern::Lateral { left, right } => GraphPattern::Lateral {
            left: sub(left)?,
            right: sub(right)?,
        },
        GraphPattern::Filter { expr: e, inner } => match expr(e) {
            e if is_false(&e) => GraphPattern::Values {
                variables: Vec::new(),
                bindings: Vec::new(),
            },
            e => GraphPattern::Filter {
                expr: e,
                inner: sub(inner)?,
            },
        },
        GraphPattern::Union { left, right } => GraphPattern::Union {
            left: sub(left)?,
            right: sub(right)?,
        },
        GraphPattern::Graph { name, inner } => GraphPattern::Graph {
            name: named(name, v, t)?,
            inner: sub(inner)?,
        },
        GraphPattern::Extend {
            inner,
            variable,
            expression,
        } => GraphPattern::Extend {
            inner: sub(inner)?,
            variable,
            expression: expr(expression),
        },
        GraphPattern::Minus { left, right } => GraphPattern::Minus {
            left: sub(left)?,
            right: sub(right)?,
        },
        values @ GraphPattern::Values { .. } => values,
        GraphPattern::OrderBy { inner, expression } => GraphPattern::OrderBy {
            inner: sub(inner)?,
            expression: expression
                .into_iter()
                .map(|o| match o {
                    OrderExpression::Asc(e) => OrderExpression::Asc(expr(e)),
                    OrderExpression::Desc(e) => OrderExpression::Desc(expr(e)),
                })
                .collect(),
        },
        GraphPattern::Project { inner, variables } => {
            let mut inner = sub(inner)?;
            if let (true, Some(t)) = (variables.contains(v), t) {
                // A projected parameter still shows, with its value.
                inner = Box::new(GraphPattern::Extend {
                    inner,
                    variable: v.clone(),
                    expression: constant(t),
                });
            }
            GraphPattern::Project { inner, variables }
        }
        GraphPattern::Distinct { inner } => GraphPattern::Distinct { inner: sub(inner)? },
        GraphPattern::Reduced { inner } => GraphPattern::Reduced { inner: sub(inner)? },
        GraphPattern::Slice {
            inner,
            start,
            length,
        } => GraphPattern::Slice {
            inner: sub(inner)?,
            start,
            length,
        },
        GraphPattern::Group {
            inner,
            variables,
            aggregates,
        } => GraphPattern::Group {
            inner: sub(inner)?,
            variables: variables
                .into_iter()
                .filter(|x| x != v || t.is_none())
                .collect(),
            aggregates: aggregates
                .into_iter()
                .map(|(x, a)| {
                    let a = match a {
                        AggregateExpression::FunctionCall {
                            name,
                            expr: e,
                            distinct,
                        } => AggregateExpression::FunctionCall {
                            name,
                            expr: expr(e),
                            distinct,
                        },
                        count => count,
                    };
                    (x, a)
                })
                .collect(),
        },
        GraphPattern::Service {
            name,
            inner,
            silent,
        } => GraphPattern::Service {
            name: named(name, v, t)?,
            inner: sub(inner)?,
            silent,
        },
    })
}

fn constant(t: &Term) -> Expression {
    match t {
        Term::NamedNode(n) => Expression::NamedNode(n.clone()),
        Term::Literal(l) => Expression::Literal(l.clone()),
        Term::BlankNode(_) => unreachable!("parameters are never blank nodes"),
    }
}

fn is_false(e: &Expression) -> bool {
    match e {
        Expression::Literal(l) => l.value() == "false" && l.datatype() == xsd::BOOLEAN,
        Expression::Not(inner) => {
            matches!(&**inner, Expression::Literal(l) if l.value() == "true" && l.datatype() == xsd::BOOLEAN)
        }
        Expression::And(a, b) => is_false(a) || is_false(b),
        _ => false,
    }
}

fn expression(e: Expression, v: &Variable, t: Option<&Term>) -> Expression {
    let sub = |e: Box<Expression>| Box::new(expression(*e, v, t));
    let all = |es: Vec<Expression>| es.into_iter().map(|e| expression(e, v, t)).collect();
    match e {
        Expression::Variable(x) if x == *v && t.is_some() => constant(t.expect("checked")),
        Expression::Bound(x) if x == *v => Expression::Literal(t.is_some().into()),
        Expression::Or(a, b) => Expression::Or(sub(a), sub(b)),
        Expression::And(a, b) => Expression::And(sub(a), sub(b)),
        Expression::Equal(a, b) => Expression::Equal(sub(a), sub(b)),
        Expression::SameTerm(a, b) => Expression::SameTerm(sub(a), sub(b)),
        Expression::Greater(a, b) => Expression::Greater(sub(a), sub(b)),
        Expression::GreaterOrEqual(a, b) => Expression::GreaterOrEqual(sub(a), sub(b)),
        Expression::Less(a, b) => Expression::Less(sub(a), sub(b)),
        Expression::LessOrEqual(a, b) => Expression::LessOrEqual(sub(a), sub(b)),
        Expression::In(a, b) => Expression::In(sub(a), all(b)),
        Expression::Add(a, b) => Expression::Add(sub(a), sub(b)),
        Expression::Subtract(a, b) => Expression::Subtract(sub(a), sub(b)),
        Expression::Multiply(a, b) => Expression::Multiply(sub(a), sub(b)),
        Expression::Divide(a, b) => Expression::Divide(sub(a), sub(b)),
        Expression::UnaryPlus(a) => Expression::UnaryPlus(sub(a)),
        Expression::UnaryMinus(a) => Expression::UnaryMinus(sub(a)),
        Expression::Not(a) => Expression::Not(sub(a)),
        // A parameter in an IRI-only position inside EXISTS leaves that EXISTS as written.
        Expression::Exists(p) => match pattern(*p.clone(), v, t) {
            Ok(bound) => Expression::Exists(Box::new(bound)),
            Err(_) => Expression::Exists(p),
        },
        Expression::If(a, b, c) => Expression::If(sub(a), sub(b), sub(c)),
        Expression::Coalesce(es) => Expression::Coalesce(all(es)),
        Expression::FunctionCall(f, es) => Expression::FunctionCall(f, all(es)),
        other => other,
    }
}

fn triple(tp: TriplePattern, v: &Variable, t: Option<&Term>) -> Result<TriplePattern> {
    Ok(TriplePattern {
        subject: term(tp.subject, v, t),
        predicate: named(tp.predicate, v, t)?,
        object: term(tp.object, v, t),
    })
}

fn term(p: TermPattern, v: &Variable, t: Option<&Term>) -> TermPattern {
    let Some(t) = t else { return p };
    match p {
        TermPattern::Variable(x) if x == *v => match t {
            Term::NamedNode(n) => TermPattern::NamedNode(n.clone()),
            Term::Literal(l) => TermPattern::Literal(l.clone()),
            Term::BlankNode(b) => TermPattern::BlankNode(b.clone()),
        },
        other => other,
    }
}

fn named(p: NamedNodePattern, v: &Variable, t: Option<&Term>) -> Result<NamedNodePattern> {
    let Some(t) = t else { return Ok(p) };
    match p {
        NamedNodePattern::Variable(x) if x == *v => match t {
            Term::NamedNode(n) => Ok(NamedNodePattern::NamedNode(n.clone())),
            _ => Err(format!(
                "parameter {v} stands where only an IRI fits (a predicate or graph name); declare it as iri"
            )),
        },
        other => Ok(other),
    }
}
