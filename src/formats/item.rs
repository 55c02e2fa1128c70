//! publisher_v2 content items, and their validation against GOV.UK's schemas (bundled from
//! publishing-api's content_schemas, draft-04).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

use super::Choice;
use crate::govspeak::Header;

/// A file attachment of a content item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The id Govspeak refers to (`[Attachment: id]`): the file name, as Whitehall uses it.
    pub id: String,
    pub title: String,
    /// Where the file is now (the legacy URL); it is uploaded to Asset Manager on import.
    pub url: String,
    pub content_type: String,
    pub file_size: Option<u64>,
}

/// Everything a content item is built from.
pub struct ItemInput<'a> {
    pub choice: &'a Choice,
    pub base_path: &'a str,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub locale: &'a str,
    pub body_html: &'a str,
    pub headers: &'a [Header],
    pub first_published_at: Option<String>,
    pub public_updated_at: Option<String>,
    pub attachments: &'a [Attachment],
    pub organisation_id: &'a str,
    /// content_ids of the migrated pages this page links to (for collections).
    pub collection_documents: &'a [String],
}

/// The formats whose `details` take `headers`, and `attachments`.
fn takes_headers(schema: &str) -> bool {
    matches!(
        schema,
        "detailed_guide"
            | "statistical_data_set"
            | "document_collection"
            | "corporate_information_page"
    )
}

/// Builds the publisher_v2 payload (keys sorted, so output is stable).
pub fn build(input: &ItemInput<'_>) -> Value {
    let schema = input.choice.schema_name.as_str();
    let mut details = serde_json::Map::new();
    let body = format!(
        "<div class=\"govspeak\">{}</div>",
        input.body_html.trim_end()
    );
    if schema == "corporate_information_page" {
        details.insert("organisation".into(), json!(input.organisation_id));
    } else {
        details.insert("political".into(), json!(false));
    }
    if schema == "document_collection" {
        details.insert("body".into(), json!(body));
        let group = json!({ "title": "Documents", "documents": input.collection_documents });
        details.insert("collection_groups".into(), json!([group]));
    } else {
        details.insert("body".into(), json!(body));
    }
    if takes_headers(schema) && !input.headers.is_empty() {
        details.insert("headers".into(), nest_headers(input.headers));
    }
    if !input.attachments.is_empty() && schema != "document_collection" {
        let attachments: Vec<Value> = input
            .attachments
            .iter()
            .map(|a| {
                let mut v = json!({
                    "attachment_type": "file",
                    "id": a.id,
                    "url": a.url,
                    "content_type": a.content_type,
                    "title": a.title,
                });
                if schema == "publication" || schema == "consultation" {
                    v["filename"] = json!(a.id);
                    if let Some(size) = a.file_size {
                        v["file_size"] = json!(size);
                    }
                }
                v
            })
            .collect();
        details.insert("attachments".into(), Value::Array(attachments));
        if schema == "publication" || schema == "consultation" {
            let ids: Vec<&str> = input.attachments.iter().map(|a| a.id.as_str()).collect();
            details.insert("featured_attachments".into(), json!(ids));
        }
    }
    if let Some(first) = &input.first_published_at
        && schema != "corporate_information_page"
    {
        details.insert("first_public_at".into(), json!(first));
    }
    if schema != "corporate_information_page" || input.first_published_at.is_some() {
        let timestamp = input
            .public_updated_at
            .clone()
            .or_else(|| input.first_published_at.clone());
        if let Some(timestamp) = timestamp {
            details.insert(
                "change_history".into(),
                json!([{ "public_timestamp": timestamp, "note": "First published." }]),
            );
        }
    }
    let mut item = json!({
        "base_path": input.base_path,
        "title": input.title,
        "description": input.description,
        "schema_name": schema,
        "document_type": input.choice.document_type,
        "publishing_app": "whitehall",
        "rendering_app": "frontend",
        "locale": input.locale,
        "update_type": "major",
        "routes": [{ "path": input.base_path, "type": "exact" }],
        "redirects": [],
        "details": Value::Object(details),
        "links": {
            "organisations": [input.organisation_id],
            "primary_publishing_organisation": [input.organisation_id],
        },
    });
    if let Some(first) = &input.first_published_at {
        item["first_published_at"] = json!(first);
    }
    if let Some(updated) = &input.public_updated_at {
        item["public_updated_at"] = json!(updated);
    }
    item
}

/// `details.headers`: level-3 headings nest under the level 2 before them, and so on.
fn nest_headers(headers: &[Header]) -> Value {
    fn take(headers: &[Header], i: &mut usize, level: u8) -> Vec<Value> {
        let mut out = Vec::new();
        while *i < headers.len() && headers[*i].level >= level {
            let h = &headers[*i];
            *i += 1;
            let mut v = json!({ "text": h.text, "level": h.level, "id": h.id });
            let children = take(headers, i, h.level + 1);
            if !children.is_empty() {
                v["headers"] = Value::Array(children);
            }
            out.push(v);
        }
        out
    }
    let min = headers.iter().map(|h| h.level).min().unwrap_or(2);
    let mut i = 0;
    let mut all = Vec::new();
    while i < headers.len() {
        let before = i;
        all.extend(take(headers, &mut i, min));
        if i == before {
            i += 1;
        }
    }
    Value::Array(all)
}

/// The bundled publisher_v2 schema for a format.
fn schema_text(schema: &str) -> Option<&'static str> {
    Some(match schema {
        "case_study" => {
            include_str!("../../fixtures/content-schemas/case_study/publisher_v2.schema.json")
        }
        "consultation" => {
            include_str!("../../fixtures/content-schemas/consultation/publisher_v2.schema.json")
        }
        "corporate_information_page" => {
            include_str!(
                "../../fixtures/content-schemas/corporate_information_page/publisher_v2.schema.json"
            )
        }
        "detailed_guide" => {
            include_str!("../../fixtures/content-schemas/detailed_guide/publisher_v2.schema.json")
        }
        "document_collection" => {
            include_str!(
                "../../fixtures/content-schemas/document_collection/publisher_v2.schema.json"
            )
        }
        "news_article" => {
            include_str!("../../fixtures/content-schemas/news_article/publisher_v2.schema.json")
        }
        "publication" => {
            include_str!("../../fixtures/content-schemas/publication/publisher_v2.schema.json")
        }
        "statistical_data_set" => {
            include_str!(
                "../../fixtures/content-schemas/statistical_data_set/publisher_v2.schema.json"
            )
        }
        _ => return None,
    })
}

/// GOV.UK writes `format: uri` on relative references too: accept any URI reference
/// without spaces.
fn lenient_uri(value: &str) -> bool {
    !value.is_empty() && !value.contains(char::is_whitespace)
}

/// The bundled schemas, parsed once for both the validators and the document types.
fn schemas() -> &'static HashMap<&'static str, Value> {
    static SCHEMAS: OnceLock<HashMap<&'static str, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        super::SCHEMAS
            .iter()
            .filter_map(|name| {
                let schema = serde_json::from_str(schema_text(name)?);
                Some((*name, schema.expect("bundled schemas are JSON")))
            })
            .collect()
    })
}

fn validators() -> &'static HashMap<&'static str, jsonschema::Validator> {
    static VALIDATORS: OnceLock<HashMap<&'static str, jsonschema::Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        schemas()
            .iter()
            .map(|(name, schema)| {
                let validator = jsonschema::options()
                    .should_validate_formats(true)
                    .with_format("uri", lenient_uri)
                    .build(schema)
                    .expect("bundled schemas compile");
                (*name, validator)
            })
            .collect()
    })
}

/// The document types the bundled schema allows for a format (its `document_type` enum), so
/// that a mappings file can be checked before any page is converted. Read once per format.
pub fn document_types(schema: &str) -> &'static [String] {
    static ENUMS: OnceLock<HashMap<&'static str, Vec<String>>> = OnceLock::new();
    let enums = ENUMS.get_or_init(|| {
        schemas()
            .iter()
            .map(|(name, schema)| {
                let allowed = schema["properties"]["document_type"]["enum"]
                    .as_array()
                    .map(|values| {
                        values
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                (*name, allowed)
            })
            .collect()
    });
    enums.get(schema).map_or(&[], Vec::as_slice)
}

/// Schema errors of an item (`/details/body: ...`); empty when valid. Also checks the
/// base-path rules the schema leaves to the Publishing API.
pub fn validate(item: &Value) -> Vec<String> {
    let schema = item["schema_name"].as_str().unwrap_or_default();
    let Some(validator) = validators().get(schema) else {
        return vec![format!("no schema bundled for {schema:?}")];
    };
    let mut errors: Vec<String> = validator
        .iter_errors(item)
        .map(|e| format!("{}: {}", e.instance_path(), e))
        .collect();
    let base_path = item["base_path"].as_str().unwrap_or_default();
    if base_path.contains("//") || (base_path.len() > 1 && base_path.ends_with('/')) {
        errors.push(format!(
            "/base_path: {base_path:?} has `//` or a trailing `/`"
        ));
    }
    errors.sort();
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(
        choice: &'a Choice,
        headers: &'a [Header],
        attachments: &'a [Attachment],
    ) -> ItemInput<'a> {
        ItemInput {
            choice,
            base_path: "/guidance/measles",
            title: "Measles",
            description: Some("About measles."),
            locale: "en",
            body_html: "<p>Text</p>",
            headers,
            first_published_at: Some("2013-03-12T00:00:00Z".into()),
            public_updated_at: None,
            attachments,
            organisation_id: "11111111-1111-5111-8111-111111111111",
            collection_documents: &[],
        }
    }

    #[test]
    fn every_format_validates() {
        let headers = vec![
            Header {
                text: "A".into(),
                level: 2,
                id: "a".into(),
            },
            Header {
                text: "B".into(),
                level: 3,
                id: "b".into(),
            },
        ];
        let attachments = vec![Attachment {
            id: "data.xls".into(),
            title: "Data".into(),
            url: "http://www.example.org.uk/data.xls".into(),
            content_type: "application/vnd.ms-excel".into(),
            file_size: Some(1234),
        }];
        for schema in crate::formats::SCHEMAS {
            let choice = Choice {
                schema_name: schema.to_string(),
                document_type: crate::formats::default_document_type(schema).into(),
                reason: String::new(),
                slug: None,
                rule: None,
            };
            let item = build(&input(&choice, &headers, &attachments));
            assert_eq!(validate(&item), Vec::<String>::new(), "{schema}");
        }
    }

    #[test]
    fn invalid_items_are_caught() {
        let choice = Choice {
            schema_name: "publication".into(),
            document_type: "statistics".into(),
            reason: String::new(),
            slug: None,
            rule: None,
        };
        let item = build(&input(&choice, &[], &[]));
        assert!(!validate(&item).is_empty());
        let choice = Choice {
            schema_name: "detailed_guide".into(),
            document_type: "detailed_guide".into(),
            reason: String::new(),
            slug: None,
            rule: None,
        };
        let mut item = build(&input(&choice, &[], &[]));
        item["base_path"] = json!("/guidance/x y");
        assert!(!validate(&item).is_empty());
        item["base_path"] = json!("/guidance/x/");
        assert!(validate(&item).iter().any(|e| e.contains("trailing")));
    }
}
