//! Just enough XML and RDF to compare two XMP packets by what they say, not how they are
//! written: pyHanko, for one, rewrites the whole packet in another serialisation (properties as
//! attributes, structures as nested `rdf:Description`) when it only changes the modify date.
//!
//! A packet becomes a flat map from property paths to values: `dc:title[x-default]`,
//! `dc:creator[1]`, `xmpMM:History[2]/stEvt:action`. Well-known namespaces get their usual
//! prefix (whatever prefix the packet used), others are written as `{uri}name`. DTDs, unknown
//! entities and unbalanced tags are errors: a packet that cannot be read is compared by bytes.

use std::collections::BTreeMap;

/// Property path → value.
pub(crate) type Properties = BTreeMap<String, String>;

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const XML: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS: &str = "http://www.w3.org/2000/xmlns/";
/// Deeper nesting than this is not XMP.
const MAX_DEPTH: usize = 128;

const PREFIXES: &[(&str, &str)] = &[
    ("http://purl.org/dc/elements/1.1/", "dc"),
    ("http://ns.adobe.com/xap/1.0/", "xmp"),
    ("http://ns.adobe.com/xap/1.0/mm/", "xmpMM"),
    ("http://ns.adobe.com/xap/1.0/rights/", "xmpRights"),
    ("http://ns.adobe.com/xap/1.0/t/pg/", "xmpTPg"),
    ("http://ns.adobe.com/xap/1.0/sType/ResourceEvent#", "stEvt"),
    ("http://ns.adobe.com/xap/1.0/sType/ResourceRef#", "stRef"),
    ("http://ns.adobe.com/pdf/1.3/", "pdf"),
    ("http://ns.adobe.com/pdfx/1.3/", "pdfx"),
    ("http://ns.adobe.com/photoshop/1.0/", "photoshop"),
    ("http://www.aiim.org/pdfa/ns/id/", "pdfaid"),
    ("http://www.aiim.org/pdfa/ns/extension/", "pdfaExtension"),
    ("http://www.aiim.org/pdfa/ns/schema#", "pdfaSchema"),
    ("http://www.aiim.org/pdfa/ns/property#", "pdfaProperty"),
    ("http://www.aiim.org/pdfa/ns/type#", "pdfaType"),
    ("http://www.aiim.org/pdfa/ns/field#", "pdfaField"),
    ("http://www.aiim.org/pdfua/ns/id/", "pdfuaid"),
    (XML, "xml"),
];

/// The properties of an XMP packet.
pub(crate) fn properties(packet: &[u8]) -> Result<Properties, String> {
    let text = std::str::from_utf8(packet).map_err(|_| "it is not UTF-8".to_string())?;
    let root = parse(text.strip_prefix('\u{feff}').unwrap_or(text))?;
    let rdf = find(&root, RDF, "RDF").ok_or("it has no rdf:RDF")?;
    let mut out = Properties::new();
    for node in rdf.elements() {
        node_properties(node, "", &mut out);
    }
    Ok(out)
}

/// What differs between `old` and `new`, except the top-level properties in `ignored`, in
/// words: `dc:title[x-default]: "a" → "b"`, `adds pdf:Subject "c"`, `removes …`.
pub(crate) fn differences(old: &Properties, new: &Properties, ignored: &[&str]) -> Vec<String> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !ignored.contains(&k.as_str()))
        .filter_map(|k| match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) if a == b => None,
            (Some(a), Some(b)) => Some(format!("{k}: {} → {}", quoted(a), quoted(b))),
            (None, Some(b)) => Some(format!("adds {k} {}", quoted(b))),
            (Some(a), None) => Some(format!("removes {k} {}", quoted(a))),
            (None, None) => None,
        })
        .collect()
}

/// `"value"`, shortened to 80 characters, on one line.
pub(crate) fn quoted(value: &str) -> String {
    let one_line: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > 80 {
        let short: String = one_line.chars().take(79).collect();
        format!("\"{short}…\"")
    } else {
        format!("\"{one_line}\"")
    }
}

/// A namespace URI and a local name.
#[derive(Debug, Clone, PartialEq)]
struct Name {
    ns: String,
    local: String,
}

impl Name {
    fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    fn display(&self) -> String {
        match PREFIXES.iter().find(|(uri, _)| *uri == self.ns) {
            Some((_, prefix)) => format!("{prefix}:{}", self.local),
            None if self.ns.is_empty() => self.local.clone(),
            None => format!("{{{}}}{}", self.ns, self.local),
        }
    }
}

#[derive(Debug)]
struct Element {
    name: Name,
    attributes: Vec<(Name, String)>,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    fn attribute(&self, ns: &str, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n.is(ns, local))
            .map(|(_, v)| v.as_str())
    }
}

fn find<'a>(e: &'a Element, ns: &str, local: &str) -> Option<&'a Element> {
    if e.name.is(ns, local) {
        return Some(e);
    }
    e.elements().find_map(|c| find(c, ns, local))
}

/// The properties of a node element (`rdf:Description` or the like): its attributes and its
/// property elements, under `prefix`.
fn node_properties(node: &Element, prefix: &str, out: &mut Properties) {
    for (name, value) in &node.attributes {
        if name.ns != RDF && name.ns != XML {
            out.insert(format!("{prefix}{}", name.display()), value.clone());
        }
    }
    for child in node.elements() {
        property(child, &format!("{prefix}{}", child.name.display()), out);
    }
}

/// One property element under `key`.
fn property(e: &Element, key: &str, out: &mut Properties) {
    if let Some(lang) = e.attribute(XML, "lang") {
        out.insert(format!("{key}@xml:lang"), lang.to_string());
    }
    property_value(e, key, out);
}

fn property_value(e: &Element, key: &str, out: &mut Properties) {
    if let Some(uri) = e.attribute(RDF, "resource") {
        out.insert(key.to_string(), uri.to_string());
        return;
    }
    match e.attribute(RDF, "parseType") {
        Some("Resource") => return node_properties_of_children(e, key, out),
        Some(_) => {
            out.insert(key.to_string(), e.text());
            return;
        }
        None => {}
    }
    let children: Vec<&Element> = e.elements().collect();
    match children[..] {
        [] => {
            let fields = e.attributes.iter().any(|(n, _)| n.ns != RDF && n.ns != XML);
            if fields {
                node_properties(e, &format!("{key}/"), out);
            } else {
                out.insert(key.to_string(), e.text());
            }
        }
        [array]
            if array.name.ns == RDF
                && matches!(array.name.local.as_str(), "Alt" | "Seq" | "Bag") =>
        {
            let items: Vec<&Element> = array.elements().collect();
            if items.is_empty() {
                out.insert(key.to_string(), String::new());
            }
            for (i, item) in items.into_iter().enumerate() {
                match (array.name.local.as_str(), item.attribute(XML, "lang")) {
                    ("Alt", Some(lang)) => property_value(item, &format!("{key}[{lang}]"), out),
                    _ => property(item, &format!("{key}[{}]", i + 1), out),
                }
            }
        }
        [node] if node.name.is(RDF, "Description") => {
            node_properties(node, &format!("{key}/"), out)
        }
        _ => node_properties_of_children(e, key, out),
    }
}

/// A structure written as property elements directly inside `e`.
fn node_properties_of_children(e: &Element, key: &str, out: &mut Properties) {
    let before = out.len();
    for child in e.elements() {
        property(child, &format!("{key}/{}", child.name.display()), out);
    }
    if out.len() == before {
        out.insert(key.to_string(), String::new());
    }
}

/// Parses `text` into a synthetic root element that holds the top-level elements.
fn parse(text: &str) -> Result<Element, String> {
    struct Open {
        element: Element,
        raw_name: String,
        scope: usize,
    }
    let mut namespaces: Vec<(String, String)> =
        vec![("xml".into(), XML.into()), ("xmlns".into(), XMLNS.into())];
    let mut stack: Vec<Open> = vec![Open {
        element: Element {
            name: Name {
                ns: String::new(),
                local: String::new(),
            },
            attributes: Vec::new(),
            children: Vec::new(),
        },
        raw_name: String::new(),
        scope: namespaces.len(),
    }];
    let mut rest = text;
    let until = |rest: &str, end: &str, what: &str| -> Result<usize, String> {
        rest.find(end).ok_or_else(|| format!("unterminated {what}"))
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[until(r, "?>", "processing instruction")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[until(r, "-->", "comment")? + 3..];
        } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = until(r, "]]>", "CDATA section")?;
            push_text(&mut stack.last_mut().expect("root").element, &r[..end]);
            rest = &r[end + 3..];
        } else if rest.starts_with("<!") {
            return Err("it has a document type declaration".into());
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = until(r, ">", "end tag")?;
            let name = r[..end].trim();
            rest = &r[end + 1..];
            if stack.len() < 2 {
                return Err(format!("</{name}> closes nothing"));
            }
            let open = stack.pop().expect("checked");
            if open.raw_name != name {
                return Err(format!("<{}> is closed by </{name}>", open.raw_name));
            }
            namespaces.truncate(open.scope);
            let parent = &mut stack.last_mut().expect("root").element;
            parent.children.push(Node::Element(open.element));
        } else if let Some(r) = rest.strip_prefix('<') {
            let (raw_name, raw_attributes, self_closing, after) = start_tag(r)?;
            rest = after;
            let scope = namespaces.len();
            for (name, value) in &raw_attributes {
                if name == "xmlns" {
                    namespaces.push((String::new(), value.clone()));
                } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                    namespaces.push((prefix.to_string(), value.clone()));
                }
            }
            let resolve = |raw: &str, default: bool| -> Result<Name, String> {
                let (prefix, local) = match raw.split_once(':') {
                    Some((p, l)) => (p, l),
                    None if !default => {
                        return Ok(Name {
                            ns: String::new(),
                            local: raw.to_string(),
                        });
                    }
                    None => ("", raw),
                };
                let ns = namespaces
                    .iter()
                    .rev()
                    .find(|(p, _)| p == prefix)
                    .map(|(_, uri)| uri.clone());
                match ns {
                    Some(ns) => Ok(Name {
                        ns,
                        local: local.to_string(),
                    }),
                    None if prefix.is_empty() => Ok(Name {
                        ns: String::new(),
                        local: local.to_string(),
                    }),
                    None => Err(format!("the prefix {prefix}: is not declared")),
                }
            };
            let mut attributes = Vec::new();
            for (name, value) in &raw_attributes {
                if name != "xmlns" && !name.starts_with("xmlns:") {
                    attributes.push((resolve(name, false)?, value.clone()));
                }
            }
            let element = Element {
                name: resolve(&raw_name, true)?,
                attributes,
                children: Vec::new(),
            };
            if self_closing {
                namespaces.truncate(scope);
                let parent = &mut stack.last_mut().expect("root").element;
                parent.children.push(Node::Element(element));
            } else {
                if stack.len() > MAX_DEPTH {
                    return Err("it is nested too deeply".into());
                }
                stack.push(Open {
                    element,
                    raw_name,
                    scope,
                });
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = unescape(&rest[..end])?;
            push_text(&mut stack.last_mut().expect("root").element, &text);
            rest = &rest[end..];
        }
    }
    if stack.len() != 1 {
        let open = stack.last().expect("not empty");
        return Err(format!("<{}> is not closed", open.raw_name));
    }
    Ok(stack.pop().expect("root").element)
}

fn push_text(e: &mut Element, text: &str) {
    if let Some(Node::Text(t)) = e.children.last_mut() {
        t.push_str(text);
    } else {
        e.children.push(Node::Text(text.to_string()));
    }
}

type StartTag<'a> = (String, Vec<(String, String)>, bool, &'a str);

/// Reads a start tag after its `<`: name, attributes, self-closing, the rest of the input.
fn start_tag(input: &str) -> Result<StartTag<'_>, String> {
    let is_end = |c: char| c.is_whitespace() || c == '/' || c == '>';
    let name_end = input.find(is_end).ok_or("unterminated start tag")?;
    let name = &input[..name_end];
    if name.is_empty() {
        return Err("a tag has no name".into());
    }
    let mut rest = &input[name_end..];
    let mut attributes = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("/>") {
            return Ok((name.to_string(), attributes, true, r));
        }
        if let Some(r) = rest.strip_prefix('>') {
            return Ok((name.to_string(), attributes, false, r));
        }
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("<{name}> is malformed"))?;
        let attribute = rest[..eq].trim();
        if attribute.is_empty() || attribute.contains(|c: char| c.is_whitespace() || c == '>') {
            return Err(format!("<{name}> is malformed"));
        }
        let r = rest[eq + 1..].trim_start();
        let quote = r.chars().next().filter(|q| *q == '"' || *q == '\'');
        let quote = quote.ok_or_else(|| format!("an attribute of <{name}> is not quoted"))?;
        let r = &r[1..];
        let end = r
            .find(quote)
            .ok_or_else(|| format!("an attribute of <{name}> is not closed"))?;
        if attributes
            .iter()
            .any(|(a, _): &(String, String)| a == attribute)
        {
            return Err(format!("<{name}> has the attribute {attribute} twice"));
        }
        attributes.push((attribute.to_string(), unescape(&r[..end])?));
        rest = &r[end + 1..];
    }
}

/// Replaces the five predefined entities and character references.
fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let r = &rest[at + 1..];
        let end = r.find(';').ok_or("an entity is not terminated")?;
        let entity = &r[..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity &{entity};"))?
            }
        };
        out.push(c);
        rest = &r[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As xmp-writer (Typst) writes it: property elements, `rdf:parseType="Resource"`.
    const TYPST: &str = r#"<?xpacket begin="﻿" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="xmp-writer"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Integrationskonzept f&#252;r die Stadt Hagen</rdf:li></rdf:Alt></dc:title><dc:creator><rdf:Seq><rdf:li>Stadt Hagen</rdf:li></rdf:Seq></dc:creator><xmp:ModifyDate>2012-04-25T00:00:00Z</xmp:ModifyDate><xmpMM:History><rdf:Seq><rdf:li rdf:parseType="Resource"><stEvt:action>saved</stEvt:action><stEvt:when>2012-04-25T00:00:00Z</stEvt:when></rdf:li></rdf:Seq></xmpMM:History><xmpMM:InstanceID>abc</xmpMM:InstanceID><pdf:PDFVersion>1.7</pdf:PDFVersion></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="r"?>"#;

    /// The same as pyHanko 0.38 rewrites it when it co-signs: attributes, nested descriptions,
    /// other prefixes, a new modify date and producer.
    const PYHANKO: &str = r#"<?xpacket begin="ï»¿" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="pyHanko 0.38.0">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:ns4="http://ns.adobe.com/xap/1.0/mm/" xmp:ModifyDate="2026-03-01T10:26:15+00:00" ns4:InstanceID="abc" pdf:PDFVersion="1.7" rdf:about="" pdf:Producer="pyHanko 0.38.0"><dc:title xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Alt><rdf:li xml:lang="x-default">Integrationskonzept für die Stadt Hagen</rdf:li></rdf:Alt></dc:title><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Seq><rdf:li>Stadt Hagen</rdf:li></rdf:Seq></dc:creator><ns0:History xmlns:ns0="http://ns.adobe.com/xap/1.0/mm/"><rdf:Seq><rdf:li><rdf:Description xmlns:ns1="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#" ns1:action="saved" ns1:when="2012-04-25T00:00:00Z"/></rdf:li></rdf:Seq></ns0:History></rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"#;

    const IGNORED: &[&str] = &["xmp:ModifyDate", "pdf:Producer"];

    #[test]
    fn two_serialisations_of_the_same_packet_are_equal() {
        let typst = properties(TYPST.as_bytes()).unwrap();
        assert_eq!(
            typst["dc:title[x-default]"],
            "Integrationskonzept für die Stadt Hagen"
        );
        assert_eq!(typst["xmpMM:History[1]/stEvt:action"], "saved");
        let pyhanko = properties(PYHANKO.as_bytes()).unwrap();
        assert_eq!(differences(&typst, &pyhanko, IGNORED), Vec::<String>::new());
        assert_eq!(
            differences(&typst, &pyhanko, &[]),
            [
                "adds pdf:Producer \"pyHanko 0.38.0\"",
                "xmp:ModifyDate: \"2012-04-25T00:00:00Z\" → \"2026-03-01T10:26:15+00:00\""
            ]
        );
    }

    #[test]
    fn changed_properties_are_named() {
        let old = properties(TYPST.as_bytes()).unwrap();
        let forged = TYPST
            .replace("Integrationskonzept f&#252;r", "Abgelehnt:")
            .replace(
                "<rdf:li>Stadt Hagen</rdf:li>",
                "<rdf:li>Stadt Hagen</rdf:li><rdf:li>X</rdf:li>",
            )
            .replace("saved", "created");
        let new = properties(forged.as_bytes()).unwrap();
        assert_eq!(
            differences(&old, &new, IGNORED),
            [
                "adds dc:creator[2] \"X\"",
                "dc:title[x-default]: \"Integrationskonzept für die Stadt Hagen\" → \"Abgelehnt: die Stadt Hagen\"",
                "xmpMM:History[1]/stEvt:action: \"saved\" → \"created\"",
            ]
        );
    }

    #[test]
    fn what_is_not_xml_is_an_error() {
        for bad in [
            "<x:a xmlns:x='u'><x:b></x:a>",
            "<a>&nbsp;</a>",
            "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
            "<y:a/>",
            "<a b=c/>",
            "<a><b></b>",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(properties(b"<a/>").unwrap_err().contains("rdf:RDF"));
        assert!(properties(&[0xff, 0xfe]).is_err());
    }
}
