//! A small XML element tree keyed by local names (namespace prefixes dropped), for the
//! Metadata API's SOAP envelopes: shared by the Salesforce client and the simulated org.
//!
//! Both read outside input (an org's answer, a client's request), so a document is bounded in
//! size ([`MAX_DOCUMENT_BYTES`]) and nesting ([`MAX_DEPTH`]), and a tree is freed without
//! recursion.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

/// Largest document [`parse`] reads. Metadata API answers for a few apps are kilobytes; a
/// listing of thousands of components stays well under this.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// Deepest element nesting [`parse`] accepts (the document element is depth 1). SOAP envelopes
/// of the Metadata API nest about ten deep.
pub const MAX_DEPTH: usize = 100;

/// Why a text is not a document this module reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("the document is {size} bytes, more than the {max} this reads")]
    TooLarge { size: usize, max: usize },
    #[error("elements nest more than {max} deep (at byte {at})")]
    TooDeep { max: usize, at: u64 },
    #[error("{0}")]
    Malformed(String),
}

#[derive(Debug, Default)]
pub struct Node {
    /// Local name (namespace prefix removed).
    pub name: String,
    pub children: Vec<Node>,
    /// Concatenated character data directly inside this element.
    pub text: String,
}

/// Frees the children level by level: the default drop recurses once per nesting level.
impl Drop for Node {
    fn drop(&mut self) {
        let mut pending = std::mem::take(&mut self.children);
        while let Some(mut node) = pending.pop() {
            pending.append(&mut node.children);
        }
    }
}

impl Node {
    fn named(name: String) -> Node {
        Node {
            name,
            children: Vec::new(),
            text: String::new(),
        }
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.trim().to_string())
    }

    pub fn descendant(&self, name: &str) -> Option<&Node> {
        self.children.iter().find_map(|c| {
            if c.name == name {
                Some(c)
            } else {
                c.descendant(name)
            }
        })
    }
}

fn local_name(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Text for an XML element or attribute value (`&`, `<`, `>`, quotes escaped): the Metadata
/// source the app writes.
pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// Parses a whole XML document into its root element.
pub fn parse(body: &str) -> Result<Node, XmlError> {
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(XmlError::TooLarge {
            size: body.len(),
            max: MAX_DOCUMENT_BYTES,
        });
    }
    parse_tree(body)
}

impl From<String> for XmlError {
    fn from(message: String) -> XmlError {
        XmlError::Malformed(message)
    }
}

fn parse_tree(body: &str) -> Result<Node, XmlError> {
    let mut reader = Reader::from_str(body);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;

    fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) -> Result<(), String> {
        match stack.last_mut() {
            Some(parent) => {
                parent.children.push(node);
                Ok(())
            }
            None if root.is_none() => {
                *root = Some(node);
                Ok(())
            }
            None => Err(format!(
                "unexpected element <{}> after the document element",
                node.name
            )),
        }
    }

    fn add_text(stack: &mut [Node], text: &str) -> Result<(), String> {
        match stack.last_mut() {
            Some(node) => {
                node.text.push_str(text);
                Ok(())
            }
            None if text.trim().is_empty() => Ok(()),
            None => Err("text content outside the document element".to_string()),
        }
    }

    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} (at byte {})", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                if stack.len() == MAX_DEPTH {
                    return Err(XmlError::TooDeep {
                        max: MAX_DEPTH,
                        at: reader.buffer_position(),
                    });
                }
                stack.push(Node::named(local_name(e.local_name().as_ref())));
            }
            Event::Empty(e) => {
                if stack.len() == MAX_DEPTH {
                    return Err(XmlError::TooDeep {
                        max: MAX_DEPTH,
                        at: reader.buffer_position(),
                    });
                }
                let node = Node::named(local_name(e.local_name().as_ref()));
                attach(&mut stack, &mut root, node)?;
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| "unexpected closing tag".to_string())?;
                attach(&mut stack, &mut root, node)?;
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| e.to_string())?;
                add_text(&mut stack, &text)?;
            }
            Event::CData(c) => {
                let text = c.decode().map_err(|e| e.to_string())?;
                add_text(&mut stack, &text)?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| e.to_string())?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("undeclared entity '&{name};'"))?
                            .to_string()
                    }
                };
                add_text(&mut stack, &resolved)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError::Malformed(format!(
            "unexpected end of document: element <{}> is not closed",
            open.name
        )));
    }
    root.ok_or_else(|| XmlError::Malformed("Premature end of file: no document element".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}x{}", "<a>".repeat(depth), "</a>".repeat(depth))
    }

    #[test]
    fn nesting_at_the_bound_parses_and_one_more_is_refused() {
        let root = parse(&nested(MAX_DEPTH)).expect("at the bound");
        assert_eq!(root.name, "a");
        assert!(matches!(
            parse(&nested(MAX_DEPTH + 1)),
            Err(XmlError::TooDeep { max: MAX_DEPTH, .. })
        ));
        let empty_past = format!(
            "{}<b/>{}",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert!(matches!(parse(&empty_past), Err(XmlError::TooDeep { .. })));
    }

    #[test]
    fn a_hundred_thousand_deep_document_is_an_error_not_a_stack_overflow() {
        assert!(matches!(
            parse(&nested(100_000)),
            Err(XmlError::TooDeep { .. })
        ));
    }

    #[test]
    fn size_at_the_bound_is_read_and_one_byte_more_is_refused() {
        let open_close = "<a></a>".len();
        let at_bound = format!("<a>{}</a>", " ".repeat(MAX_DOCUMENT_BYTES - open_close));
        assert_eq!(at_bound.len(), MAX_DOCUMENT_BYTES);
        assert!(parse(&at_bound).is_ok());
        let past = format!("{at_bound} ");
        assert_eq!(
            parse(&past).unwrap_err(),
            XmlError::TooLarge {
                size: MAX_DOCUMENT_BYTES + 1,
                max: MAX_DOCUMENT_BYTES
            }
        );
    }

    #[test]
    fn a_deep_tree_built_by_hand_is_freed_without_recursion() {
        let mut node = Node::named("leaf".into());
        for _ in 0..200_000 {
            let mut parent = Node::named("a".into());
            parent.children.push(node);
            node = parent;
        }
        drop(node);
    }
}
