//! Salesforce field types as integration profiles name them, and parsing of the
//! `FieldDefinition.DataType` text Salesforce shows for a field.

/// The kind of a Salesforce field. Variant names are the Metadata API type names
/// (`CustomField.type`), which is also how profile files spell them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FieldType {
    Text,
    TextArea,
    LongTextArea,
    Html,
    Picklist,
    MultiselectPicklist,
    Checkbox,
    Number,
    Date,
    DateTime,
    Email,
    Phone,
    Url,
    Lookup,
}

impl FieldType {
    /// Every field type, in the order error messages list them.
    pub const ALL: [FieldType; 14] = [
        FieldType::Text,
        FieldType::TextArea,
        FieldType::LongTextArea,
        FieldType::Html,
        FieldType::Picklist,
        FieldType::MultiselectPicklist,
        FieldType::Checkbox,
        FieldType::Number,
        FieldType::Date,
        FieldType::DateTime,
        FieldType::Email,
        FieldType::Phone,
        FieldType::Url,
        FieldType::Lookup,
    ];

    /// Metadata API name ("LongTextArea").
    pub fn metadata_name(self) -> &'static str {
        match self {
            FieldType::Text => "Text",
            FieldType::TextArea => "TextArea",
            FieldType::LongTextArea => "LongTextArea",
            FieldType::Html => "Html",
            FieldType::Picklist => "Picklist",
            FieldType::MultiselectPicklist => "MultiselectPicklist",
            FieldType::Checkbox => "Checkbox",
            FieldType::Number => "Number",
            FieldType::Date => "Date",
            FieldType::DateTime => "DateTime",
            FieldType::Email => "Email",
            FieldType::Phone => "Phone",
            FieldType::Url => "Url",
            FieldType::Lookup => "Lookup",
        }
    }

    /// The name an admin knows from Setup ("Long Text Area").
    pub fn label(self) -> &'static str {
        match self {
            FieldType::Text => "Text",
            FieldType::TextArea => "Text Area",
            FieldType::LongTextArea => "Long Text Area",
            FieldType::Html => "Rich Text Area",
            FieldType::Picklist => "Picklist",
            FieldType::MultiselectPicklist => "Picklist (Multi-Select)",
            FieldType::Checkbox => "Checkbox",
            FieldType::Number => "Number",
            FieldType::Date => "Date",
            FieldType::DateTime => "Date/Time",
            FieldType::Email => "Email",
            FieldType::Phone => "Phone",
            FieldType::Url => "URL",
            FieldType::Lookup => "Lookup Relationship",
        }
    }

    /// Text kinds: they carry a length and take free text.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            FieldType::Text | FieldType::TextArea | FieldType::LongTextArea | FieldType::Html
        )
    }

    /// Picklist kinds: Salesforce may restrict them to their listed values.
    pub fn is_picklist(self) -> bool {
        matches!(self, FieldType::Picklist | FieldType::MultiselectPicklist)
    }

    /// The type a profile file names: the Metadata API name or the Setup label,
    /// case-insensitively ("LongTextArea", "Long Text Area", "longtextarea").
    pub fn from_name(name: &str) -> Option<FieldType> {
        let name = name.trim();
        FieldType::ALL.into_iter().find(|t| {
            t.metadata_name().eq_ignore_ascii_case(name) || t.label().eq_ignore_ascii_case(name)
        })
    }

    /// The valid names, for error messages: "Text, TextArea, LongTextArea, ...".
    pub fn names_list() -> String {
        FieldType::ALL
            .iter()
            .map(|t| t.metadata_name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// From a `FieldDefinition.DataType` text as Salesforce shows it: "Text(255)",
    /// "Long Text Area(32768)", "Rich Text Area(32768)", "Text Area(255)", "Picklist",
    /// "Picklist (Multi-Select)", "Checkbox", "Number(18, 0)", "Date", "Date/Time", "Email",
    /// "Phone", "URL(255)", "Lookup(User)", "Formula (Text)" ...
    ///
    /// Returns (type, length if shown, is_formula). Qualifiers such as "(External ID)" or
    /// "(Unique Case Insensitive)" are ignored; Currency and Percent count as Number; Master-Detail
    /// and Hierarchy count as Lookup; roll-up summaries are reported as a computed Number.
    /// Types the profile model has no name for (Auto Number, Geolocation, Time ...) give `None`.
    pub fn from_data_type(text: &str) -> Option<(FieldType, Option<u32>, bool)> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("formula") {
            let inner = rest.trim_start().strip_prefix('(')?;
            let inner = inner.trim_end().strip_suffix(')')?;
            let (kind, length, _) = FieldType::from_data_type(inner)?;
            return Some((kind, length, true));
        }
        if lower.starts_with("roll-up summary") {
            return Some((FieldType::Number, None, true));
        }
        if lower.starts_with("picklist (multi-select)")
            || lower.starts_with("multi-select picklist")
        {
            return Some((FieldType::MultiselectPicklist, None, false));
        }
        // Qualifiers follow a space: "Text(255) (External ID) (Unique Case Insensitive)".
        let head = match lower.find(" (") {
            Some(i) => &lower[..i],
            None => lower.as_str(),
        };
        let (name, args) = match head.find('(') {
            Some(i) => {
                let args = head[i + 1..].strip_suffix(')')?;
                (head[..i].trim(), Some(args))
            }
            None => (head.trim(), None),
        };
        let kind = match name {
            "text" => FieldType::Text,
            "text area" => FieldType::TextArea,
            "long text area" => FieldType::LongTextArea,
            "rich text area" => FieldType::Html,
            "picklist" => FieldType::Picklist,
            "checkbox" => FieldType::Checkbox,
            "number" | "currency" | "percent" => FieldType::Number,
            "date" => FieldType::Date,
            "date/time" => FieldType::DateTime,
            "email" => FieldType::Email,
            "phone" => FieldType::Phone,
            "url" => FieldType::Url,
            "lookup" | "master-detail" | "hierarchy" | "external lookup" | "indirect lookup" => {
                FieldType::Lookup
            }
            _ => return None,
        };
        let length = match (kind, args) {
            (
                FieldType::Text
                | FieldType::TextArea
                | FieldType::LongTextArea
                | FieldType::Html
                | FieldType::Url,
                Some(args),
            ) => Some(args.trim().parse::<u32>().ok()?),
            _ => None,
        };
        Some((kind, length, false))
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.metadata_name())
    }
}
