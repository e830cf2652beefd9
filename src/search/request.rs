//! [`Request`]: a search as a person gives it, every value as typed (the CLI's flags, the
//! search page's and the API's query-string parameters), checked by one set of rules and
//! turned into a [`Query`]. Paging is each edge's own (`--limit`/`--seite` on the command
//! line, `pro_seite`/`seite` in the service).

use super::query::{Filters, Query, Sort, parse_date, parse_years};
use crate::model::Date;

/// A search as given: each value as typed, `None` when not given. Each field's doc names its
/// parameter (the CLI's flags have the same names: `--jahr`, `--von`, …).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// What to search for (`q`).
    pub text: String,
    /// Vorlagenart or its beginning (`art`).
    pub kind: Option<String>,
    /// Jahr, or years like `2012..2014` (`jahr`).
    pub years: Option<String>,
    /// Amt: its number or words of its name (`amt`).
    pub department: Option<String>,
    /// Gremium: words of its name (`gremium`).
    pub body: Option<String>,
    /// Datum from, `YYYY-MM-DD` or `TT.MM.JJJJ` (`von`).
    pub date_from: Option<String>,
    /// Datum to, `YYYY-MM-DD` or `TT.MM.JJJJ` (`bis`).
    pub date_to: Option<String>,
    /// Sortierung: `relevanz` or `datum` (`sortierung`).
    pub sort: Option<String>,
}

/// A value of a [`Request`] that makes no sense. The edges show it their way: the command
/// line as `--jahr 2012x: give …`, the API as a problem of the parameter `jahr`, the pages
/// in German from [`RequestError::problem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct RequestError {
    /// The parameter's German name (`jahr`, `von`, `bis`, `sortierung`).
    pub parameter: &'static str,
    /// What is wrong, beginning with the value given (`2012x: give a year …`).
    pub message: String,
    /// What is wrong, for an edge that words it itself.
    pub problem: RequestProblem,
}

/// What is wrong with a value of a [`Request`] (each with the value as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestProblem {
    /// `jahr` is neither a year nor a range of years.
    NotYears(String),
    /// `von` or `bis` is not a date.
    NotDate(String),
    /// `sortierung` is neither `relevanz` nor `datum`.
    UnknownSort(String),
    /// `bis` (Datum bis) is before `von` (Datum von): no paper can match.
    EndBeforeStart { from: Date, to: Date },
}

impl Request {
    /// The search this request asks for, with the first 10 hits (the edges set their
    /// paging on the query).
    pub fn to_query(&self) -> Result<Query, RequestError> {
        let mut query = Query::new(self.text.clone());
        query.filters = Filters {
            department: self.department.clone(),
            body: self.body.clone(),
            kind: self.kind.clone(),
            ..Filters::default()
        };
        if let Some(years) = &self.years {
            query.filters.years = Some(parse_years(years).ok_or_else(|| RequestError {
                parameter: "jahr",
                message: format!("{years}: give a year (2012) or years (2012..2014)"),
                problem: RequestProblem::NotYears(years.clone()),
            })?);
        }
        query.filters.date_from = day("von", self.date_from.as_deref())?;
        query.filters.date_to = day("bis", self.date_to.as_deref())?;
        if let (Some(from), Some(to)) = (query.filters.date_from, query.filters.date_to)
            && to < from
        {
            return Err(RequestError {
                parameter: "bis",
                message: format!(
                    "{to}: is before the date of von ({from}); bis must be the same day or later"
                ),
                problem: RequestProblem::EndBeforeStart { from, to },
            });
        }
        if let Some(sort) = &self.sort {
            query.sort = Sort::from_name(sort).ok_or_else(|| RequestError {
                parameter: "sortierung",
                message: format!("{sort}: give relevanz or datum"),
                problem: RequestProblem::UnknownSort(sort.clone()),
            })?;
        }
        Ok(query)
    }
}

/// The day `value` of the parameter `parameter`, if given.
fn day(parameter: &'static str, value: Option<&str>) -> Result<Option<Date>, RequestError> {
    value
        .map(|v| {
            parse_date(v).ok_or_else(|| RequestError {
                parameter,
                message: format!("{v}: give a date as YYYY-MM-DD or TT.MM.JJJJ"),
                problem: RequestProblem::NotDate(v.to_string()),
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(request: Request) -> (&'static str, String) {
        let e = request.to_query().unwrap_err();
        (e.parameter, e.message)
    }

    #[test]
    fn an_end_before_the_start_is_named() {
        let swapped = Request {
            date_from: Some("31.12.2012".into()),
            date_to: Some("2012-01-01".into()),
            ..Request::default()
        };
        let e = swapped.to_query().unwrap_err();
        assert_eq!(
            (e.parameter, e.message.as_str()),
            (
                "bis",
                "2012-01-01: is before the date of von (2012-12-31); bis must be the same day or later"
            )
        );
        assert_eq!(
            e.problem,
            RequestProblem::EndBeforeStart {
                from: Date::parse_iso("2012-12-31").unwrap(),
                to: Date::parse_iso("2012-01-01").unwrap()
            }
        );
        // The same day is a range of one day.
        let one_day = Request {
            date_from: Some("2012-04-25".into()),
            date_to: Some("25.04.2012".into()),
            ..Request::default()
        };
        assert!(one_day.to_query().is_ok());
    }

    #[test]
    fn values_are_checked_and_named() {
        let query = Request {
            text: "Integration".into(),
            kind: Some("beschluss".into()),
            years: Some("2013..2012".into()),
            department: Some("55".into()),
            body: Some("Rat".into()),
            date_from: Some("01.01.2012".into()),
            date_to: Some("2013-12-31".into()),
            sort: Some("datum".into()),
        }
        .to_query()
        .unwrap();
        assert_eq!(query.text, "Integration");
        assert_eq!(query.filters.years, Some((2012, 2013)));
        assert_eq!(query.filters.kind.as_deref(), Some("beschluss"));
        assert_eq!(query.filters.department.as_deref(), Some("55"));
        assert_eq!(query.filters.body.as_deref(), Some("Rat"));
        assert_eq!(query.filters.date_from, Date::parse_iso("2012-01-01"));
        assert_eq!(query.filters.date_to, Date::parse_iso("2013-12-31"));
        assert_eq!((query.sort, query.limit, query.offset), (Sort::Date, 10, 0));
        assert_eq!(Request::default().to_query().unwrap().sort, Sort::Relevance);

        let years = Request {
            years: Some("2012x".into()),
            ..Request::default()
        };
        assert_eq!(
            error(years),
            (
                "jahr",
                "2012x: give a year (2012) or years (2012..2014)".into()
            )
        );
        let from = Request {
            date_from: Some("31.02.2012".into()),
            ..Request::default()
        };
        assert_eq!(
            error(from),
            (
                "von",
                "31.02.2012: give a date as YYYY-MM-DD or TT.MM.JJJJ".into()
            )
        );
        let to = Request {
            date_to: Some("gestern".into()),
            ..Request::default()
        };
        assert_eq!(
            error(to),
            (
                "bis",
                "gestern: give a date as YYYY-MM-DD or TT.MM.JJJJ".into()
            )
        );
        let sort = Request {
            sort: Some("alpha".into()),
            ..Request::default()
        };
        assert_eq!(
            error(sort),
            ("sortierung", "alpha: give relevanz or datum".into())
        );
    }
}
