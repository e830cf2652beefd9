//! Calendar date of a paper or session, written `YYYY-MM-DD` in records and `TT.MM.JJJJ` on paper.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The years a paper's dates may have: from the oldest papers an archive imports to far
/// enough ahead for any blocking date. Outside them a date is a typing error (0000, 9999).
pub const YEARS: std::ops::RangeInclusive<i32> = 1800..=2199;

/// A real calendar date (2012-02-31 is refused) in one of the [`YEARS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

impl Date {
    /// Parses `YYYY-MM-DD`; `None` for anything else, an impossible day or a year outside
    /// [`YEARS`].
    pub fn parse_iso(text: &str) -> Option<Date> {
        Date::parse_any_year(text).filter(|d| YEARS.contains(&d.year()))
    }

    /// Parses `YYYY-MM-DD` in any year (validation tells an impossible day from a year out
    /// of range).
    pub(crate) fn parse_any_year(text: &str) -> Option<Date> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(text, &format).ok().map(Date)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month(self) -> u8 {
        self.0.month().into()
    }

    pub fn day(self) -> u8 {
        self.0.day()
    }

    /// The German form printed on papers: `25.04.2012`.
    pub fn german(self) -> String {
        format!("{:02}.{:02}.{:04}", self.day(), self.month(), self.year())
    }
}

impl Date {
    /// Today in UTC: the day that decides which papers are published (`gesperrt_bis`).
    pub fn today() -> Date {
        let now = time::OffsetDateTime::now_utc().date();
        Date(now)
    }

    /// The day after this one.
    pub fn next_day(self) -> Option<Date> {
        self.0.next_day().map(Date)
    }
}

/// Where "today" comes from: the system clock ([`Clock::system`]), or a day a test sets and
/// moves ([`Clock::manual`]), so that the day a blocking date ends can be tested. Cheap to
/// clone; every clone reads the same source.
#[derive(Clone)]
pub struct Clock(std::sync::Arc<dyn Fn() -> Date + Send + Sync>);

impl Clock {
    /// Today in UTC.
    pub fn system() -> Clock {
        Clock(std::sync::Arc::new(Date::today))
    }

    /// A clock that shows the day in `day` (change it to move the clock).
    pub fn manual(day: std::sync::Arc<std::sync::Mutex<Date>>) -> Clock {
        Clock(std::sync::Arc::new(move || {
            *day.lock().unwrap_or_else(|e| e.into_inner())
        }))
    }

    pub fn today(&self) -> Date {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock({})", self.today())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        Date::parse_iso(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text} is not a date (YYYY-MM-DD)")))
    }
}

impl JsonSchema for Date {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_dates_only() {
        let d = Date::parse_iso("2012-04-25").unwrap();
        assert_eq!(d.german(), "25.04.2012");
        assert_eq!(d.to_string(), "2012-04-25");
        assert!(Date::parse_iso("2012-02-29").is_some());
        assert!(Date::parse_iso("2013-02-29").is_none());
        assert!(Date::parse_iso("2012-02-31").is_none());
        assert!(Date::parse_iso("25.04.2012").is_none());
    }
}
