//! Salesforce record Ids: 15-character case-sensitive and 18-character case-insensitive forms.
//!
//! Shared by the simulated org (to mint Ids) and the client side (to validate what a user types).

use thiserror::Error;

const CHECKSUM_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// Why a text is not a usable Salesforce Id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error("a Salesforce Id is 15 or 18 letters and digits; '{0}' has {1}")]
    WrongLength(String, usize),
    #[error("a Salesforce Id has only letters and digits; '{0}' has other characters")]
    BadCharacters(String),
    #[error("the last three characters of '{0}' do not match its first fifteen (a typo, or the case of a letter changed); copy the Id again from Salesforce")]
    BadChecksum(String),
}

/// The three checksum characters that turn a 15-character Id into its 18-character form.
pub fn checksum(id15: &str) -> String {
    let bytes = id15.as_bytes();
    (0..3)
        .map(|block| {
            let n = (0..5).fold(0usize, |n, i| {
                if bytes.get(block * 5 + i).is_some_and(u8::is_ascii_uppercase) {
                    n | 1 << i
                } else {
                    n
                }
            });
            CHECKSUM_ALPHABET[n] as char
        })
        .collect()
}

/// Checks a 15- or 18-character Id and returns its 18-character form.
///
/// The input is someone's (a pasted Id, a URL part, a scenario file): errors quote it through
/// [`crate::echo::quoted`], shortened, with tokens hidden and control characters escaped.
pub fn to_18(id: &str) -> Result<String, IdError> {
    let id = id.trim();
    let quoted = || crate::echo::quoted(id);
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(IdError::BadCharacters(quoted()));
    }
    match id.len() {
        15 => Ok(format!("{id}{}", checksum(id))),
        18 => {
            let (head, tail) = id.split_at(15);
            if checksum(head).eq_ignore_ascii_case(tail) {
                Ok(format!("{head}{}", checksum(head)))
            } else {
                Err(IdError::BadChecksum(quoted()))
            }
        }
        n => Err(IdError::WrongLength(quoted(), n)),
    }
}

/// Mints the 18-character Id of the `n`-th record with a 3-character key prefix (e.g. `500` for Case),
/// on the pod identified by `pod` (2 characters, e.g. `5g`).
pub fn mint(prefix: &str, pod: &str, n: u64) -> String {
    let body = base62(n, 15usize.saturating_sub(prefix.len() + pod.len()));
    let id15 = format!("{prefix}{pod}{body}");
    format!("{id15}{}", checksum(&id15))
}

fn base62(mut n: u64, width: usize) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The Id key prefix of the objects integrations write to (Case `500`, Contact `003`, Lead
/// `00Q`, Account `001`), to catch an Id of the wrong kind.
pub fn key_prefix(object: &str) -> Option<&'static str> {
    match object {
        "Case" => Some("500"),
        "Contact" => Some("003"),
        "Lead" => Some("00Q"),
        "Account" => Some("001"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(to_18("00558000001N0Ke").unwrap(), "00558000001N0KeAAK");
        assert_eq!(to_18("001D000000K0fXO").unwrap(), "001D000000K0fXOIAZ");
        assert_eq!(to_18("00Dx0000000BV7z").unwrap(), "00Dx0000000BV7zEAG");
        assert_eq!(to_18("5003000000D8cuI").unwrap(), "5003000000D8cuIAAR");
        assert_eq!(to_18("500000000000000").unwrap(), "500000000000000AAA");
    }

    #[test]
    fn rejects_typos() {
        assert!(matches!(
            to_18("5003000000D8cuIAAX"),
            Err(IdError::BadChecksum(_))
        ));
        assert!(matches!(
            to_18("5003000000D8cu"),
            Err(IdError::WrongLength(_, 14))
        ));
        assert!(matches!(
            to_18("5003000000D8cu!"),
            Err(IdError::BadCharacters(_))
        ));
        // The 18-character form is case-insensitive in its suffix.
        assert_eq!(to_18("5003000000D8cuIaar").unwrap(), "5003000000D8cuIAAR");
    }

    #[test]
    fn errors_quote_the_input_bounded_escaped_and_without_tokens() {
        let long = "a".repeat(1_000_000);
        let message = to_18(&long).unwrap_err().to_string();
        assert!(message.len() < 400, "{} characters", message.len());
        assert!(message.contains("has 1000000"), "{message}");
        let token = "00D5g000000AbCdE!AQ4AQFakeToken.value_1";
        let message = to_18(token).unwrap_err().to_string();
        assert!(!message.contains("AQ4AQFakeToken"), "{message}");
        let message = to_18("500\u{1b}]0;x\u{7}").unwrap_err().to_string();
        assert!(!message.contains('\u{1b}'), "{message}");
        // At the bound (18) and just past it (19).
        assert!(to_18("5003000000D8cuIAAR").is_ok());
        assert!(matches!(
            to_18("5003000000D8cuIAARx"),
            Err(IdError::WrongLength(_, 19))
        ));
    }

    #[test]
    fn minting_never_underflows() {
        assert_eq!(mint("0123456789", "0123456789", 1).len(), 23);
    }

    #[test]
    fn minted_ids_are_valid() {
        let id = mint("500", "5g", 42);
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("5005g"));
        assert_eq!(to_18(&id).unwrap(), id);
        assert_ne!(mint("500", "5g", 1), mint("500", "5g", 2));
    }
}
