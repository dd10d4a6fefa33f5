//! XML text for the writer: escaping, attributes and ID values.

/// Escapes text for XML 1.0 element content or attribute values. Characters XML 1.0
/// cannot represent at all become U+FFFD.
pub(super) fn escape_into(out: &mut Vec<u8>, s: &str, attribute: bool) {
    let bytes = s.as_bytes();
    let needs = bytes
        .iter()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'"' | b'\r') || *b < 0x20 || *b == 0xEF);
    if !needs {
        out.extend_from_slice(bytes);
        return;
    }
    for c in s.chars() {
        match c {
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '&' => out.extend_from_slice(b"&amp;"),
            '"' if attribute => out.extend_from_slice(b"&quot;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            '\n' if attribute => out.extend_from_slice(b"&#xA;"),
            '\t' if attribute => out.extend_from_slice(b"&#x9;"),
            '\t' | '\n' => out.push(c as u8),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.extend_from_slice("\u{FFFD}".as_bytes());
            }
            c => {
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}

/// Appends ` name="value"`, the value escaped.
pub(super) fn attr(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    escape_into(out, value, true);
    out.push(b'"');
}

/// Whether `s` can be an XML `ID`: a letter or `_`, then letters, digits, `_`, `-` or `.`
/// (an ID from the metadata that is not is left out rather than making the document invalid).
pub(super) fn is_xml_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
