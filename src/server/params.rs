//! Query-string parameters of the search page and the search API (the same names in both:
//! `q`, `art`, `jahr`, `amt`, `gremium`, `von`, `bis`, `sortierung`, `seite`, `pro_seite`),
//! read leniently (empty form fields are absent, unknown ones ignored) and checked strictly
//! (a bad value is an error naming the parameter).

use crate::search::{MAX_LIMIT, Query, Request, RequestError};

use super::error::ApiError;

/// Hits per page unless `pro_seite` says otherwise.
pub const DEFAULT_PER_PAGE: usize = 10;
/// Pages beyond this are refused (deep paging costs the index more and helps no reader).
pub const MAX_PAGE: usize = 1000;

/// The parameters as given (absent or empty = `None`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchParams {
    pub q: String,
    pub art: Option<String>,
    pub jahr: Option<String>,
    pub amt: Option<String>,
    pub gremium: Option<String>,
    pub von: Option<String>,
    pub bis: Option<String>,
    pub sortierung: Option<String>,
    pub seite: Option<String>,
    pub pro_seite: Option<String>,
}

/// Name-value pairs of a raw query string (the last value of a repeated name wins; a query
/// string that cannot be decoded is read as empty).
pub fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

/// The value of `name`, if given and not empty.
pub fn value(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Why search parameters cannot be used. The API answers [`ApiError`] (its messages are
/// English and documented); the pages word it in German (`messages.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamError {
    /// A value of the search itself (`jahr`, `von`, `bis`, `sortierung`).
    Request(RequestError),
    /// `seite` or `pro_seite` is not a whole number from 1 to `max`.
    Number {
        parameter: &'static str,
        value: String,
        max: u64,
    },
}

impl ParamError {
    /// The parameter at fault.
    pub fn parameter(&self) -> &'static str {
        match self {
            ParamError::Request(e) => e.parameter,
            ParamError::Number { parameter, .. } => parameter,
        }
    }
}

impl From<ParamError> for ApiError {
    fn from(e: ParamError) -> ApiError {
        match e {
            ParamError::Request(e) => ApiError::parameter(e.parameter, e.message),
            ParamError::Number {
                parameter,
                value,
                max,
            } => ApiError::parameter(parameter, format!("{value}: give 1 to {max}")),
        }
    }
}

/// The whole number `value` of the parameter `name`, 1 to `max` (`default` when absent).
pub fn number(
    name: &'static str,
    value: Option<&str>,
    default: u64,
    max: u64,
) -> Result<u64, ParamError> {
    match value {
        None => Ok(default),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ParamError::Number {
                parameter: name,
                value: text.to_string(),
                max,
            }),
        },
    }
}

impl SearchParams {
    pub fn from_query(raw: Option<&str>) -> SearchParams {
        let pairs = pairs(raw);
        let get = |name: &str| value(&pairs, name);
        SearchParams {
            q: get("q").unwrap_or_default(),
            art: get("art"),
            jahr: get("jahr"),
            amt: get("amt"),
            gremium: get("gremium"),
            von: get("von"),
            bis: get("bis"),
            sortierung: get("sortierung"),
            seite: get("seite"),
            pro_seite: get("pro_seite"),
        }
    }

    /// Page number, from 1.
    pub fn page(&self) -> Result<usize, ParamError> {
        number("seite", self.seite.as_deref(), 1, MAX_PAGE as u64).map(|n| n as usize)
    }

    pub fn per_page(&self) -> Result<usize, ParamError> {
        number(
            "pro_seite",
            self.pro_seite.as_deref(),
            DEFAULT_PER_PAGE as u64,
            MAX_LIMIT as u64,
        )
        .map(|n| n as usize)
    }

    /// The search these parameters ask for: the [`Request`] they make, and their paging.
    pub fn to_query(&self) -> Result<Query, ParamError> {
        let mut query = self.request().to_query().map_err(ParamError::Request)?;
        query.limit = self.per_page()?;
        query.offset = (self.page()? - 1) * query.limit;
        Ok(query)
    }

    /// The parameters of the search itself (all but the paging).
    fn request(&self) -> Request {
        Request {
            text: self.q.clone(),
            kind: self.art.clone(),
            years: self.jahr.clone(),
            department: self.amt.clone(),
            body: self.gremium.clone(),
            date_from: self.von.clone(),
            date_to: self.bis.clone(),
            sort: self.sortierung.clone(),
        }
    }

    /// The query string of these parameters with `name` set to `value` (or removed with
    /// `None`), for facet and paging links. Setting anything but the page goes to page 1.
    pub fn with(&self, name: &str, value: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let fields: [(&str, Option<&String>); 10] = [
            ("q", Some(&self.q).filter(|q| !q.is_empty())),
            ("art", self.art.as_ref()),
            ("jahr", self.jahr.as_ref()),
            ("amt", self.amt.as_ref()),
            ("gremium", self.gremium.as_ref()),
            ("von", self.von.as_ref()),
            ("bis", self.bis.as_ref()),
            ("sortierung", self.sortierung.as_ref()),
            ("seite", self.seite.as_ref()),
            ("pro_seite", self.pro_seite.as_ref()),
        ];
        for (key, current) in fields {
            let replaced = if key == name {
                value.map(str::to_string)
            } else if key == "seite" {
                None
            } else {
                current.cloned()
            };
            if let Some(v) = replaced {
                pairs.push((key, v));
            }
        }
        serde_urlencoded::to_string(&pairs).expect("strings always encode")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_reading_strict_checking() {
        let p = SearchParams::from_query(Some("q=Schul%C3%A4mter&art=&jahr=2012&x=1&seite=2"));
        assert_eq!(p.q, "Schulämter");
        assert_eq!(p.art, None);
        let query = p.to_query().unwrap();
        assert_eq!(query.filters.years, Some((2012, 2012)));
        assert_eq!((query.offset, query.limit), (10, 10));

        let bad = SearchParams::from_query(Some("jahr=zwanzig"));
        let e = ApiError::from(bad.to_query().unwrap_err());
        assert_eq!(
            (e.status.as_u16(), e.errors[0].path.as_str()),
            (400, "jahr")
        );
        let e = ApiError::from(
            SearchParams::from_query(Some("seite=1001"))
                .to_query()
                .unwrap_err(),
        );
        assert_eq!(e.errors[0].message, "1001: give 1 to 1000");
        for q in [
            "seite=0",
            "seite=x",
            "pro_seite=1000",
            "sortierung=alpha",
            "von=31.02.2012",
        ] {
            assert!(SearchParams::from_query(Some(q)).to_query().is_err(), "{q}");
        }
    }

    #[test]
    fn links_change_one_parameter_and_reset_the_page() {
        let p = SearchParams::from_query(Some("q=Kita+Beitr%C3%A4ge&seite=3&art=mitteilung"));
        assert_eq!(
            p.with("jahr", Some("2012")),
            "q=Kita+Beitr%C3%A4ge&art=mitteilung&jahr=2012"
        );
        assert_eq!(p.with("art", None), "q=Kita+Beitr%C3%A4ge");
        assert_eq!(
            p.with("seite", Some("4")),
            "q=Kita+Beitr%C3%A4ge&art=mitteilung&seite=4"
        );
    }
}
