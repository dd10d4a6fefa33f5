//! VOSI `/availability`.

use url::Url;

use super::fetch::fetch_doc;
use crate::error::Result;
use crate::http::HttpClient;
use crate::xml::Element;

/// What a service says about its availability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// Whether the service accepts requests.
    pub available: bool,
    /// `upSince` (ISO 8601, verbatim).
    pub up_since: Option<String>,
    /// `downAt`.
    pub down_at: Option<String>,
    /// `backAt`.
    pub back_at: Option<String>,
    /// `note`s.
    pub notes: Vec<String>,
}

/// Interprets an availability document.
pub fn parse(doc: &[u8]) -> std::result::Result<Availability, String> {
    from_element(&crate::xml::parse(doc)?)
}

pub(crate) fn from_element(root: &Element) -> std::result::Result<Availability, String> {
    if root.name != "availability" {
        return Err(format!(
            "expected a VOSI availability document, found <{}>",
            root.name
        ));
    }
    let available = root
        .child_text("available")
        .ok_or("availability document without <available>")?;
    let available = match available.as_str() {
        "true" | "1" => true,
        "false" | "0" => false,
        other => return Err(format!("<available> is {other:?}, not a boolean")),
    };
    Ok(Availability {
        available,
        up_since: root.child_text("upSince"),
        down_at: root.child_text("downAt"),
        back_at: root.child_text("backAt"),
        notes: root
            .children_named("note")
            .map(|n| n.text.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect(),
    })
}

pub(crate) async fn fetch(http: &HttpClient, service: &str, url: Url) -> Result<Availability> {
    fetch_doc(http, service, url, from_element).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let doc = br#"<avl:availability xmlns:avl="x"><avl:available>true</avl:available><avl:note>foo</avl:note><avl:note>bar</avl:note></avl:availability>"#;
        let a = parse(doc).unwrap();
        assert!(a.available);
        assert_eq!(a.notes, vec!["foo", "bar"]);
        let bad = br#"<availability><available>maybe</available></availability>"#;
        assert!(parse(bad).is_err());
    }
}
