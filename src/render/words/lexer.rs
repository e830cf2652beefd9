//! A content-stream tokenizer for the words walk: operators with their operands, as PDF 2.0
//! §7.2–7.3 and §8.9.7 (inline images) write them. It keeps one operand buffer for the
//! whole stream and allocates only for names, strings, arrays and dictionaries, so a page full
//! of vector paths (the coat of arms) costs little; lopdf's parser allocated per operation.

use lopdf::{Dictionary, Object, StringFormat};

/// Arrays and dictionaries nested deeper than this are refused.
const MAX_DEPTH: usize = 32;

/// Why a content stream does not tokenize, with the byte offset.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct LexError {
    pub(super) at: usize,
    pub(super) what: &'static str,
}

impl std::fmt::Display for LexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

/// The operations of one content stream, one after another.
pub(super) struct Operations<'c> {
    data: &'c [u8],
    at: usize,
    operands: Vec<Object>,
}

enum Token<'c> {
    Object(Object),
    Keyword(&'c [u8]),
    ArrayEnd,
    DictEnd,
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_space(b) && !is_delimiter(b)
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

impl<'c> Operations<'c> {
    pub(super) fn new(data: &'c [u8]) -> Operations<'c> {
        Operations {
            data,
            at: 0,
            operands: Vec::new(),
        }
    }

    /// The operands of the operation [`Self::next_operation`] returned last.
    pub(super) fn operands(&self) -> &[Object] {
        &self.operands
    }

    /// The next operator (its operands in [`Self::operands`]), or `None` at the end.
    /// Operands after the last operator are dropped.
    pub(super) fn next_operation(&mut self) -> Result<Option<&'c [u8]>, LexError> {
        self.operands.clear();
        loop {
            match self.token(0)? {
                None => return Ok(None),
                Some(Token::Object(object)) => self.operands.push(object),
                Some(Token::Keyword(b"ID")) => {
                    self.skip_inline_image()?;
                    return Ok(Some(b"ID"));
                }
                Some(Token::Keyword(keyword)) => return Ok(Some(keyword)),
                Some(Token::ArrayEnd) => return Err(self.error("a ] without its [")),
                Some(Token::DictEnd) => return Err(self.error("a >> without its <<")),
            }
        }
    }

    fn error(&self, what: &'static str) -> LexError {
        LexError { at: self.at, what }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_space(b) {
                self.at += 1;
            } else if b == b'%' {
                while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.at += 1;
                }
            } else {
                break;
            }
        }
    }

    fn regular_run(&mut self) -> &'c [u8] {
        let start = self.at;
        while self.peek().is_some_and(is_regular) {
            self.at += 1;
        }
        &self.data[start..self.at]
    }

    fn token(&mut self, depth: usize) -> Result<Option<Token<'c>>, LexError> {
        self.skip_space();
        let Some(b) = self.peek() else {
            return Ok(None);
        };
        let token = match b {
            b'/' => {
                self.at += 1;
                Token::Object(Object::Name(self.name()))
            }
            b'(' => {
                self.at += 1;
                Token::Object(Object::String(self.literal()?, StringFormat::Literal))
            }
            b'<' if self.data.get(self.at + 1) == Some(&b'<') => {
                self.at += 2;
                Token::Object(Object::Dictionary(self.dictionary(depth + 1)?))
            }
            b'<' => {
                self.at += 1;
                Token::Object(Object::String(
                    self.hex_string()?,
                    StringFormat::Hexadecimal,
                ))
            }
            b'>' if self.data.get(self.at + 1) == Some(&b'>') => {
                self.at += 2;
                Token::DictEnd
            }
            b'[' => {
                self.at += 1;
                Token::Object(Object::Array(self.array(depth + 1)?))
            }
            b']' => {
                self.at += 1;
                Token::ArrayEnd
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => {
                let start = self.at;
                let run = self.regular_run();
                Token::Object(number(run).ok_or(LexError {
                    at: start,
                    what: "a malformed number",
                })?)
            }
            b')' | b'>' | b'{' | b'}' => return Err(self.error("an unexpected delimiter")),
            _ => match self.regular_run() {
                b"true" => Token::Object(Object::Boolean(true)),
                b"false" => Token::Object(Object::Boolean(false)),
                b"null" => Token::Object(Object::Null),
                keyword => Token::Keyword(keyword),
            },
        };
        Ok(Some(token))
    }

    fn name(&mut self) -> Vec<u8> {
        let run = self.regular_run();
        let mut name = Vec::with_capacity(run.len());
        let mut i = 0;
        while i < run.len() {
            match (
                run[i],
                run.get(i + 1).and_then(|&b| hex(b)),
                run.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (b'#', Some(h), Some(l)) => {
                    name.push(h << 4 | l);
                    i += 3;
                }
                (b, _, _) => {
                    name.push(b);
                    i += 1;
                }
            }
        }
        name
    }

    fn literal(&mut self) -> Result<Vec<u8>, LexError> {
        let start = self.at - 1;
        let mut out = Vec::new();
        let mut open = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(LexError {
                    at: start,
                    what: "a string that is never closed",
                });
            };
            self.at += 1;
            match b {
                b'(' => {
                    open += 1;
                    out.push(b);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        return Ok(out);
                    }
                    out.push(b);
                }
                b'\\' => self.escape(&mut out),
                b'\r' => {
                    // An end of line in a string is one \n, whichever it was.
                    if self.peek() == Some(b'\n') {
                        self.at += 1;
                    }
                    out.push(b'\n');
                }
                _ => out.push(b),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) {
        let Some(b) = self.peek() else { return };
        self.at += 1;
        match b {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'0'..=b'7' => {
                let mut value = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            self.at += 1;
                        }
                        _ => break,
                    }
                }
                out.push(value as u8);
            }
            // A backslash before an end of line continues the string on the next line.
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.at += 1;
                }
            }
            b'\n' => {}
            _ => out.push(b),
        }
    }

    fn hex_string(&mut self) -> Result<Vec<u8>, LexError> {
        let start = self.at - 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(b) = self.peek() else {
                return Err(LexError {
                    at: start,
                    what: "a hexadecimal string that is never closed",
                });
            };
            self.at += 1;
            if b == b'>' {
                if let Some(h) = high {
                    out.push(h << 4);
                }
                return Ok(out);
            }
            if is_space(b) {
                continue;
            }
            let Some(d) = hex(b) else {
                return Err(LexError {
                    at: self.at - 1,
                    what: "a hexadecimal string with a byte that is no hex digit",
                });
            };
            match high.take() {
                Some(h) => out.push(h << 4 | d),
                None => high = Some(d),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Vec<Object>, LexError> {
        if depth > MAX_DEPTH {
            return Err(self.error("arrays or dictionaries nested more than 32 deep"));
        }
        let start = self.at - 1;
        let mut items = Vec::new();
        loop {
            match self.token(depth)? {
                Some(Token::Object(object)) => items.push(object),
                Some(Token::ArrayEnd) => return Ok(items),
                Some(Token::Keyword(_)) => return Err(self.error("an operator inside an array")),
                Some(Token::DictEnd) => return Err(self.error("a >> inside an array")),
                None => {
                    return Err(LexError {
                        at: start,
                        what: "an array that is never closed",
                    });
                }
            }
        }
    }

    fn dictionary(&mut self, depth: usize) -> Result<Dictionary, LexError> {
        if depth > MAX_DEPTH {
            return Err(self.error("arrays or dictionaries nested more than 32 deep"));
        }
        let start = self.at - 2;
        let mut dict = Dictionary::new();
        loop {
            let key = match self.token(depth)? {
                Some(Token::DictEnd) => return Ok(dict),
                Some(Token::Object(Object::Name(key))) => key,
                None => {
                    return Err(LexError {
                        at: start,
                        what: "a dictionary that is never closed",
                    });
                }
                Some(_) => return Err(self.error("a dictionary key that is not a name")),
            };
            match self.token(depth)? {
                Some(Token::Object(value)) => dict.set(key, value),
                _ => return Err(self.error("a dictionary key without a value")),
            }
        }
    }

    /// Skips an inline image's data after `ID`: up to `EI` between white space (or the end).
    fn skip_inline_image(&mut self) -> Result<(), LexError> {
        let start = self.at;
        // One white-space byte follows ID before the data.
        self.at += 1;
        while self.at + 2 <= self.data.len() {
            let before = self.at == 0 || is_space(self.data[self.at - 1]);
            let after = self.data.get(self.at + 2).is_none_or(|&b| is_space(b));
            if before && after && &self.data[self.at..self.at + 2] == b"EI" {
                self.at += 2;
                return Ok(());
            }
            self.at += 1;
        }
        Err(LexError {
            at: start,
            what: "an inline image without EI",
        })
    }
}

/// `12`, `-3`, `+.5`, `4.`: an integer or a real.
fn number(run: &[u8]) -> Option<Object> {
    let text = std::str::from_utf8(run).ok()?;
    if !text.contains('.') {
        return text.parse::<i64>().ok().map(Object::Integer);
    }
    let digits = text.trim_start_matches(['+', '-']);
    if digits == "." || digits.matches('.').count() > 1 {
        return None;
    }
    text.parse::<f32>().ok().map(Object::Real)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> Result<Vec<(String, Vec<Object>)>, LexError> {
        let mut ops = Operations::new(data);
        let mut out = Vec::new();
        while let Some(op) = ops.next_operation()? {
            out.push((
                String::from_utf8_lossy(op).into_owned(),
                ops.operands().to_vec(),
            ));
        }
        Ok(out)
    }

    #[test]
    fn operators_and_their_operands() {
        let ops =
            all(b"q 1 0 0 -1 .5 +3. cm BT /F#201 12 Tf [(Ab\\(c\\)) -250 <48 6>] TJ ET Q").unwrap();
        let names: Vec<_> = ops.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, ["q", "cm", "BT", "Tf", "TJ", "ET", "Q"]);
        assert_eq!(ops[1].1[4], Object::Real(0.5));
        assert_eq!(ops[1].1[5], Object::Real(3.0));
        assert_eq!(ops[1].1[3], Object::Integer(-1));
        assert_eq!(ops[3].1[0], Object::Name(b"F 1".to_vec()));
        let Object::Array(parts) = &ops[4].1[0] else {
            panic!()
        };
        assert_eq!(
            parts[0],
            Object::String(b"Ab(c)".to_vec(), StringFormat::Literal)
        );
        assert_eq!(parts[1], Object::Integer(-250));
        assert_eq!(
            parts[2],
            Object::String(b"H`".to_vec(), StringFormat::Hexadecimal)
        );
    }

    #[test]
    fn strings_dictionaries_and_inline_images() {
        let ops = all(b"/Span <</ActualText (a(b)c\\101\\\nd) /N [1 2]>> BDC EMC\nBI /W 1 ID \x01EI\xff EI Q % end\n")
            .unwrap();
        let names: Vec<_> = ops.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, ["BDC", "EMC", "BI", "ID", "Q"]);
        let Object::Dictionary(d) = &ops[0].1[1] else {
            panic!()
        };
        assert_eq!(
            d.get(b"ActualText").unwrap(),
            &Object::String(b"a(b)cAd".to_vec(), StringFormat::Literal)
        );
    }

    /// Any bytes end in operations or an error naming a byte inside them, never a panic:
    /// every prefix and many byte flips of a stream that uses every kind of token.
    #[test]
    fn any_bytes_tokenize_or_fail_cleanly() {
        let sample: &[u8] = br"q 1 0 0 -1 .5 +3. cm BT /F#201 12 Tf [(A\b\(c\) \101\n) -250 <48 6>] TJ ET /Span <</ActualText <FEFF0041> /K [1 [2 true null]]>> BDC EMC BI /W 1 ID  EI Q % c";
        let check = |data: &[u8]| match all(data) {
            Ok(_) => {}
            Err(e) => assert!(e.at <= data.len(), "{e} in {data:?}"),
        };
        for end in 0..=sample.len() {
            check(&sample[..end]);
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut data = sample.to_vec();
            for _ in 0..3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = (state % data.len() as u64) as usize;
                data[at] = (state >> 32) as u8;
            }
            check(&data);
        }
    }

    #[test]
    fn damaged_streams_name_the_byte() {
        assert_eq!(
            all(b"BT (open Tj").unwrap_err(),
            LexError {
                at: 3,
                what: "a string that is never closed"
            }
        );
        assert_eq!(all(b"1 2 ] Td").unwrap_err().what, "a ] without its [");
        assert_eq!(
            all(b"<4G> Tj").unwrap_err(),
            LexError {
                at: 2,
                what: "a hexadecimal string with a byte that is no hex digit"
            }
        );
        assert_eq!(
            all(b"1.2.3 Tc").unwrap_err(),
            LexError {
                at: 0,
                what: "a malformed number"
            }
        );
        assert_eq!(
            all(b"<< 1 2 >> BDC").unwrap_err().what,
            "a dictionary key that is not a name"
        );
        let deep = [b"[".repeat(40), b"]".repeat(40)].concat();
        assert_eq!(
            all(&deep).unwrap_err().what,
            "arrays or dictionaries nested more than 32 deep"
        );
        assert_eq!(
            all(b"BI ID \x01\x02").unwrap_err().what,
            "an inline image without EI"
        );
    }
}
