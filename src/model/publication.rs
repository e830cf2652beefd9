//! Whether and from which day the public may see a paper: the rule of Öffentlichkeit and
//! Verfügung (`oeffentlich`, `verfuegung.veroeffentlichung`, `verfuegung.gesperrt_bis`), in
//! this one place. The index, the archive's stored `published_from` column and the service
//! all ask [`Paper::published_from`].

use super::{Date, Paper};

/// From when the public may see a paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Never: not public (`oeffentlich = false`), or publication not released
    /// (`veroeffentlichung = false` without a `gesperrt_bis` date).
    Never,
    /// From the moment it is archived.
    Now,
    /// From this day on: the day after "gesperrt bis einschließlich".
    From(Date),
}

impl Release {
    /// Whether a paper released like this may be shown on `today`.
    pub fn is_published_on(self, today: Date) -> bool {
        match self {
            Release::Never => false,
            Release::Now => true,
            Release::From(day) => day <= today,
        }
    }
}

impl Paper {
    /// From when the public may see this paper: public (`oeffentlich = true`) and either
    /// released (`veroeffentlichung = true`) or blocked only until a date (`gesperrt_bis`),
    /// which then decides (the block includes that day).
    pub fn published_from(&self) -> Release {
        if !self.public {
            return Release::Never;
        }
        match self.routing.blocked_until {
            Some(until) => until.next_day().map_or(Release::Never, Release::From),
            None if self.routing.publish => Release::Now,
            None => Release::Never,
        }
    }

    /// Whether the public may see this paper on `today`.
    pub fn is_published_on(&self, today: Date) -> bool {
        self.published_from().is_published_on(today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Paper {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("archive/papers/2012/0310-2012.toml");
        Paper::load(&path).unwrap()
    }

    fn day(text: &str) -> Date {
        Date::parse_iso(text).unwrap()
    }

    #[test]
    fn public_released_paper_is_published_at_once() {
        let paper = seed();
        assert!(paper.public && paper.routing.publish);
        assert_eq!(paper.published_from(), Release::Now);
        assert!(paper.is_published_on(day("1900-01-01")));
    }

    #[test]
    fn a_block_ends_the_day_after_its_date() {
        let mut paper = seed();
        paper.routing.publish = false;
        paper.routing.blocked_until = Some(day("2026-01-14"));
        assert_eq!(paper.published_from(), Release::From(day("2026-01-15")));
        assert!(!paper.is_published_on(day("2026-01-14")));
        assert!(paper.is_published_on(day("2026-01-15")));
    }

    #[test]
    fn not_public_or_not_released_is_never_published() {
        let mut paper = seed();
        paper.public = false;
        assert_eq!(paper.published_from(), Release::Never);
        let mut paper = seed();
        paper.routing.publish = false;
        assert_eq!(paper.published_from(), Release::Never);
        let mut paper = seed();
        paper.public = false;
        paper.routing.blocked_until = Some(day("2026-01-14"));
        assert!(!paper.is_published_on(day("2199-12-31")));
    }
}
