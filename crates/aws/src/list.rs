//! Listing secret names: `ListSecrets` with filters, every page, sorted.

use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
use ironsecrets_core::Result;

use crate::store::{AwsSecretsStore, sm_error};

/// The most names AWS returns per page.
const MAX_PAGE: i32 = 100;

/// Which secrets to list. Secrets scheduled for deletion are included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// Names starting with this (AWS's `name` filter is a prefix match; we check again).
    pub prefix: String,
    /// Only secrets with a tag of one of these keys.
    pub tag_keys: Vec<String>,
    /// Only secrets with a tag of one of these values.
    pub tag_values: Vec<String>,
    /// Names per request (1 to 100).
    pub page_size: i32,
}

impl ListQuery {
    /// Every secret whose name starts with `prefix`.
    pub fn prefix(prefix: &str) -> Self {
        ListQuery {
            prefix: prefix.to_owned(),
            tag_keys: Vec::new(),
            tag_values: Vec::new(),
            page_size: MAX_PAGE,
        }
    }

    fn filters(&self) -> Vec<Filter> {
        let filter = |key: FilterNameStringType, values: &[String]| {
            (!values.is_empty()).then(|| {
                Filter::builder()
                    .key(key)
                    .set_values(Some(values.to_vec()))
                    .build()
            })
        };
        let prefix = [self.prefix.clone()];
        let prefix: &[String] = if self.prefix.is_empty() { &[] } else { &prefix };
        [
            filter(FilterNameStringType::Name, prefix),
            filter(FilterNameStringType::TagKey, &self.tag_keys),
            filter(FilterNameStringType::TagValue, &self.tag_values),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl AwsSecretsStore {
    /// Names matching `query`, sorted, following `NextToken` over every page.
    pub async fn list_names(&self, query: &ListQuery) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_secrets()
                .set_filters(Some(query.filters()).filter(|f| !f.is_empty()))
                .include_planned_deletion(true)
                .max_results(query.page_size)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(sm_error)?;
            names.extend(
                out.secret_list()
                    .iter()
                    .filter_map(|s| s.name())
                    .filter(|name| name.starts_with(&query.prefix))
                    .map(str::to_owned),
            );
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }
}
