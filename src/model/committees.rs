//! Gremien: the municipality's committees as the archive's configuration lists them
//! (`[[gremium]]`), each with a stable id and the other names papers use for it, and the rule
//! that turns a Gremium's name into its id.

use std::collections::BTreeMap;

use super::Paper;
use super::validate::{FieldError, InputError};

/// One Gremium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    /// Kennung: the id in URLs (OParl's Organization), kept when the name changes.
    pub id: String,
    /// Name, as papers should write it.
    pub name: String,
    /// Other names for it: former names, short forms ("Rat der Stadt" for "Rat der Stadt Hagen").
    pub aliases: Vec<String>,
}

/// The configured Gremien; empty when the configuration lists none (then every name is its
/// own Gremium, and its id is made from its name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committees {
    list: Vec<Committee>,
}

/// Why a configured list of Gremien cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeError {
    #[error(
        "gremium[{index}].kennung: {id:?} must be lowercase letters, digits and single hyphens (such as \"rat\" or \"sozialausschuss\")"
    )]
    BadId { index: usize, id: String },
    #[error("gremium[{index}].kennung: {id:?} is given twice")]
    DuplicateId { index: usize, id: String },
    #[error("gremium[{index}]: the name {name:?} is given twice (as a name or another name)")]
    DuplicateName { index: usize, name: String },
    #[error("gremium[{index}].name is empty")]
    EmptyName { index: usize },
}

impl Committees {
    /// Checks the list: ids in URL form and unique, every name and other name unique.
    pub fn new(list: Vec<Committee>) -> Result<Committees, CommitteeError> {
        let mut ids = Vec::new();
        let mut names = Vec::new();
        for (index, c) in list.iter().enumerate() {
            if organization_id(&c.id) != c.id || c.id.is_empty() {
                return Err(CommitteeError::BadId {
                    index,
                    id: c.id.clone(),
                });
            }
            if ids.contains(&&c.id) {
                return Err(CommitteeError::DuplicateId {
                    index,
                    id: c.id.clone(),
                });
            }
            ids.push(&c.id);
            if c.name.trim().is_empty() {
                return Err(CommitteeError::EmptyName { index });
            }
            for name in std::iter::once(&c.name).chain(&c.aliases) {
                if names.contains(&name) {
                    return Err(CommitteeError::DuplicateName {
                        index,
                        name: name.clone(),
                    });
                }
                names.push(name);
            }
        }
        Ok(Committees { list })
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn find(&self, name: &str) -> Option<&Committee> {
        self.list
            .iter()
            .find(|c| c.name == name || c.aliases.iter().any(|a| a == name))
    }

    /// The name a Gremium goes by: an other name replaced by its Gremium's name.
    pub fn name<'a>(&'a self, name: &'a str) -> &'a str {
        self.find(name).map_or(name, |c| &c.name)
    }

    /// The id of the Gremium of this name: its Kennung, or (not configured) one made from the
    /// name by [`organization_id`].
    pub fn id(&self, name: &str) -> String {
        self.find(name)
            .map_or_else(|| organization_id(name), |c| c.id.clone())
    }

    /// The name of the Gremium with this id, among the configured ones.
    pub fn by_id(&self, id: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.as_str())
    }

    /// Every other name with the name it stands for.
    pub fn aliases(&self) -> BTreeMap<String, String> {
        self.list
            .iter()
            .flat_map(|c| c.aliases.iter().map(|a| (a.clone(), c.name.clone())))
            .collect()
    }

    /// Every Gremium a paper names (Beratungsfolge, Beschlussfassung) must be one of the
    /// list, by its name or an other name; none is checked when the list is empty.
    pub fn check(&self, paper: &Paper) -> Vec<FieldError> {
        if self.is_empty() {
            return Vec::new();
        }
        let named = paper
            .consultations
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("beratungsfolge[{i}].gremium"), c.body.as_str()))
            .chain(
                paper
                    .deciding_body
                    .as_deref()
                    .map(|b| ("beschlussfassung".to_string(), b)),
            );
        named
            .filter(|(_, name)| self.find(name).is_none())
            .map(|(path, name)| FieldError {
                path,
                message: format!(
                    "{name:?} is no Gremium of this municipality; did you mean {:?}? (the list is [[gremium]] in drucksache.toml)",
                    self.closest(name)
                ),
                at: None,
            })
            .collect()
    }

    /// `paper` if it names only configured Gremien, or else its problems as the input error
    /// of `name` (the file or the request body).
    pub fn admit(&self, paper: Paper, name: &str) -> Result<Paper, InputError> {
        let errors = self.check(&paper);
        if errors.is_empty() {
            Ok(paper)
        } else {
            Err(InputError::Invalid {
                name: name.to_string(),
                errors,
            })
        }
    }

    /// The configured name nearest to `name` (by edit distance, ignoring case).
    fn closest(&self, name: &str) -> &str {
        let wanted = name.to_lowercase();
        self.list
            .iter()
            .flat_map(|c| {
                std::iter::once(&c.name)
                    .chain(&c.aliases)
                    .map(move |n| (n, c))
            })
            .min_by_key(|(n, _)| edit_distance(&n.to_lowercase(), &wanted))
            .map_or("", |(_, c)| c.name.as_str())
    }
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The id segment made from a name: lowercase ASCII (umlauts spelled out), runs of anything
/// else as one `-`.
pub fn organization_id(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let spelled = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => {
                if !out.is_empty() && !out.ends_with('-') {
                    out.push('-');
                }
                continue;
            }
        };
        out.push_str(spelled);
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hagen() -> Committees {
        Committees::new(vec![
            Committee {
                id: "rat".into(),
                name: "Rat der Stadt Hagen".into(),
                aliases: vec!["Rat der Stadt".into()],
            },
            Committee {
                id: "sozialausschuss".into(),
                name: "Sozialausschuss".into(),
                aliases: vec![],
            },
        ])
        .unwrap()
    }

    #[test]
    fn organization_ids() {
        assert_eq!(organization_id("Rat der Stadt"), "rat-der-stadt");
        assert_eq!(
            organization_id("Ausschuss für Bürgerbeteiligung & Gleichstellung"),
            "ausschuss-fuer-buergerbeteiligung-gleichstellung"
        );
        assert_eq!(organization_id("BV Haspe"), "bv-haspe");
    }

    #[test]
    fn other_names_resolve_to_the_gremium_and_its_id() {
        let c = hagen();
        assert_eq!(c.name("Rat der Stadt"), "Rat der Stadt Hagen");
        assert_eq!(c.id("Rat der Stadt"), "rat");
        assert_eq!(c.id("Rat der Stadt Hagen"), "rat");
        assert_eq!(c.by_id("rat"), Some("Rat der Stadt Hagen"));
        assert_eq!(c.id("Bezirksvertretung Haspe"), "bezirksvertretung-haspe");
        assert_eq!(
            c.aliases().get("Rat der Stadt").map(String::as_str),
            Some("Rat der Stadt Hagen")
        );
        assert_eq!(Committees::default().id("Rat der Stadt"), "rat-der-stadt");
    }

    #[test]
    fn a_bad_list_is_refused_naming_the_entry() {
        let one = |id: &str, name: &str, aliases: &[&str]| Committee {
            id: id.into(),
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
        };
        let e = Committees::new(vec![one("Rat", "Rat", &[])]).unwrap_err();
        assert!(
            e.to_string().starts_with("gremium[0].kennung: \"Rat\""),
            "{e}"
        );
        let e = Committees::new(vec![one("a", "A", &[]), one("a", "B", &[])]).unwrap_err();
        assert!(e.to_string().starts_with("gremium[1].kennung"), "{e}");
        let e = Committees::new(vec![one("a", "A", &[]), one("b", "B", &["A"])]).unwrap_err();
        assert!(e.to_string().contains("\"A\" is given twice"), "{e}");
    }

    #[test]
    fn a_paper_naming_an_unknown_gremium_gets_the_closest_name() {
        let seed = crate::model::Paper::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("archive/papers/2012/0310-2012.toml"),
        )
        .unwrap();
        let mut paper = seed.clone();
        paper.consultations.truncate(1);
        paper.consultations[0].body = "Sozialauschuss".into();
        paper.deciding_body = Some("Rat der Stadt".into());
        let problems = hagen().check(&paper);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "beratungsfolge[0].gremium");
        assert!(
            problems[0]
                .message
                .contains("did you mean \"Sozialausschuss\""),
            "{}",
            problems[0].message
        );
        assert!(Committees::default().check(&seed).is_empty());
    }
}
