//! The fødselsnummer / D-nummer check KOSTRA uses: a valid date part and two mod-11 check digits.

/// Why an 11-digit id failed the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnrProblem {
    NotDigits,
    InvalidDate,
    CheckDigit,
}

/// Checks an 11-digit fødselsnummer, D-nummer (day + 40) or synthetic number (month + 80).
/// Ids that are not 11 characters long are pseudonyms and are not checked (`None`).
pub fn check(id: &str) -> Option<Result<(), FnrProblem>> {
    if id.len() != 11 {
        return None;
    }
    // 11 bytes that are all ASCII digits are 11 digits; any other byte (a letter, or part of
    // a character of several bytes) is not a digit
    let mut digits = [0u32; 11];
    for (d, b) in digits.iter_mut().zip(id.bytes()) {
        if !b.is_ascii_digit() {
            return Some(Err(FnrProblem::NotDigits));
        }
        *d = u32::from(b - b'0');
    }
    Some(check_digits(&digits))
}

fn check_digits(d: &[u32]) -> Result<(), FnrProblem> {
    let mut day = d[0] * 10 + d[1];
    let mut month = d[2] * 10 + d[3];
    if day > 40 {
        day -= 40; // D-nummer
    }
    if month > 80 {
        month -= 80; // synthetic
    } else if month > 40 {
        month -= 40; // NAV's H/test numbers
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(FnrProblem::InvalidDate);
    }
    let k1 = control(&d[..9], &[3, 7, 6, 1, 8, 9, 4, 5, 2]);
    let k2 = control(&d[..10], &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
    if k1 == Some(d[9]) && k2 == Some(d[10]) {
        Ok(())
    } else {
        Err(FnrProblem::CheckDigit)
    }
}

fn control(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// Appends the two check digits to a 9-digit prefix, if the prefix has valid ones.
pub fn with_check_digits(prefix9: &str) -> Option<String> {
    let d: Vec<u32> = prefix9
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if d.len() != 9 {
        return None;
    }
    let k1 = control(&d, &[3, 7, 6, 1, 8, 9, 4, 5, 2])?;
    let mut d10 = d.clone();
    d10.push(k1);
    let k2 = control(&d10, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2])?;
    Some(format!("{prefix9}{k1}{k2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_numbers_with_valid_check_digits_pass() {
        // 15 March 1990 as a synthetic number: month 03 + 80 = 83.
        let id = (0..1000)
            .find_map(|i| with_check_digits(&format!("158390{i:03}")))
            .unwrap();
        assert_eq!(check(&id), Some(Ok(())));
    }

    #[test]
    fn a_changed_digit_fails() {
        let id = (0..1000)
            .find_map(|i| with_check_digits(&format!("158390{i:03}")))
            .unwrap();
        let mut bad: Vec<char> = id.chars().collect();
        bad[10] = char::from_digit((bad[10].to_digit(10).unwrap() + 1) % 10, 10).unwrap();
        let bad: String = bad.into_iter().collect();
        assert_eq!(check(&bad), Some(Err(FnrProblem::CheckDigit)));
    }

    #[test]
    fn pseudonyms_and_bad_dates() {
        assert_eq!(check("P-000123"), None);
        assert_eq!(check("1234567890X"), Some(Err(FnrProblem::NotDigits)));
        assert_eq!(check("32139012345"), Some(Err(FnrProblem::InvalidDate)));
    }

    #[test]
    fn characters_of_several_bytes_are_not_digits() {
        // 11 bytes, 10 characters
        assert_eq!(check("123456789é"), Some(Err(FnrProblem::NotDigits)));
        // an Arabic-Indic digit three is two bytes and not an ASCII digit
        assert_eq!(check("12345678\u{663}1"), Some(Err(FnrProblem::NotDigits)));
    }

    /// The definition by characters (11 bytes, each character a decimal digit) that the byte
    /// loop replaces, for any id.
    fn by_chars(id: &str) -> Option<Result<(), FnrProblem>> {
        if id.len() != 11 {
            return None;
        }
        let d: Option<Vec<u32>> = id.chars().map(|c| c.to_digit(10)).collect();
        Some(d.map_or(Err(FnrProblem::NotDigits), |d| check_digits(&d)))
    }

    proptest::proptest! {
        #[test]
        fn bytes_and_characters_agree(id in "[0-9a-zé\u{663}]{0,12}|[0-9]{11}") {
            proptest::prop_assert_eq!(check(&id), by_chars(&id));
        }
    }

    #[test]
    fn d_numbers_are_accepted() {
        // day 15 + 40 = 55
        let id = (0..1000)
            .find_map(|i| with_check_digits(&format!("550390{i:03}")))
            .unwrap();
        assert_eq!(check(&id), Some(Ok(())));
    }
}
