//! Reading an export as a stream of XML steps, gzipped or not, knowing the
//! line and column of each element so a problem can be pointed at.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::Event;

/// A place in the file: line and column, both from 1 (columns count
/// characters, not bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Something wrong with the file, at a place in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub at: Place,
    pub message: String,
}

impl Problem {
    pub fn new(at: Place, message: impl Into<String>) -> Problem {
        Problem { at, message: message.into() }
    }
}

/// Counts lines and columns of the bytes the XML reader has taken. The
/// reader takes bytes only up to the end of each event, so between events
/// the count is exactly where the next one starts.
struct Counted<R> {
    inner: R,
    line: u32,
    column: u32,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let taken = {
            let available = self.fill_buf()?;
            let taken = available.len().min(out.len());
            out[..taken].copy_from_slice(&available[..taken]);
            taken
        };
        self.consume(taken);
        Ok(taken)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        let Counted { inner, line, column } = self;
        // The bytes being consumed are still in the buffer: looking at them
        // again reads nothing new.
        if let Ok(available) = inner.fill_buf() {
            for &byte in &available[..amount.min(available.len())] {
                if byte == b'\n' {
                    *line += 1;
                    *column = 1;
                } else if byte & 0xC0 != 0x80 {
                    // Not a UTF-8 continuation byte: a new character.
                    *column += 1;
                }
            }
        }
        inner.consume(amount);
    }
}

/// An element's opening tag.
#[derive(Clone, Debug)]
pub struct Tag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub at: Place,
    /// `<tag/>`: no content and no closing step follows.
    pub empty: bool,
}

impl Tag {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// One step through the document.
pub enum Step {
    Open(Tag),
    Close,
    Text(String),
    End,
}

/// An element read whole with its children: small ones only (a comment, a
/// Disqus thread or post), never the document.
#[derive(Debug)]
pub struct Node {
    pub tag: Tag,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|child| child.tag.name == name)
    }

    /// The text of a child element, trimmed; empty when it is missing.
    pub fn text_of(&self, name: &str) -> &str {
        self.child(name).map_or("", |child| child.text.trim())
    }

    /// Where a child is, or else where this element is.
    pub fn place_of(&self, name: &str) -> Place {
        self.child(name).map_or(self.tag.at, |child| child.tag.at)
    }
}

pub struct XmlFile {
    reader: Reader<Counted<Box<dyn BufRead>>>,
    buffer: Vec<u8>,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl XmlFile {
    /// Opens the file, unpacking it as it is read when it starts with the
    /// gzip magic bytes.
    pub fn open(path: &Path) -> io::Result<XmlFile> {
        let mut file = BufReader::with_capacity(64 * 1024, File::open(path)?);
        let gzipped = file.fill_buf()?.starts_with(&GZIP_MAGIC);
        let inner: Box<dyn BufRead> = if gzipped {
            Box::new(BufReader::with_capacity(64 * 1024, flate2::bufread::MultiGzDecoder::new(file)))
        } else {
            Box::new(file)
        };
        let reader = Reader::from_reader(Counted { inner, line: 1, column: 1 });
        Ok(XmlFile { reader, buffer: Vec::with_capacity(8 * 1024) })
    }

    fn here(&self) -> Place {
        let counted = self.reader.get_ref();
        Place { line: counted.line, column: counted.column }
    }

    /// The next step; an error is where the XML stops making sense, and
    /// nothing after it can be read.
    pub fn step(&mut self) -> Result<Step, Problem> {
        loop {
            let at = self.here();
            self.buffer.clear();
            let event = self.reader.read_event_into(&mut self.buffer);
            let step = match event {
                Ok(Event::Start(start)) => Step::Open(tag(&start, at, false)?),
                Ok(Event::Empty(start)) => Step::Open(tag(&start, at, true)?),
                Ok(Event::End(_)) => Step::Close,
                Ok(Event::Text(text)) => Step::Text(text.xml10_content().into_owned()),
                Ok(Event::CData(data)) => Step::Text(data.xml10_content().into_owned()),
                Ok(Event::GeneralRef(reference)) => {
                    let name = reference.xml10_content();
                    match reference.resolve_char_ref() {
                        Ok(Some(character)) => Step::Text(character.to_string()),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(text) => Step::Text(text.to_string()),
                            None => return Err(Problem::new(at, format!("unknown entity &{name};"))),
                        },
                        Err(error) => return Err(Problem::new(at, format!("&{name};: {error}"))),
                    }
                }
                Ok(Event::Eof) => Step::End,
                Ok(_) => continue,
                Err(error) => return Err(Problem::new(self.here(), format!("not well-formed XML: {error}"))),
            };
            return Ok(step);
        }
    }

    /// The first element of the document.
    pub fn root(&mut self) -> Result<Tag, Problem> {
        loop {
            match self.step()? {
                Step::Open(tag) => return Ok(tag),
                Step::End => return Err(Problem::new(self.here(), "the file holds no XML element")),
                Step::Close | Step::Text(_) => {}
            }
        }
    }

    /// The text inside an element just opened, through any markup in it.
    pub fn text(&mut self, opened: &Tag) -> Result<String, Problem> {
        Ok(self.node(opened.clone())?.all_text())
    }

    /// Passes over the rest of an element just opened.
    pub fn skip(&mut self, opened: &Tag) -> Result<(), Problem> {
        if opened.empty {
            return Ok(());
        }
        let mut depth = 1usize;
        while depth > 0 {
            match self.step()? {
                Step::Open(tag) if !tag.empty => depth += 1,
                Step::Close => depth -= 1,
                Step::End => return Err(self.unclosed(opened)),
                Step::Open(_) | Step::Text(_) => {}
            }
        }
        Ok(())
    }

    /// Reads the rest of an element just opened, with its children.
    pub fn node(&mut self, opened: Tag) -> Result<Node, Problem> {
        let mut stack = vec![Node { tag: opened, text: String::new(), children: Vec::new() }];
        if stack[0].tag.empty {
            return Ok(stack.remove(0));
        }
        loop {
            match self.step()? {
                Step::Open(tag) if tag.empty => {
                    if let Some(top) = stack.last_mut() {
                        top.children.push(Node { tag, text: String::new(), children: Vec::new() });
                    }
                }
                Step::Open(tag) => stack.push(Node { tag, text: String::new(), children: Vec::new() }),
                Step::Text(text) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&text);
                    }
                }
                Step::Close => {
                    // The element being read is at the bottom of the stack,
                    // and returned when it closes: the stack is never empty.
                    if let Some(done) = stack.pop() {
                        match stack.last_mut() {
                            Some(parent) => parent.children.push(done),
                            None => return Ok(done),
                        }
                    }
                }
                Step::End => return Err(self.unclosed(&stack[0].tag)),
            }
        }
    }

    fn unclosed(&self, opened: &Tag) -> Problem {
        Problem::new(opened.at, format!("<{}> is not closed before the end of the file", opened.name))
    }
}

impl Node {
    fn all_text(&self) -> String {
        let mut out = self.text.clone();
        for child in &self.children {
            out.push_str(&child.all_text());
        }
        out
    }
}

fn tag(start: &quick_xml::events::BytesStart<'_>, at: Place, empty: bool) -> Result<Tag, Problem> {
    let name = start.name().0.to_string();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| Problem::new(at, format!("<{name}>: {error}")))?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|error| Problem::new(at, format!("<{name}>: {error}")))?;
        attributes.push((attribute.key.0.to_string(), value.into_owned()));
    }
    Ok(Tag { name, attributes, at, empty })
}
