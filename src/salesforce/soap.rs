//! Metadata API SOAP: request envelopes (escaped), and response parsing by local element names
//! with quick-xml.

use super::SfError;
pub(crate) use crate::xml::{parse, Node};
use quick_xml::escape::escape;
use std::collections::BTreeMap;

/// One component from `listMetadata`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataListing {
    pub type_name: String,
    pub full_name: String,
    pub id: String,
    pub namespace_prefix: Option<String>,
    pub last_modified: Option<String>,
}

/// A Metadata API record flattened: dotted paths of element names -> text values in document
/// order, e.g. "fullName" -> ["Enterpret_Connector"], "oauthConfig.scopes" -> ["Api","RefreshToken"].
/// An empty record (unknown fullName) has no "fullName" key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataRecord {
    pub type_name: String,
    pub values: BTreeMap<String, Vec<String>>,
}

impl MetadataRecord {
    /// The first value at `path`.
    pub fn first(&self, path: &str) -> Option<&str> {
        self.values
            .get(path)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// Every value at `path` (empty when absent).
    pub fn all(&self, path: &str) -> &[String] {
        self.values.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// False for the empty record Salesforce returns for an unknown fullName.
    pub fn exists(&self) -> bool {
        self.values.contains_key("fullName")
    }
}

fn envelope(session_id: &str, body: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" "#,
            r#"xmlns:met="http://soap.sforce.com/2006/04/metadata">"#,
            "<soapenv:Header>",
            "<met:CallOptions><met:client>writeback-setup</met:client></met:CallOptions>",
            "<met:SessionHeader><met:sessionId>{}</met:sessionId></met:SessionHeader>",
            "</soapenv:Header><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>"
        ),
        escape(session_id),
        body
    )
}

/// The body of a `listMetadata` call (the session id is added by [`with_session`]).
pub(crate) fn list_body(types: &[&str], api_version: &str) -> String {
    let mut body = String::from("<met:listMetadata>");
    for kind in types {
        body.push_str("<met:queries><met:type>");
        body.push_str(&escape(*kind));
        body.push_str("</met:type></met:queries>");
    }
    body.push_str("<met:asOfVersion>");
    body.push_str(&escape(api_version));
    body.push_str("</met:asOfVersion></met:listMetadata>");
    body
}

pub(crate) fn read_body(type_name: &str, full_names: &[String]) -> String {
    let mut body = String::from("<met:readMetadata><met:type>");
    body.push_str(&escape(type_name));
    body.push_str("</met:type>");
    for name in full_names {
        body.push_str("<met:fullNames>");
        body.push_str(&escape(name.as_str()));
        body.push_str("</met:fullNames>");
    }
    body.push_str("</met:readMetadata>");
    body
}

/// The whole envelope for one attempt (the token may change after a refresh).
pub(crate) fn with_session(session_id: &str, body: &str) -> String {
    envelope(session_id, body)
}

// ---------------------------------------------------------------------------------------------

/// The SOAP fault of a response document, if it is one.
pub(crate) fn fault(root: &Node) -> Option<SfError> {
    let fault = root.descendant("Fault")?;
    let code = fault.child_text("faultcode").unwrap_or_default();
    let code = code.rsplit(':').next().unwrap_or_default().to_string();
    Some(SfError::SoapFault {
        code,
        message: fault.child_text("faultstring").unwrap_or_default(),
    })
}

fn response_element<'a>(root: &'a Node, operation: &str) -> Result<&'a Node, SfError> {
    let decode = |message: String| SfError::Decode {
        what: format!("{operation} response"),
        message,
    };
    if root.name != "Envelope" {
        return Err(decode(format!(
            "expected a SOAP Envelope, found <{}>",
            root.name
        )));
    }
    root.child("Body")
        .and_then(|b| b.child(operation))
        .ok_or_else(|| decode(format!("no <{operation}> in the SOAP Body")))
}

pub(crate) fn parse_list(root: &Node) -> Result<Vec<MetadataListing>, SfError> {
    let response = response_element(root, "listMetadataResponse")?;
    // An org with no such component answers an empty listMetadataResponse. Anything else that is
    // not a complete listing is an answer this cannot read, never "there is none".
    let malformed = |message: String| SfError::Decode {
        what: "listMetadataResponse".into(),
        message,
    };
    let mut listings = Vec::new();
    for child in &response.children {
        if child.name != "result" {
            return Err(malformed(format!(
                "unexpected <{}> in the listing",
                crate::echo::quoted(&child.name)
            )));
        }
        let non_empty = |name: &str| child.child_text(name).filter(|t| !t.is_empty());
        let (Some(type_name), Some(full_name)) = (non_empty("type"), non_empty("fullName")) else {
            return Err(malformed(
                "a listed component has no type or fullName".into(),
            ));
        };
        listings.push(MetadataListing {
            type_name,
            full_name,
            id: child.child_text("id").unwrap_or_default(),
            namespace_prefix: non_empty("namespacePrefix"),
            last_modified: non_empty("lastModifiedDate"),
        });
    }
    Ok(listings)
}

pub(crate) fn parse_read(root: &Node, type_name: &str) -> Result<Vec<MetadataRecord>, SfError> {
    let response = response_element(root, "readMetadataResponse")?;
    let mut records = Vec::new();
    for result in response.children.iter().filter(|c| c.name == "result") {
        for node in result.children.iter().filter(|c| c.name == "records") {
            let mut record = MetadataRecord {
                type_name: type_name.to_string(),
                values: BTreeMap::new(),
            };
            for child in &node.children {
                flatten(child, "", &mut record.values);
            }
            records.push(record);
        }
    }
    Ok(records)
}

fn flatten(node: &Node, prefix: &str, out: &mut BTreeMap<String, Vec<String>>) {
    let path = if prefix.is_empty() {
        node.name.clone()
    } else {
        format!("{prefix}.{}", node.name)
    };
    if node.children.is_empty() {
        out.entry(path)
            .or_default()
            .push(node.text.trim().to_string());
    } else {
        for child in &node.children {
            flatten(child, &path, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_escapes() {
        let xml = with_session("a<b&c", &read_body("Connected<App", &["x&y".to_string()]));
        assert!(xml.contains("<met:sessionId>a&lt;b&amp;c</met:sessionId>"));
        assert!(xml.contains("Connected&lt;App"));
        assert!(xml.contains("<met:fullNames>x&amp;y</met:fullNames>"));
        assert!(parse(&xml).is_ok());
    }

    #[test]
    fn flattens_records() {
        let xml = r#"<soapenv:Envelope xmlns:soapenv="s" xmlns="m" xmlns:xsi="x"><soapenv:Body>
            <readMetadataResponse><result>
              <records xsi:type="ConnectedApp"><fullName>A</fullName>
                <oauthConfig><scopes>Api</scopes><scopes>RefreshToken</scopes></oauthConfig>
                <permissionSetName>P &amp; Q</permissionSetName></records>
              <records xsi:type="ConnectedApp"/>
            </result></readMetadataResponse></soapenv:Body></soapenv:Envelope>"#;
        let root = parse(xml).expect("parses");
        let records = parse_read(&root, "ConnectedApp").expect("read");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].first("fullName"), Some("A"));
        assert_eq!(
            records[0].all("oauthConfig.scopes"),
            ["Api", "RefreshToken"]
        );
        assert_eq!(records[0].first("permissionSetName"), Some("P & Q"));
        assert!(!records[1].exists());
    }

    #[test]
    fn faults_lose_prefix() {
        let xml = r#"<e:Envelope xmlns:e="s"><e:Body><e:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode>
            <faultstring>INVALID_SESSION_ID: Illegal Session</faultstring></e:Fault></e:Body></e:Envelope>"#;
        let root = parse(xml).expect("parses");
        assert_eq!(
            fault(&root),
            Some(SfError::SoapFault {
                code: "INVALID_SESSION_ID".into(),
                message: "INVALID_SESSION_ID: Illegal Session".into()
            })
        );
    }
}
