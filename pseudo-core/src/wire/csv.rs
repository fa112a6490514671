//! A strict RFC 4180 reader and writer: every field of every record is one value.

use std::borrow::Cow;

/// A parsed CSV body: values row by row, and each record's field count (to answer in the same shape).
#[derive(Debug, Default)]
pub(crate) struct Records<'a> {
    /// Fields borrow from the body unless quoting changed them.
    pub(crate) values: Vec<Cow<'a, str>>,
    pub(crate) widths: Vec<usize>,
}

/// Why a CSV body was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CsvError {
    /// A quoted field is not closed before the end of the body.
    UnclosedQuote { line: usize },
    /// A quote inside an unquoted field, or text after a closing quote.
    StrayQuote { line: usize },
    /// More values than the limit.
    TooManyItems,
}

/// Parses `text`. Lines that are completely empty are skipped; CRLF and LF both end a record.
pub(crate) fn parse(text: &str, max_items: usize) -> Result<Records<'_>, CsvError> {
    let mut out = Records::default();
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = 1;
    let mut field = String::new();
    let mut value: Cow<'_, str>;
    let mut width = 0;
    let mut at_record_start = true;
    while i <= b.len() {
        // Empty line (or the very end of the body right after a record).
        if at_record_start && (i == b.len() || b[i] == b'\n' || b[i] == b'\r') {
            if i == b.len() {
                break;
            }
            i += if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            line += 1;
            continue;
        }
        at_record_start = false;
        field.clear();
        if b.get(i) == Some(&b'"') {
            // Quoted field: runs to the matching quote; "" is an escaped quote.
            let start_line = line;
            i += 1;
            let mut seg = i;
            loop {
                match b.get(i) {
                    None => return Err(CsvError::UnclosedQuote { line: start_line }),
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                        field.push_str(&text[seg..=i]);
                        i += 2;
                        seg = i;
                    }
                    Some(b'"') => {
                        field.push_str(&text[seg..i]);
                        i += 1;
                        break;
                    }
                    Some(b'\n') => {
                        line += 1;
                        i += 1;
                    }
                    Some(_) => i += 1,
                }
            }
            match b.get(i) {
                None | Some(b',') | Some(b'\n') | Some(b'\r') => {}
                Some(_) => return Err(CsvError::StrayQuote { line }),
            }
            value = Cow::Owned(std::mem::take(&mut field));
        } else {
            let start = i;
            while let Some(&c) = b.get(i) {
                match c {
                    b',' | b'\n' | b'\r' => break,
                    b'"' => return Err(CsvError::StrayQuote { line }),
                    _ => i += 1,
                }
            }
            value = Cow::Borrowed(&text[start..i]);
        }
        if out.values.len() >= max_items {
            return Err(CsvError::TooManyItems);
        }
        out.values.push(value);
        width += 1;
        if b.get(i) == Some(&b',') {
            // A comma at the very end still opens one more (empty) field: the loop runs once more.
            i += 1;
            continue;
        }
        out.widths.push(width);
        width = 0;
        at_record_start = true;
        if i == b.len() {
            break;
        }
        i += if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
        line += 1;
    }
    Ok(out)
}

fn needs_quotes(v: &str) -> bool {
    v.is_empty()
        || v.bytes().any(|c| matches!(c, b',' | b'"' | b'\r' | b'\n'))
        || v.starts_with(' ')
        || v.ends_with(' ')
}

/// Writes `values` as CSV records of the given widths (CRLF line ends, RFC 4180 quoting).
pub(crate) fn write<'a>(values: impl Iterator<Item = &'a str>, widths: &[usize], out: &mut Vec<u8>) {
    let mut values = values;
    for &w in widths {
        for j in 0..w {
            if j > 0 {
                out.push(b',');
            }
            let v = values.next().unwrap_or_default();
            if needs_quotes(v) {
                out.push(b'"');
                for c in v.bytes() {
                    if c == b'"' {
                        out.push(b'"');
                    }
                    out.push(c);
                }
                out.push(b'"');
            } else {
                out.extend_from_slice(v.as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<(Vec<String>, Vec<usize>), CsvError> {
        parse(s, 100).map(|r| (r.values.into_iter().map(|v| v.into_owned()).collect(), r.widths))
    }

    #[test]
    fn simple_rows_and_quotes() {
        let (v, w) = p("Example PID 1,Example PID 2\r\n\"a,b\",\"say \"\"hi\"\"\"\nlast").unwrap();
        assert_eq!(v, ["Example PID 1", "Example PID 2", "a,b", "say \"hi\"", "last"]);
        assert_eq!(w, [2, 2, 1]);
    }

    #[test]
    fn multiline_quoted_field_and_blank_lines() {
        let (v, w) = p("\n\"x\ny\",z\n\n").unwrap();
        assert_eq!(v, ["x\ny", "z"]);
        assert_eq!(w, [2]);
    }

    #[test]
    fn broken_quotes_are_refused() {
        assert_eq!(p("a,\"b"), Err(CsvError::UnclosedQuote { line: 1 }));
        assert_eq!(p("a,b\"c"), Err(CsvError::StrayQuote { line: 1 }));
        assert_eq!(p("\"a\"b"), Err(CsvError::StrayQuote { line: 1 }));
    }

    #[test]
    fn trailing_comma_is_an_empty_field() {
        let (v, w) = p("a,").unwrap();
        assert_eq!(v, ["a", ""]);
        assert_eq!(w, [2]);
    }

    #[test]
    fn item_limit() {
        assert_eq!(parse("a,b,c", 2).map(|r| r.values), Err(CsvError::TooManyItems));
    }

    #[test]
    fn writer_round_trips() {
        let vals = ["plain", "a,b", "q\"q", "line\nbreak"];
        let mut out = Vec::new();
        write(vals.iter().copied(), &[2, 2], &mut out);
        let text = String::from_utf8(out).unwrap();
        let (v, w) = p(&text).unwrap();
        assert_eq!(v, vals);
        assert_eq!(w, [2, 2]);
    }
}
