//! Unpacking the streams the words walk reads (content streams, forms, `/ToUnicode` maps):
//! no filter or `/FlateDecode`, within a budget of bytes, so that a small hostile PDF cannot
//! unpack into gigabytes.

use std::cell::RefCell;

use flate2::{Decompress, FlushDecompress, Status};
use hayro_syntax::object::{Dict, Name, Object as PdfObject, Stream};

/// Why a stream was not unpacked.
#[derive(Debug)]
pub(super) enum UnpackError {
    /// It would take more than the budget left.
    TooLarge,
    /// It is damaged or packed in a way not read here: the reason.
    Damaged(String),
}

fn damaged(reason: &str) -> UnpackError {
    UnpackError::Damaged(reason.to_string())
}

/// The bytes of a stream without its filter, counted against `budget`: no filter or
/// `/FlateDecode` (what Typst writes); other filters are refused rather than unpacked without
/// a limit.
pub(super) fn unpack(stream: &Stream<'_>, budget: &mut usize) -> Result<Vec<u8>, UnpackError> {
    let dict = stream.dict();
    let filter = match dict.get::<PdfObject<'_>>(b"Filter") {
        None => None,
        Some(PdfObject::Name(n)) => Some(n.to_vec()),
        Some(PdfObject::Array(a)) => {
            let names: Vec<Name<'_>> = a.iter::<Name<'_>>().collect();
            match names.as_slice() {
                [] => None,
                [one] => Some(one.to_vec()),
                _ => return Err(damaged("it is packed with more than one filter")),
            }
        }
        Some(_) => return Err(damaged("its /Filter is neither a name nor an array")),
    };
    let raw = stream.raw_data();
    let data = match filter.as_deref() {
        None => raw.to_vec(),
        Some(b"FlateDecode" | b"Fl") => {
            if dict
                .get::<Dict<'_>>(b"DecodeParms")
                .and_then(|p| p.get::<i32>(b"Predictor"))
                .is_some_and(|p| p > 1)
            {
                return Err(damaged("it uses a predictor"));
            }
            inflate(&raw, *budget)?
        }
        Some(other) => {
            return Err(UnpackError::Damaged(format!(
                "it is packed with /{}, which drucksache does not unpack",
                String::from_utf8_lossy(other)
            )));
        }
    };
    if data.len() > *budget {
        return Err(UnpackError::TooLarge);
    }
    *budget -= data.len();
    Ok(data)
}

thread_local! {
    /// One inflate state per thread, reset for every stream: a paper has a few dozen streams
    /// and a fresh state allocates (and zeroes) its window each time.
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(true));
}

/// Inflates a zlib stream, at most `limit` bytes of output.
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, UnpackError> {
    INFLATE.with_borrow_mut(|z| {
        z.reset(true);
        let mut out = Vec::with_capacity((data.len() * 4).clamp(1024, limit.max(1024)));
        loop {
            if out.len() == out.capacity() {
                if out.len() >= limit {
                    return Err(UnpackError::TooLarge);
                }
                out.reserve(out.len().max(4096).min(limit - out.len()));
            }
            let (read, written) = (z.total_in(), z.total_out());
            let rest = data.get(read as usize..).unwrap_or_default();
            let status = z
                .decompress_vec(rest, &mut out, FlushDecompress::Finish)
                .map_err(|e| {
                    UnpackError::Damaged(format!(
                        "its compressed data is damaged near byte {read} ({e})"
                    ))
                })?;
            if status == Status::StreamEnd {
                return if out.len() > limit {
                    Err(UnpackError::TooLarge)
                } else {
                    Ok(out)
                };
            }
            if (z.total_in(), z.total_out()) == (read, written) {
                return Err(UnpackError::Damaged(format!(
                    "its compressed data ends early (after {} bytes)",
                    data.len()
                )));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn inflating_stops_at_the_limit_and_names_damage() {
        let text = b"BT /F1 12 Tf (Beschlussvorschlag) Tj ET\n".repeat(1000);
        let packed = zlib(&text);
        // The state is reused: the same stream twice, and another in between.
        assert_eq!(inflate(&packed, 1 << 20).unwrap(), text);
        assert_eq!(inflate(&zlib(b"q Q"), 1 << 20).unwrap(), b"q Q");
        assert_eq!(inflate(&packed, text.len()).unwrap(), text);
        assert!(matches!(
            inflate(&packed, text.len() - 1),
            Err(UnpackError::TooLarge)
        ));
        let bomb = zlib(&vec![0; 8 << 20]);
        assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
        assert!(matches!(
            inflate(&bomb, 1 << 20),
            Err(UnpackError::TooLarge)
        ));
        let cut = &packed[..packed.len() / 2];
        match inflate(cut, 1 << 20) {
            Err(UnpackError::Damaged(reason)) => assert!(reason.contains("ends early"), "{reason}"),
            other => panic!("{other:?}"),
        }
        let mut flipped = packed.clone();
        flipped[0] ^= 0xff;
        match inflate(&flipped, 1 << 20) {
            Err(UnpackError::Damaged(reason)) => assert!(reason.contains("byte 0"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
