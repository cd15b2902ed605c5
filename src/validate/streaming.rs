//! A JSON-LD document rewritten in the key order of the streaming profile.
//!
//! In its default mode the JSON-LD parser holds every object whole until its last key, in case
//! an `@context` comes late; for the top-level object that is the whole document, held as
//! owned JSON events, several times the size of its bytes. Given the keys of every object in
//! the order `@context`, `@type`, `@id`, other keys, `@graph`, its streaming profile expands
//! the document as it reads. Most RO-Crate writers, trecrate included, put `@id` before
//! `@type`, so [`streaming_order`] writes the document again in that order.
//!
//! The default mode reorders each object the same way once it has it whole, so both parses
//! feed the same events to the same expansion and give the same graph. Keys spelled other
//! than literally (an alias of `@id`, an escaped `@type`) stay where they are: the streaming
//! parser then stops with an error and the caller parses the original in the default mode.
//! `tests/parser_shortcuts.rs` compares both parses on the corpus and on trecrate's crates.

use std::io::{self, Read};
use std::ops::Range;

/// Deeper documents are left to the default mode, whose parser runs on a large stack.
const MAX_DEPTH: usize = 256;

/// The document with every object's keys in streaming order, insignificant whitespace
/// dropped, strings and numbers copied byte for byte. `None` when the bytes are not plain JSON
/// (the parser will say why) or an object repeats a keyword key (the default mode reports it).
pub fn streaming_order(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    Reordered::new(bytes).read_to_end(&mut out).ok()?;
    Some(out)
}

/// [`streaming_order`] as it is read: the top-level object's members are found first, then
/// written in order, the `@graph`'s items one at a time, so the rewritten document is never
/// held whole (a copy of a 200 MB document beside the original and the graph being built).
/// A read fails where [`streaming_order`] would give `None`.
pub struct Reordered<'a> {
    writer: Writer<'a>,
    state: State,
    /// The top-level object's members: rank, key, where the value starts; and its end.
    members: Vec<(u8, Range<usize>, usize)>,
    end: usize,
    chunk: Vec<u8>,
    taken: usize,
}

#[derive(Clone, Copy)]
enum State {
    Start,
    /// The next member of the top-level object to write.
    Member(usize),
    /// Inside the array of the `@graph`, the member of that index.
    Items {
        member: usize,
        first: bool,
    },
    Done,
}

impl<'a> Reordered<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reordered {
            writer: Writer {
                bytes,
                at: 0,
                buffers: Vec::new(),
                members: Vec::new(),
            },
            state: State::Start,
            members: Vec::new(),
            end: 0,
            chunk: Vec::new(),
            taken: 0,
        }
    }

    /// Writes the next piece into `chunk`: `Some(false)` at the end, `None` if the bytes are
    /// not plain JSON.
    fn fill(&mut self) -> Option<bool> {
        let w = &mut self.writer;
        let out = &mut self.chunk;
        match self.state {
            State::Start => {
                w.skip_whitespace();
                if w.peek() == Some(b'{') {
                    let (members, end) = w.members()?;
                    (self.members, self.end) = (members, end);
                    out.push(b'{');
                    self.state = State::Member(0);
                } else {
                    w.value(out, 0)?;
                    w.skip_whitespace();
                    if w.at != w.bytes.len() {
                        return None;
                    }
                    self.state = State::Done;
                }
            }
            State::Member(i) if i == self.members.len() => {
                out.push(b'}');
                w.at = self.end;
                w.skip_whitespace();
                if w.at != w.bytes.len() {
                    return None;
                }
                self.state = State::Done;
            }
            State::Member(i) => {
                let (rank, key, value) = self.members[i].clone();
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&w.bytes[key]);
                out.push(b':');
                w.at = value;
                if rank == 4 && w.peek() == Some(b'[') {
                    w.at += 1;
                    out.push(b'[');
                    self.state = State::Items {
                        member: i,
                        first: true,
                    };
                } else {
                    w.value(out, 1)?;
                    self.state = State::Member(i + 1);
                }
            }
            State::Items { member, first } => {
                if w.eat(b']') {
                    out.push(b']');
                    self.state = State::Member(member + 1);
                } else {
                    if !first {
                        if !w.eat(b',') {
                            return None;
                        }
                        out.push(b',');
                    }
                    w.value(out, 2)?;
                    self.state = State::Items {
                        member,
                        first: false,
                    };
                }
            }
            State::Done => return Some(false),
        }
        Some(true)
    }
}

impl Read for Reordered<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.taken == self.chunk.len() {
            self.chunk.clear();
            self.taken = 0;
            match self.fill() {
                Some(true) => {}
                Some(false) => return Ok(0),
                None => {
                    self.state = State::Done;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "not plain JSON in streaming order",
                    ));
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.taken);
        buf[..n].copy_from_slice(&self.chunk[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// Where a key goes among its object's members; keys of equal rank keep their order.
fn rank(quoted_key: &[u8]) -> u8 {
    match quoted_key {
        b"\"@context\"" => 0,
        b"\"@type\"" => 1,
        b"\"@id\"" => 2,
        b"\"@graph\"" => 4,
        _ => 3,
    }
}

struct Writer<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Spare member buffers, one in use per open object, so a document needs a handful of
    /// allocations whatever its number of objects.
    buffers: Vec<Vec<u8>>,
    members: Vec<Vec<(u8, Range<usize>)>>,
}

impl Writer<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Skips whitespace, then consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(byte);
        self.at += found as usize;
        found
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        match self.peek()? {
            b'{' => self.object(out, depth),
            b'[' => self.array(out, depth),
            b'"' => {
                let string = self.string()?;
                out.extend_from_slice(&self.bytes[string]);
                Some(())
            }
            _ => {
                // Numbers, true, false, null: copied up to the next delimiter; the parser
                // rejects whatever is not one of them.
                let start = self.at;
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b':' | b'"' | b'{' | b'[')
                        | Some(b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.at += 1;
                }
                (self.at > start).then(|| out.extend_from_slice(&self.bytes[start..self.at]))
            }
        }
    }

    /// The range of the string starting at the cursor, quotes included.
    fn string(&mut self) -> Option<Range<usize>> {
        let start = self.at;
        self.at += 1;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        Some(start..self.at)
    }

    /// Moves the cursor past the value there, checking no more than its brackets and strings
    /// (the value is read again, and checked, when it is written).
    fn skip(&mut self) -> Option<()> {
        self.skip_whitespace();
        let mut open = 0usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'{' | b'[' => {
                    open += 1;
                    self.at += 1;
                }
                b'}' | b']' if open > 0 => {
                    open -= 1;
                    self.at += 1;
                }
                // The end of a scalar, or of the object or array holding the value.
                b',' | b'}' | b']' if open == 0 => return Some(()),
                _ => self.at += 1,
            }
            if open == 0 && matches!(self.bytes.get(self.at - 1), Some(b'"' | b'}' | b']')) {
                return Some(());
            }
        }
    }

    /// The key of the member at the cursor, quotes included; the cursor moves past its colon.
    fn key(&mut self) -> Option<Range<usize>> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return None;
        }
        let key = self.string()?;
        self.eat(b':').then_some(key)
    }

    /// The members of the object at the cursor, sorted into streaming order (rank, key, where
    /// the value starts), and where the object ends; the values are only skipped.
    #[allow(clippy::type_complexity)]
    fn members(&mut self) -> Option<(Vec<(u8, Range<usize>, usize)>, usize)> {
        self.at += 1;
        let mut members: Vec<(u8, Range<usize>, usize)> = Vec::new();
        if !self.eat(b'}') {
            loop {
                let key = self.key()?;
                let rank = rank(&self.bytes[key.clone()]);
                if rank != 3 && members.iter().any(|(r, _, _)| *r == rank) {
                    return None;
                }
                self.skip_whitespace();
                members.push((rank, key, self.at));
                self.skip()?;
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        members.sort_by_key(|(rank, _, _)| *rank);
        Some((members, self.at))
    }

    fn array(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.at += 1;
        out.push(b'[');
        if !self.eat(b']') {
            loop {
                self.value(out, depth + 1)?;
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
                out.push(b',');
            }
        }
        out.push(b']');
        Some(())
    }

    fn object(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.at += 1;
        let mut buffer = self.buffers.pop().unwrap_or_default();
        let mut members = self.members.pop().unwrap_or_default();
        buffer.clear();
        members.clear();
        if !self.eat(b'}') {
            loop {
                let key = self.key()?;
                let start = buffer.len();
                buffer.extend_from_slice(&self.bytes[key.clone()]);
                buffer.push(b':');
                self.value(&mut buffer, depth + 1)?;
                let rank = rank(&self.bytes[key]);
                if rank != 3 && members.iter().any(|(r, _)| *r == rank) {
                    return None;
                }
                members.push((rank, start..buffer.len()));
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        members.sort_by_key(|(rank, _)| *rank);
        out.push(b'{');
        for (i, (_, range)) in members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&buffer[range.clone()]);
        }
        out.push(b'}');
        self.buffers.push(buffer);
        self.members.push(members);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::streaming_order;

    fn ordered(text: &str) -> Option<String> {
        streaming_order(text.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn keywords_move_to_their_streaming_places_at_every_depth() {
        let text = r#"{ "@graph": [ {"@id": "a", "name": "x", "@type": "File",
            "author": {"@id": "p", "@type": ["Person"]}},
            {"@value": "2020", "@type": "xsd:date"} ],
            "@context": "https://w3id.org/ro/crate/1.1/context" }"#;
        assert_eq!(
            ordered(text).unwrap(),
            r#"{"@context":"https://w3id.org/ro/crate/1.1/context","@graph":[{"@type":"File","@id":"a","name":"x","author":{"@type":["Person"],"@id":"p"}},{"@type":"xsd:date","@value":"2020"}]}"#
        );
    }

    #[test]
    fn strings_and_numbers_are_copied_byte_for_byte() {
        let text = "[\"a\\\"}\\u00e9\", -1.5e3, true, null, {}, [], \"é\"]";
        assert_eq!(
            ordered(text).unwrap(),
            "[\"a\\\"}\\u00e9\",-1.5e3,true,null,{},[],\"é\"]"
        );
    }

    #[test]
    fn anything_but_plain_json_is_left_to_the_parser() {
        for text in [
            "",
            "{",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            "[1,]",
            "[1 2]",
            "{} {}",
            r#""open"#,
            r#"{"@id":"a","@id":"b"}"#,
            r#"{"@context":{},"x":{"@type":"A","@type":"B"}}"#,
        ] {
            assert_eq!(ordered(text), None, "{text}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(ordered(&deep), None);
    }

    #[test]
    fn repeated_ordinary_keys_keep_their_order() {
        assert_eq!(
            ordered(r#"{"b":1,"@id":"x","b":2,"a":3}"#).unwrap(),
            r#"{"@id":"x","b":1,"b":2,"a":3}"#
        );
    }
}
