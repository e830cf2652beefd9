//! The German messages of the search page (Meldungen): what is wrong with a search, worded
//! for a citizen, with the form field it belongs to. The API keeps its documented English
//! messages (`params::ParamError` → `ApiError`, `search::QueryError`).

use crate::search::{
    MAX_FILTER_CHARS, MAX_PREFIXES, MAX_QUERY_CHARS, MAX_QUERY_WORDS, QueryError, RequestProblem,
};

use super::params::{ParamError, SearchParams};

/// A message on the search page.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// The `id` of the form field at fault (`jahr`, `bis`, …), if it is one.
    pub field: Option<&'static str>,
    pub text: String,
    /// A link that mends it: label and URL.
    pub fix: Option<(String, String)>,
}

/// The label of a parameter's form field, as the page shows it.
fn label(parameter: &str) -> &'static str {
    match parameter {
        "q" => "Suchbegriffe",
        "art" => "Vorlagenart",
        "jahr" => "Jahr",
        "amt" => "Amt",
        "gremium" => "Gremium",
        "von" => "Datum von",
        "bis" => "Datum bis",
        "sortierung" => "Sortierung",
        "seite" => "Seite",
        "pro_seite" => "Treffer pro Seite",
        "nummer" => "Drucksachennummer",
        _ => "Eingabe",
    }
}

/// The form fields of the page (parameters without a field have no `id` to point at).
fn field(parameter: &'static str) -> Option<&'static str> {
    [
        "q",
        "art",
        "jahr",
        "amt",
        "gremium",
        "von",
        "bis",
        "sortierung",
    ]
    .contains(&parameter)
    .then_some(parameter)
}

/// A parameter of the search page that cannot be used, in German.
pub fn param_problem(e: &ParamError, params: &SearchParams) -> Notice {
    let parameter = e.parameter();
    let name = label(parameter);
    let (text, fix) = match e {
        ParamError::Number { value, max, .. } => (
            format!(
                "{name}: „{value}“ geht nicht. Bitte geben Sie eine ganze Zahl von 1 bis {max} an."
            ),
            None,
        ),
        ParamError::Request(e) => match &e.problem {
            RequestProblem::NotYears(value) => (
                format!(
                    "{name}: „{value}“ ist kein Jahr. Bitte geben Sie ein Jahr wie 2012 an oder einen Zeitraum wie 2010..2014."
                ),
                None,
            ),
            RequestProblem::NotDate(value) => (
                format!(
                    "{name}: „{value}“ ist kein gültiges Datum. Bitte geben Sie es als TT.MM.JJJJ (25.04.2012) oder JJJJ-MM-TT (2012-04-25) an."
                ),
                None,
            ),
            RequestProblem::UnknownSort(value) => (
                format!(
                    "{name}: „{value}“ gibt es nicht. Möglich sind „relevanz“ (beste Treffer zuerst) und „datum“ (neueste zuerst)."
                ),
                None,
            ),
            RequestProblem::EndBeforeStart { from, to } => {
                let mut swapped = params.clone();
                swapped.von = params.bis.clone();
                swapped.bis = params.von.clone();
                (
                    format!(
                        "„Datum bis“ ({}) liegt vor „Datum von“ ({}). „Datum bis“ muss derselbe oder ein späterer Tag sein.",
                        to.german(),
                        from.german()
                    ),
                    Some((
                        "Die beiden Daten tauschen".to_string(),
                        format!("/?{}", swapped.with("seite", None)),
                    )),
                )
            }
        },
    };
    Notice {
        field: field(parameter),
        text,
        fix,
    }
}

/// A search that would cost too much, in German.
pub fn query_problem(e: &QueryError) -> Notice {
    let text = match e {
        QueryError::TooLong(chars) => format!(
            "Die Suchbegriffe sind {chars} Zeichen lang; gesucht werden höchstens {MAX_QUERY_CHARS}. Bitte kürzen Sie die Suche."
        ),
        QueryError::TooManyWords(words) => format!(
            "Die Suche hat {words} Wörter; gesucht werden höchstens {MAX_QUERY_WORDS}. Bitte lassen Sie Wörter weg."
        ),
        QueryError::TooManyPrefixes(prefixes) => format!(
            "Die Suche hat {prefixes} Wortanfänge mit *; möglich sind höchstens {MAX_PREFIXES}."
        ),
        QueryError::FilterTooLong { field, len } => format!(
            "{}: {len} Zeichen; möglich sind höchstens {MAX_FILTER_CHARS}.",
            label(field)
        ),
    };
    Notice {
        field: field(e.parameter()),
        text,
        fix: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(query: &str) -> Notice {
        let params = SearchParams::from_query(Some(query));
        param_problem(&params.to_query().unwrap_err(), &params)
    }

    #[test]
    fn every_problem_in_german() {
        let years = problem("jahr=abc");
        assert_eq!(years.field, Some("jahr"));
        assert!(
            years.text.starts_with("Jahr: „abc“ ist kein Jahr."),
            "{}",
            years.text
        );
        let date = problem("von=31.02.2012");
        assert_eq!(date.field, Some("von"));
        assert!(date.text.contains("„31.02.2012“ ist kein gültiges Datum"));
        assert!(
            problem("sortierung=alpha")
                .text
                .contains("„alpha“ gibt es nicht")
        );
        let page = problem("seite=0");
        assert_eq!(page.field, None);
        assert!(
            page.text.contains("ganze Zahl von 1 bis 1000"),
            "{}",
            page.text
        );
        let order = problem("q=Kita&von=2012-12-31&bis=2012-01-01&seite=2");
        assert_eq!(order.field, Some("bis"));
        assert_eq!(
            order.text,
            "„Datum bis“ (01.01.2012) liegt vor „Datum von“ (31.12.2012). „Datum bis“ muss derselbe oder ein späterer Tag sein."
        );
        assert_eq!(
            order.fix.unwrap().1,
            "/?q=Kita&von=2012-01-01&bis=2012-12-31"
        );
        assert!(
            query_problem(&QueryError::TooManyWords(25))
                .text
                .contains("25 Wörter; gesucht werden höchstens 20")
        );
        assert_eq!(
            query_problem(&QueryError::FilterTooLong {
                field: "amt",
                len: 201
            })
            .field,
            Some("amt")
        );
    }
}
