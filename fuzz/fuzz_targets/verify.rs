//! Fuzzes signature verification: `sign::verify` of any bytes (signed PDFs, damaged ones,
//! anything) returns a report and never panics, and a report that calls the file valid has
//! at least one signature and no problem.
#![no_main]

use drucksache::sign::verify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = verify(data, &[]);
    let _ = format!("{report:?}");
    if report.valid {
        assert!(!report.signatures.is_empty() && report.problems.is_empty());
    }
});
