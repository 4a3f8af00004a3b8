//! The numeric value of a simple LaTeX expression (`\frac{3}{4}`, `2\sqrt{3}`, `\pi/6`, `1.5e3`,
//! `2^{10}`): translated to `evalexpr` syntax and evaluated there, in floating point.

/// Translates the LaTeX of a normalized answer into an arithmetic expression, or `None` when it
/// holds anything but numbers, `+ - * / ^`, parentheses, `\frac`, `\sqrt`, `\pi`, `\cdot`,
/// `\times`, `\div` and `%`.
fn translate(latex: &str) -> Option<String> {
    let chars: Vec<char> = latex.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // Whether the last thing written ends a value, so that a following value multiplies it.
    let mut after_value = false;
    let value_start = |out: &mut String, after_value: &mut bool| {
        if *after_value {
            out.push('*');
        }
        *after_value = false;
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || c == '.' {
            value_start(&mut out, &mut after_value);
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            number.parse::<f64>().ok()?;
            out.push_str(&number);
            if !number.contains('.') {
                out.push_str(".0");
            }
            after_value = true;
            continue;
        }
        if c == '\\' {
            let start = i + 1;
            i = start;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            let command: String = chars[start..i].iter().collect();
            match command.as_str() {
                "frac" => {
                    value_start(&mut out, &mut after_value);
                    let (num, next) = group(&chars, i)?;
                    let (den, next) = group(&chars, next)?;
                    out.push_str(&format!("(({})/({}))", translate(&num)?, translate(&den)?));
                    i = next;
                    after_value = true;
                }
                "sqrt" => {
                    value_start(&mut out, &mut after_value);
                    let (root, next) = if chars.get(i) == Some(&'[') {
                        let end = i + chars[i..].iter().position(|&c| c == ']')?;
                        (Some(chars[i + 1..end].iter().collect::<String>()), end + 1)
                    } else {
                        (None, i)
                    };
                    let (radicand, next) = group(&chars, next)?;
                    let radicand = translate(&radicand)?;
                    match root {
                        None => out.push_str(&format!("math::sqrt({radicand})")),
                        Some(r) => out.push_str(&format!("(({radicand})^(1.0/({})))", translate(&r)?)),
                    }
                    i = next;
                    after_value = true;
                }
                "pi" => {
                    value_start(&mut out, &mut after_value);
                    out.push_str(&format!("{}", std::f64::consts::PI));
                    after_value = true;
                }
                "cdot" | "times" => {
                    out.push('*');
                    after_value = false;
                }
                "div" => {
                    out.push('/');
                    after_value = false;
                }
                _ => return None,
            }
            continue;
        }
        match c {
            '{' | '(' => {
                value_start(&mut out, &mut after_value);
                out.push('(');
            }
            '}' | ')' => {
                out.push(')');
                after_value = true;
            }
            '+' | '-' | '*' | '/' | '^' => {
                out.push(c);
                after_value = false;
            }
            '%' => {
                out.push_str("/100.0");
                after_value = true;
            }
            c if c.is_whitespace() => {}
            _ => return None,
        }
        i += 1;
    }
    Some(out)
}

/// The `{…}` group at `at` (or a single character, as in `\frac12`): its contents and the index
/// after it.
fn group(chars: &[char], at: usize) -> Option<(String, usize)> {
    let first = *chars.get(at)?;
    if first != '{' {
        return Some((first.to_string(), at + 1));
    }
    let mut depth = 0;
    for (j, &c) in chars.iter().enumerate().skip(at) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((chars[at + 1..j].iter().collect(), j + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// The value of a normalized answer that is a number or a simple expression.
pub fn value(normalized: &str) -> Option<f64> {
    if normalized.is_empty() {
        return None;
    }
    if let Ok(x) = normalized.parse::<f64>() {
        return x.is_finite().then_some(x);
    }
    let expression = translate(normalized)?;
    let x = evalexpr::eval_number(&expression).ok()?;
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_values() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        for (latex, want) in [
            (r"\frac{3}{4}", 0.75),
            (r"\frac12", 0.5),
            (r"2\sqrt{3}", 2.0 * 3f64.sqrt()),
            (r"\frac{\sqrt{3}}{2}", 3f64.sqrt() / 2.0),
            (r"\frac{\pi}{6}", std::f64::consts::PI / 6.0),
            (r"3\pi", 3.0 * std::f64::consts::PI),
            ("2^{10}", 1024.0),
            (r"\sqrt[3]{27}", 3.0),
            ("-7/2", -3.5),
            ("50%", 0.5),
            ("1.5e3", 1500.0),
            (r"2 \cdot 3", 6.0),
        ] {
            let got = value(latex).unwrap_or_else(|| panic!("{latex} has no value"));
            assert!(close(got, want), "{latex}: {got} != {want}");
        }
        for not_numeric in ["x+1", r"\alpha", "(1,2)", "", "1/0"] {
            assert_eq!(value(not_numeric), None, "{not_numeric}");
        }
    }
}
