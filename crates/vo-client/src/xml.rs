//! A small element tree for the bounded XML documents of VOSI and UWS (capabilities, table
//! sets, availability, job documents) and the scan for error messages in error documents.
//!
//! Names are kept without their namespace prefix: services disagree on prefixes and on
//! whether child elements are qualified at all, and the local names are unambiguous within
//! each of these documents.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// Deepest nesting accepted (VOSI table sets are about 6 levels deep).
const MAX_DEPTH: usize = 64;

/// One element: local name, attributes (local names), children and text content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Element>,
    /// The concatenated character data directly inside this element (CDATA included).
    pub(crate) text: String,
}

impl Element {
    /// The value of an attribute, by local name (`xsi:type` is found as `type`).
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Children with the given local name.
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child with the given local name.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The trimmed text of the first child with the given name, when not empty.
    pub(crate) fn child_text(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_owned())
            .filter(|t| !t.is_empty())
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_owned(),
        None => name.to_owned(),
    }
}

fn start_element(e: &BytesStart<'_>) -> Result<Element, String> {
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| err.to_string())?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| err.to_string())?;
        attrs.push((local(attr.key.as_ref()), value.into_owned()));
    }
    Ok(Element {
        name: local(e.name().as_ref()),
        attrs,
        ..Element::default()
    })
}

/// Parses a whole document into its root element.
pub(crate) fn parse(doc: &[u8]) -> Result<Element, String> {
    let mut reader = Reader::from_reader(doc);
    let mut stack: Vec<Element> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("XML nested deeper than {MAX_DEPTH} levels"));
                }
                stack.push(start_element(&e)?);
            }
            Event::Empty(e) => {
                let el = start_element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err("unbalanced end tag".to_owned());
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => top.text.push(c),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                            Some(s) => top.text.push_str(s),
                            None => return Err(format!("unknown entity &{};", &*r)),
                        },
                        Err(e) => return Err(e.to_string()),
                    }
                }
            }
            Event::Eof => {
                return Err("document ended before its root element was closed".to_owned());
            }
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
        buf.clear();
    }
}

/// Finds the message of an error document in (a prefix of) a response body: a DALI/TAP
/// VOTable with `INFO name="QUERY_STATUS" value="ERROR"`, or a cone search 1.03 document with
/// an `INFO` or `PARAM` named `Error`. Stops at the first TABLE data (a result, not an error
/// document). Tolerates a body cut short; returns `None` for anything else.
pub(crate) fn error_document_message(body: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(body);
    let mut buf = Vec::new();
    // (text of an open QUERY_STATUS=ERROR INFO, its value attribute)
    let mut open: Option<(String, String)> = None;
    loop {
        let event = reader.read_event_into(&mut buf).ok()?;
        match event {
            Event::Start(e) | Event::Empty(e)
                if matches!(
                    local(e.name().as_ref()).as_str(),
                    "DATA" | "TABLEDATA" | "BINARY" | "BINARY2"
                ) =>
            {
                return None;
            }
            Event::Start(e) => {
                if let Some(found) = error_element(&e) {
                    match found {
                        Found::Status(value) => open = Some((String::new(), value)),
                        Found::Message(m) => return Some(m),
                    }
                }
            }
            Event::Empty(e) => match error_element(&e) {
                Some(Found::Status(value)) => return Some(value),
                Some(Found::Message(m)) => return Some(m),
                None => {}
            },
            Event::Text(t) => {
                if let Some((text, _)) = open.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some((text, _)) = open.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((text, _)) = open.as_mut() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        text.push(c);
                    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                        text.push_str(s);
                    }
                }
            }
            Event::End(_) => {
                if let Some((text, value)) = open.take() {
                    let text = text.trim();
                    // DaCHS puts the message in the content and "ERROR" in the value; some
                    // services do the reverse.
                    return Some(if text.is_empty() || text == "ERROR" {
                        value
                    } else {
                        text.to_owned()
                    });
                }
            }
            Event::Eof => {
                return open.map(|(text, value)| {
                    if text.trim().is_empty() {
                        value
                    } else {
                        text.trim().to_owned()
                    }
                });
            }
            _ => {}
        }
        buf.clear();
    }
}

enum Found {
    /// A `QUERY_STATUS=ERROR` INFO (message in its content, or else the value).
    Status(String),
    /// An SCS `Error` INFO/PARAM (message in `value`).
    Message(String),
}

fn error_element(e: &BytesStart<'_>) -> Option<Found> {
    let name = local(e.name().as_ref());
    if name != "INFO" && name != "PARAM" {
        return None;
    }
    let el = start_element(e).ok()?;
    let attr_name = el.attr("name").or_else(|| el.attr("ID"))?;
    let value = el.attr("value").unwrap_or("").to_owned();
    if name == "INFO" && attr_name == "QUERY_STATUS" && value.eq_ignore_ascii_case("ERROR") {
        return Some(Found::Status(value));
    }
    if attr_name == "Error" {
        return Some(Found::Message(value));
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaced_tree() {
        let doc = br#"<?xml version="1.0"?><uws:job xmlns:uws="u" xmlns:xlink="x"><uws:phase>ERROR</uws:phase>
            <uws:results><uws:result id="r" xlink:href="http://h/r?a=1&amp;b=2"/></uws:results>
            <uws:errorSummary><uws:message>bad &lt;thing&gt; &#65;</uws:message></uws:errorSummary></uws:job>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "job");
        assert_eq!(root.child_text("phase").as_deref(), Some("ERROR"));
        let r = root.child("results").unwrap().child("result").unwrap();
        assert_eq!(r.attr("href"), Some("http://h/r?a=1&b=2"));
        assert_eq!(
            root.child("errorSummary")
                .unwrap()
                .child_text("message")
                .as_deref(),
            Some("bad <thing> A")
        );
    }

    #[test]
    fn rejects_truncated_documents() {
        assert!(parse(b"<a><b>").is_err());
        assert!(parse(b"<a></b>").is_err());
    }

    #[test]
    fn error_documents() {
        let dachs = br#"<VOTABLE><RESOURCE type="results"><INFO name="QUERY_STATUS" value="ERROR">Could not parse your query: near 'FRM'</INFO></RESOURCE></VOTABLE>"#;
        assert_eq!(
            error_document_message(dachs).as_deref(),
            Some("Could not parse your query: near 'FRM'")
        );
        let empty =
            br#"<VOTABLE><RESOURCE><INFO name="QUERY_STATUS" value="ERROR"/></RESOURCE></VOTABLE>"#;
        assert_eq!(error_document_message(empty).as_deref(), Some("ERROR"));
        let scs = br#"<VOTABLE><DEFINITIONS><PARAM ID="Error" name="Error" datatype="char" value="Invalid data type: text/html"/></DEFINITIONS></VOTABLE>"#;
        assert_eq!(
            error_document_message(scs).as_deref(),
            Some("Invalid data type: text/html")
        );
        let ok = br#"<VOTABLE><RESOURCE><INFO name="QUERY_STATUS" value="OK"/><TABLE><DATA><TABLEDATA/></DATA></TABLE></RESOURCE></VOTABLE>"#;
        assert_eq!(error_document_message(ok), None);
        assert_eq!(error_document_message(b"Internal Server Error"), None);
        // Cut short inside the message.
        assert_eq!(
            error_document_message(
                br#"<VOTABLE><INFO name="QUERY_STATUS" value="ERROR">Field x does"#
            )
            .as_deref(),
            Some("Field x does")
        );
    }
}
