//! A term dictionary: numbers for terms, and terms for numbers, in little memory.
//!
//! A frozen graph of a large crate has hundreds of thousands of distinct terms. Held as
//! oxigraph `Term`s in a hash set, each cost about a hundred bytes besides its text (the enum,
//! the set's entry and hash, an allocation per string), which made the dictionary the largest
//! part of `validate`'s memory. Here every term is its text, tagged, written once into one
//! buffer; a number is where a term ends, and the hash table holds only numbers. Terms come
//! back as borrowed [`TermRef`]s, so reading one copies nothing.

use hashbrown::HashTable;
use oxigraph::model::{BlankNodeRef, LiteralRef, NamedNodeRef, TermRef};
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

/// How a term's text is tagged. A language tag or datatype IRI comes first and ends at a NUL,
/// which neither can contain; the literal's value follows, so it may hold anything.
const IRI: u8 = b'I';
const BLANK: u8 = b'B';
const STRING: u8 = b'S';
const LANGUAGE: u8 = b'L';
const TYPED: u8 = b'T';

#[derive(Default, Clone)]
pub struct Dictionary {
    /// The terms' tagged texts, back to back.
    text: String,
    /// Where each term's text ends in `text`; it starts where the one before ends.
    ends: Vec<usize>,
    /// Term numbers, found by the hash of the term.
    table: HashTable<u32>,
}

impl Dictionary {
    /// The term numbered `id`.
    ///
    /// # Panics
    /// If the dictionary has no such number: numbers only come from the dictionary itself.
    pub fn get(&self, id: u32) -> TermRef<'_> {
        entry(&self.text, &self.ends, id)
    }

    /// The number of `term`, if the dictionary has it.
    pub fn find(&self, term: TermRef<'_>) -> Option<u32> {
        self.table
            .find(hash(term), |&id| self.get(id) == term)
            .copied()
    }

    /// The number of `term`, numbering it if it is new: numbers follow the order terms were
    /// first seen in, so a graph built the same way numbers its terms the same way.
    pub fn insert(&mut self, term: TermRef<'_>) -> u32 {
        let hash = hash(term);
        if let Some(&id) = self.table.find(hash, |&id| self.get(id) == term) {
            return id;
        }
        let id = u32::try_from(self.ends.len()).expect("fewer than 2^32 terms");
        encode(term, &mut self.text);
        self.ends.push(self.text.len());
        // The table may grow and rehash, while it is borrowed: the texts are read directly.
        let Self { text, ends, table } = self;
        table.insert_unique(hash, id, |&id| self::hash(entry(text, ends, id)));
        id
    }

    /// Every term, in number order.
    pub fn iter(&self) -> impl Iterator<Item = TermRef<'_>> + '_ {
        (0..self.ends.len() as u32).map(|id| self.get(id))
    }
}

/// The term numbered `id` in `text`, whose terms end at `ends`.
fn entry<'a>(text: &'a str, ends: &[usize], id: u32) -> TermRef<'a> {
    let id = id as usize;
    let start = match id {
        0 => 0,
        _ => ends[id - 1],
    };
    decode(&text[start..ends[id]])
}

fn hash(term: TermRef<'_>) -> u64 {
    let mut hasher = FxHasher::default();
    term.hash(&mut hasher);
    hasher.finish()
}

fn encode(term: TermRef<'_>, text: &mut String) {
    let mut push = |tag: u8, head: Option<&str>, body: &str| {
        text.push(char::from(tag));
        if let Some(head) = head {
            text.push_str(head);
            text.push('\0');
        }
        text.push_str(body);
    };
    match term {
        TermRef::NamedNode(n) => push(IRI, None, n.as_str()),
        TermRef::BlankNode(b) => push(BLANK, None, b.as_str()),
        TermRef::Literal(l) => match (l.language(), l.datatype()) {
            (Some(language), _) => push(LANGUAGE, Some(language), l.value()),
            (None, d) if d == oxigraph::model::vocab::xsd::STRING => push(STRING, None, l.value()),
            (None, d) => push(TYPED, Some(d.as_str()), l.value()),
        },
    }
}

fn decode(text: &str) -> TermRef<'_> {
    let (tag, rest) = (text.as_bytes()[0], &text[1..]);
    let split = || rest.split_once('\0').expect("a tagged head ends at a NUL");
    match tag {
        IRI => NamedNodeRef::new_unchecked(rest).into(),
        BLANK => BlankNodeRef::new_unchecked(rest).into(),
        STRING => LiteralRef::new_simple_literal(rest).into(),
        LANGUAGE => {
            let (language, value) = split();
            LiteralRef::new_language_tagged_literal_unchecked(value, language).into()
        }
        _ => {
            let (datatype, value) = split();
            LiteralRef::new_typed_literal(value, NamedNodeRef::new_unchecked(datatype)).into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{BlankNode, Literal, NamedNode, Term};

    #[test]
    fn every_kind_of_term_comes_back_as_it_went_in() {
        let terms: Vec<Term> = vec![
            NamedNode::new_unchecked("https://example.org/a").into(),
            BlankNode::new_unchecked("b0").into(),
            BlankNode::default().into(),
            Literal::new_simple_literal("plain\0with a NUL").into(),
            Literal::new_simple_literal("").into(),
            Literal::new_language_tagged_literal_unchecked("chat", "fr").into(),
            Literal::new_typed_literal(
                "2025-01-03",
                NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#date"),
            )
            .into(),
            Literal::new_typed_literal("x\0y", NamedNode::new_unchecked("urn:t")).into(),
        ];
        let mut dictionary = Dictionary::default();
        let ids: Vec<u32> = terms
            .iter()
            .map(|t| dictionary.insert(t.as_ref()))
            .collect();
        assert_eq!(ids, (0..terms.len() as u32).collect::<Vec<_>>());
        for (term, id) in terms.iter().zip(&ids) {
            assert_eq!(dictionary.get(*id), term.as_ref());
            assert_eq!(dictionary.find(term.as_ref()), Some(*id));
            assert_eq!(
                dictionary.insert(term.as_ref()),
                *id,
                "{term} numbered once"
            );
        }
        assert_eq!(dictionary.iter().count(), terms.len());
        let other = Literal::new_language_tagged_literal_unchecked("chat", "en");
        assert_eq!(dictionary.find(other.as_ref().into()), None);
    }

    /// Numbers stay right through the table's growth, which rehashes every entry.
    #[test]
    fn many_terms_keep_their_numbers() {
        let mut dictionary = Dictionary::default();
        let term = |i: u32| Literal::new_simple_literal(format!("v{i}"));
        for i in 0..50_000 {
            assert_eq!(dictionary.insert(term(i).as_ref().into()), i);
        }
        for i in (0..50_000).step_by(997) {
            assert_eq!(dictionary.find(term(i).as_ref().into()), Some(i));
            assert_eq!(dictionary.get(i), term(i).as_ref().into());
        }
    }
}
