//! A small XML element tree keyed by local names (namespace prefixes dropped), for the
//! Metadata API's SOAP envelopes: shared by the Salesforce client and the simulated org.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

#[derive(Debug, Default)]
pub struct Node {
    /// Local name (namespace prefix removed).
    pub name: String,
    pub children: Vec<Node>,
    /// Concatenated character data directly inside this element.
    pub text: String,
}

impl Node {
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

/// Parses a whole XML document into its root element.
pub fn parse(body: &str) -> Result<Node, String> {
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
            Event::Start(e) => stack.push(Node {
                name: local_name(e.local_name().as_ref()),
                ..Node::default()
            }),
            Event::Empty(e) => {
                let node = Node {
                    name: local_name(e.local_name().as_ref()),
                    ..Node::default()
                };
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
        return Err(format!(
            "unexpected end of document: element <{}> is not closed",
            open.name
        ));
    }
    root.ok_or_else(|| "Premature end of file: no document element".to_string())
}
