//! A seeded generator of realistic synthetic papers (German vocabulary, departments,
//! committees, numbering "0042/2017", dates, some non-public papers) for tests, benchmarks
//! and demonstrations (`drucksache demo-corpus`). The same seed gives the same papers on
//! every machine and every version of the dependencies (its random numbers are SplitMix64,
//! written out here for that reason).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::{
    Attachment, Consultation, Date, Department, FinancialImpact, Kind, Paper, Role, Routing,
    Signatory,
};

/// SplitMix64: small, fast, and fixed forever (unlike a library generator's stream).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const DEPARTMENTS: &[(&str, &str)] = &[
    ("10", "Fachbereich Personal und Organisation"),
    ("20", "Fachbereich Finanzen und Controlling"),
    (
        "32",
        "Fachbereich Öffentliche Sicherheit, Verkehr, Bürgerdienste und Personenstandswesen",
    ),
    ("37", "Feuerwehr"),
    ("48", "Fachbereich Bildung"),
    ("49", "Fachbereich Kultur"),
    ("55", "Fachbereich Jugend und Soziales"),
    (
        "61",
        "Fachbereich Stadtentwicklung, -planung und Bauordnung",
    ),
    ("65", "Fachbereich Gebäudewirtschaft"),
    ("66", "Tiefbauamt"),
    ("67", "Grünflächenamt"),
    ("69", "Umweltamt"),
    ("80", "Amt für Wirtschaftsförderung"),
];

const BODIES: &[&str] = &[
    "Haupt- und Finanzausschuss",
    "Stadtentwicklungsausschuss",
    "Umweltausschuss",
    "Schulausschuss",
    "Jugendhilfeausschuss",
    "Sozialausschuss",
    "Sport- und Freizeitausschuss",
    "Kultur- und Weiterbildungsausschuss",
    "Ausschuss für Bauen und Wohnen",
    "Bezirksvertretung Mitte",
    "Bezirksvertretung Nord",
    "Bezirksvertretung Haspe",
    "Bezirksvertretung Hohenlimburg",
    "Bezirksvertretung Eilpe/Dahl",
];

const COUNCIL: &str = "Rat der Stadt";

const DISTRICTS: &[&str] = &[
    "Emst",
    "Haspe",
    "Hohenlimburg",
    "Boele",
    "Eilpe",
    "Vorhalle",
    "Wehringhausen",
    "Altenhagen",
    "Eckesey",
    "Dahl",
    "Berchum",
    "Fley",
    "Halden",
    "Helfe",
    "Kabel",
];

const STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Bergstraße",
    "Schulstraße",
    "Kölner Straße",
    "Lindenstraße",
    "Am Mühlenteich",
    "Feldstraße",
    "Grünstraße",
    "Märkischer Ring",
];

/// (building or facility, department number, committee)
const FACILITIES: &[(&str, &str, &str)] = &[
    ("Sporthalle", "65", "Sport- und Freizeitausschuss"),
    ("Dreifachsporthalle", "65", "Sport- und Freizeitausschuss"),
    ("Grundschule", "48", "Schulausschuss"),
    ("Gesamtschule", "48", "Schulausschuss"),
    ("Kindertageseinrichtung", "55", "Jugendhilfeausschuss"),
    ("Feuerwache", "37", "Haupt- und Finanzausschuss"),
    (
        "Stadtbibliothek",
        "49",
        "Kultur- und Weiterbildungsausschuss",
    ),
    ("Jugendzentrum", "55", "Jugendhilfeausschuss"),
    ("Seniorenbegegnungsstätte", "55", "Sozialausschuss"),
    ("Hallenbad", "65", "Sport- und Freizeitausschuss"),
    ("Spielplatz", "67", "Umweltausschuss"),
    ("Friedhofskapelle", "67", "Umweltausschuss"),
    ("Regenrückhaltebecken", "66", "Umweltausschuss"),
    ("Busbahnhof", "66", "Stadtentwicklungsausschuss"),
    ("Parkhaus", "66", "Stadtentwicklungsausschuss"),
];

const MEASURES: &[&str] = &[
    "Sanierung",
    "Neubau",
    "Erweiterung",
    "Umbau",
    "Energetische Modernisierung",
    "Brandschutzertüchtigung",
];

const PLANS: &[(&str, &str, &str)] = &[
    ("Klimaschutzkonzept", "69", "Umweltausschuss"),
    ("Lärmaktionsplan", "69", "Umweltausschuss"),
    ("Nahverkehrsplan", "66", "Stadtentwicklungsausschuss"),
    ("Schulentwicklungsplan", "48", "Schulausschuss"),
    ("Kindergartenbedarfsplan", "55", "Jugendhilfeausschuss"),
    ("Radverkehrskonzept", "66", "Stadtentwicklungsausschuss"),
    ("Einzelhandelskonzept", "61", "Stadtentwicklungsausschuss"),
    (
        "Wohnraumversorgungskonzept",
        "61",
        "Ausschuss für Bauen und Wohnen",
    ),
    ("Spielflächenkonzept", "67", "Jugendhilfeausschuss"),
    (
        "Kulturentwicklungsplan",
        "49",
        "Kultur- und Weiterbildungsausschuss",
    ),
    (
        "Personalentwicklungskonzept",
        "10",
        "Haupt- und Finanzausschuss",
    ),
];

const SERVICES: &[&str] = &[
    "Planungsleistungen",
    "Bauleistungen",
    "Reinigungsleistungen",
    "Winterdienstleistungen",
    "Gutachterleistungen",
];

const SIGNATORIES: &[(&str, &str)] = &[
    ("Dr. Anna Müller", "Oberbürgermeisterin"),
    ("Jörg Weißenfels", "Stadtkämmerer"),
    ("Petra Schröder", "Beigeordnete"),
    ("Klaus Bäumer", "Technischer Beigeordneter"),
    ("Sabine Kühn", "Stadtdirektorin"),
    ("Martin Groß", "Beigeordneter"),
];

const REASONS: &[&str] = &[
    "Der bauliche Zustand ist nach dem Gutachten vom Frühjahr mangelhaft; Dach, Fenster und Heizung entsprechen nicht mehr den Anforderungen.",
    "Die Verwaltung hat verschiedene Varianten geprüft und empfiehlt die wirtschaftlichste Lösung.",
    "Fördermittel des Landes können beantragt werden, wenn der Beschluss bis zum Jahresende vorliegt.",
    "Die Bezirksvertretung hat in ihrer letzten Sitzung um einen Sachstandsbericht gebeten.",
    "Die Maßnahme ist im Haushaltsplan veranschlagt und im Investitionsprogramm enthalten.",
    "Bürgerinnen und Bürger wurden in einer Informationsveranstaltung beteiligt; ihre Anregungen sind eingeflossen.",
    "Die Ausschreibung erfolgt europaweit im offenen Verfahren nach der Vergabeverordnung.",
    "Die Kosten wurden durch ein externes Ingenieurbüro ermittelt und von der Gebäudewirtschaft geprüft.",
    "Mit der Umsetzung kann nach Erteilung der Baugenehmigung begonnen werden.",
    "Die Barrierefreiheit wird bei allen Planungsschritten berücksichtigt.",
    "Die Zahl der Nutzerinnen und Nutzer ist in den vergangenen Jahren deutlich gestiegen.",
    "Der Energieverbrauch soll durch die Maßnahme um etwa ein Drittel sinken.",
];

const SECRETS: &[&str] = &[
    "Verkauf des städtischen Grundstücks Gemarkung {district}, Flur {n}",
    "Personalangelegenheit: Besetzung der Stelle der Leitung {dept}",
    "Abschluss eines Mietvertrags für Büroflächen an der {street}",
    "Vergleich in einem Rechtsstreit mit einem Bauunternehmen",
];

/// Generates papers; numbering runs per year ("0001/2012", "0002/2012", …).
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Rng,
    first_year: i32,
    years: i32,
    count: usize,
    made: usize,
    next_number: BTreeMap<i32, u32>,
    previous: Option<(i32, String, String)>,
}

impl Generator {
    /// `count` papers over the years 2005–2024, for `seed`.
    pub fn new(seed: u64, count: usize) -> Generator {
        Generator {
            rng: Rng::new(seed),
            first_year: 2005,
            years: 20,
            count,
            made: 0,
            next_number: BTreeMap::new(),
            previous: None,
        }
    }

    fn department(&mut self, number: Option<&str>) -> Department {
        let (n, name) = match number.and_then(|n| DEPARTMENTS.iter().find(|d| d.0 == n)) {
            Some(d) => *d,
            None => *self.rng.pick(DEPARTMENTS),
        };
        Department {
            number: n.to_string(),
            name: name.to_string(),
        }
    }

    fn paper(&mut self) -> Paper {
        let year = self.first_year
            + ((self.made as i64 * self.years as i64) / self.count.max(1) as i64) as i32;
        self.made += 1;
        let number = self.next_number.entry(year).or_insert(1);
        let reference = format!("{:04}/{year}", *number);
        *number += 1;
        let rng = &mut self.rng;
        let month = 1 + rng.below(11) as u8;
        let day = 1 + rng.below(28) as u8;
        let date = Date::parse_iso(&format!("{year:04}-{month:02}-{day:02}")).expect("a real day");
        let district = *rng.pick(DISTRICTS);
        let street = *rng.pick(STREETS);
        let public = !rng.chance(8);
        let roll = rng.below(100);
        let (subject, dept, body, topic): (String, &str, &str, String) = if !public {
            let secret = rng.pick(SECRETS);
            let d = *rng.pick(DEPARTMENTS);
            (
                secret
                    .replace("{district}", district)
                    .replace("{n}", &(1 + rng.below(40)).to_string())
                    .replace("{dept}", d.1)
                    .replace("{street}", street),
                d.0,
                "Haupt- und Finanzausschuss",
                "Vertrauliche Angelegenheit".to_string(),
            )
        } else if roll < 45 {
            let (facility, dept, body) = *rng.pick(FACILITIES);
            let measure = *rng.pick(MEASURES);
            let subject = if rng.chance(30) {
                format!(
                    "{measure} der {facility} {district} – Vergabe der {}",
                    rng.pick(SERVICES)
                )
            } else {
                format!("{measure} der {facility} {district}, {street}")
            };
            (subject, dept, body, facility.to_string())
        } else if roll < 70 {
            let (plan, dept, body) = *rng.pick(PLANS);
            let subject = match rng.below(3) {
                0 => format!("{plan} der Stadt – Fortschreibung {year}"),
                1 => format!("Sachstand zum {plan}"),
                _ => format!("Beschluss über den {plan}"),
            };
            (subject, dept, body, plan.to_string())
        } else if roll < 80 {
            (
                format!(
                    "Bebauungsplan Nr. {}/{:02} – {district}, {street}",
                    1 + rng.below(30),
                    year % 100
                ),
                "61",
                "Stadtentwicklungsausschuss",
                "Bebauungsplan".to_string(),
            )
        } else if roll < 88 {
            (
                format!("Haushaltssatzung {} mit Haushaltsplan", year + 1),
                "20",
                "Haupt- und Finanzausschuss",
                "Haushalt".to_string(),
            )
        } else {
            let (facility, dept, body) = *rng.pick(FACILITIES);
            (
                format!("Öffnungszeiten und Entgelte der {facility} {district}"),
                dept,
                body,
                facility.to_string(),
            )
        };
        let kind = match rng.below(100) {
            0..=64 => Kind::Beschlussvorlage,
            65..=94 => Kind::Mitteilungsvorlage,
            _ => Kind::Ergaenzungsvorlage,
        };
        let supplements = match (&self.previous, kind) {
            (Some((y, r, _)), Kind::Ergaenzungsvorlage) if *y == year => Some(r.clone()),
            _ => None,
        };
        let kind = if kind == Kind::Ergaenzungsvorlage && supplements.is_none() {
            Kind::Beschlussvorlage
        } else {
            kind
        };
        let subject = match (&supplements, &self.previous) {
            (Some(_), Some((_, _, previous))) => format!("{previous} – Ergänzung"),
            _ => subject,
        };
        let rng = &mut self.rng;
        // Beratungsfolge: one to three committees, then the council for decisions.
        let mut consultations = Vec::new();
        let mut session = date;
        let next_session = |rng: &mut Rng, from: Date| {
            let days = 7 + rng.below(21) as i64;
            let t = time::Date::from_calendar_date(
                from.year(),
                time::Month::try_from(from.month()).expect("month"),
                from.day(),
            )
            .expect("date")
                + time::Duration::days(days);
            Date::parse_iso(&format!(
                "{:04}-{:02}-{:02}",
                t.year(),
                u8::from(t.month()),
                t.day()
            ))
            .expect("date")
        };
        let mut bodies = vec![body];
        for _ in 0..rng.below(3) {
            let b = *rng.pick(BODIES);
            if !bodies.contains(&b) {
                bodies.push(b);
            }
        }
        let decides = kind != Kind::Mitteilungsvorlage;
        if decides {
            bodies.push(COUNCIL);
        }
        for (i, b) in bodies.iter().enumerate() {
            session = next_session(rng, session);
            let role = if !decides {
                Role::Kenntnisnahme
            } else if i + 1 == bodies.len() {
                Role::Entscheidung
            } else {
                Role::Vorberatung
            };
            consultations.push(Consultation {
                date: session,
                body: b.to_string(),
                role: Some(role),
            });
        }
        let mut reasoning = format!("### Sachverhalt\n\n{topic}: ");
        for _ in 0..3 + rng.below(4) {
            let reason: &str = REASONS[rng.below(REASONS.len())];
            reasoning.push_str(reason);
            reasoning.push(' ');
        }
        reasoning.push_str(&format!(
            "\n\n### Begründung\n\nDer Standort {district} an der {street} ist betroffen. {}",
            rng.pick(REASONS)
        ));
        let resolution = if decides {
            vec![
                format!(
                    "Der {COUNCIL} beschließt die Vorlage „{subject}“ in der vorgelegten Fassung."
                ),
                "Die Verwaltung wird beauftragt, die Maßnahme umzusetzen und über den Fortgang zu berichten."
                    .to_string(),
            ]
        } else {
            Vec::new()
        };
        let costs = rng.chance(40);
        let financial_impact = FinancialImpact {
            none: !costs,
            text: costs.then(|| {
                format!(
                    "Es entstehen Kosten von {} Euro, veranschlagt im Haushalt {year}.",
                    10_000 * (1 + rng.below(500))
                )
            }),
        };
        let (name, function) = *rng.pick(SIGNATORIES);
        let department = self.department(Some(dept));
        let rng = &mut self.rng;
        let mut involved = Vec::new();
        if rng.chance(30) {
            let d = *rng.pick(DEPARTMENTS);
            if d.0 != department.number {
                involved.push(Department {
                    number: d.0.to_string(),
                    name: d.1.to_string(),
                });
            }
        }
        let attachments = if rng.chance(30) {
            vec![Attachment {
                title: format!("Lageplan {district}"),
            }]
        } else {
            Vec::new()
        };
        self.previous = Some((year, reference.clone(), subject.clone()));
        Paper {
            public,
            kind,
            reference: Some(reference),
            date,
            department,
            involved,
            subject,
            deciding_body: decides.then(|| COUNCIL.to_string()),
            consultations,
            resolution,
            summary: Some(format!(
                "Die Vorlage betrifft {topic} im Stadtteil {district}."
            )),
            reasoning,
            financial_impact,
            signatories: vec![Signatory {
                name: name.to_string(),
                function: function.to_string(),
            }],
            routing: Routing::default(),
            attachments,
            supplements,
        }
    }
}

impl Iterator for Generator {
    type Item = Paper;

    fn next(&mut self) -> Option<Paper> {
        (self.made < self.count).then(|| self.paper())
    }
}

/// Writes `count` papers for `seed` as records into `dir/<year>/<nnnn>-<year>.<ext>`
/// (`json` or `toml`) and returns their paths.
pub fn write_corpus(
    dir: &Path,
    count: usize,
    seed: u64,
    json: bool,
) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = Vec::with_capacity(count);
    for paper in Generator::new(seed, count) {
        let reference = paper
            .reference
            .clone()
            .expect("generated papers are numbered");
        let year = paper.date.year();
        let folder = dir.join(year.to_string());
        std::fs::create_dir_all(&folder)?;
        let stem = reference.replace('/', "-");
        let path = if json {
            let text = serde_json::to_string_pretty(&paper).map_err(std::io::Error::other)?;
            let path = folder.join(format!("{stem}.json"));
            std::fs::write(&path, text)?;
            path
        } else {
            let text = toml::to_string(&paper).map_err(std::io::Error::other)?;
            let path = folder.join(format!("{stem}.toml"));
            std::fs::write(&path, text)?;
            path
        };
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed() {
        let a: Vec<Paper> = Generator::new(7, 50).collect();
        let b: Vec<Paper> = Generator::new(7, 50).collect();
        let c: Vec<Paper> = Generator::new(8, 50).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 50);
        assert_eq!(a[0].reference.as_deref(), Some("0001/2005"));
    }

    #[test]
    fn written_records_are_valid_papers() {
        let dir = tempfile::tempdir().unwrap();
        for json in [false, true] {
            let out = dir.path().join(if json { "json" } else { "toml" });
            let paths = write_corpus(&out, 300, 42, json).unwrap();
            let mut non_public = 0;
            for path in &paths {
                let paper = Paper::load(path).unwrap_or_else(|e| panic!("{e}"));
                non_public += usize::from(!paper.public);
            }
            assert!(non_public > 5, "{non_public} non-public papers");
        }
    }
}
