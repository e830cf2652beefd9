//! German local time for the pages (Ortszeit, Europe/Berlin): MEZ (UTC+1), and MESZ (UTC+2)
//! from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC — the
//! EU rule (directive 2000/84/EC), in force in Germany since 1996. Times before 1996 are
//! shown by the same rule (the pages show signing and rendering times, which are later).

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

/// Whether the instant `t` falls in German summer time (MESZ).
pub fn is_summer_time(t: OffsetDateTime) -> bool {
    let t = t.to_offset(UtcOffset::UTC);
    let switch = |month| {
        last_sunday(t.year(), month)
            .with_hms(1, 0, 0)
            .expect("01:00:00 is a time")
            .assume_utc()
    };
    t >= switch(Month::March) && t < switch(Month::October)
}

/// The last Sunday of `month`, which has 31 days (March, October).
fn last_sunday(year: i32, month: Month) -> Date {
    let last = Date::from_calendar_date(year, month, 31).expect("March and October have 31 days");
    last - Duration::days(i64::from(last.weekday().number_days_from_sunday()))
}

/// The instant `t` in German local time and the zone's German abbreviation.
pub fn berlin(t: OffsetDateTime) -> (OffsetDateTime, &'static str) {
    if is_summer_time(t) {
        let offset = UtcOffset::from_hms(2, 0, 0).expect("UTC+2 is an offset");
        (t.to_offset(offset), "MESZ")
    } else {
        let offset = UtcOffset::from_hms(1, 0, 0).expect("UTC+1 is an offset");
        (t.to_offset(offset), "MEZ")
    }
}

/// "2026-11-24T09:05:00Z" → "24.11.2026, 10:05 Uhr (MEZ)"; a text that is no RFC 3339 time
/// is returned as it is.
pub fn german_time(rfc3339: &str) -> String {
    match OffsetDateTime::parse(rfc3339, &Rfc3339) {
        Ok(t) => {
            let (local, zone) = berlin(t);
            format!(
                "{:02}.{:02}.{}, {:02}:{:02} Uhr ({zone})",
                local.day(),
                u8::from(local.month()),
                local.year(),
                local.hour(),
                local.minute()
            )
        }
        Err(_) => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winter_and_summer_time() {
        assert_eq!(
            german_time("2026-11-24T09:05:00Z"),
            "24.11.2026, 10:05 Uhr (MEZ)"
        );
        assert_eq!(
            german_time("2026-07-01T12:30:00Z"),
            "01.07.2026, 14:30 Uhr (MESZ)"
        );
        // The day changes with the offset.
        assert_eq!(
            german_time("2026-12-31T23:30:00Z"),
            "01.01.2027, 00:30 Uhr (MEZ)"
        );
        // An offset in the input is an instant like any other.
        assert_eq!(
            german_time("2026-07-01T08:00:00-04:00"),
            "01.07.2026, 14:00 Uhr (MESZ)"
        );
        assert_eq!(german_time("kaputt"), "kaputt");
    }

    #[test]
    fn the_switches_are_at_one_oclock_utc_on_the_last_sundays() {
        // 2026: 29 March and 25 October; 2027: 28 March and 31 October (a 31st itself).
        for (before, at, after_zone) in [
            ("2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "MESZ"),
            ("2026-10-25T00:59:59Z", "2026-10-25T01:00:00Z", "MEZ"),
            ("2027-03-28T00:59:59Z", "2027-03-28T01:00:00Z", "MESZ"),
            ("2027-10-31T00:59:59Z", "2027-10-31T01:00:00Z", "MEZ"),
        ] {
            let before = OffsetDateTime::parse(before, &Rfc3339).unwrap();
            let at = OffsetDateTime::parse(at, &Rfc3339).unwrap();
            assert_eq!(berlin(at).1, after_zone, "{at}");
            assert_ne!(berlin(before).1, after_zone, "{before}");
        }
        // Spring: 01:59 MEZ is followed by 03:00 MESZ; autumn: 02:59 MESZ by 02:00 MEZ.
        assert_eq!(
            german_time("2026-03-29T00:59:00Z"),
            "29.03.2026, 01:59 Uhr (MEZ)"
        );
        assert_eq!(
            german_time("2026-03-29T01:00:00Z"),
            "29.03.2026, 03:00 Uhr (MESZ)"
        );
        assert_eq!(
            german_time("2026-10-25T00:59:00Z"),
            "25.10.2026, 02:59 Uhr (MESZ)"
        );
        assert_eq!(
            german_time("2026-10-25T01:00:00Z"),
            "25.10.2026, 02:00 Uhr (MEZ)"
        );
        assert_eq!(
            last_sunday(2024, Month::March),
            Date::from_calendar_date(2024, Month::March, 31).unwrap()
        );
    }
}
