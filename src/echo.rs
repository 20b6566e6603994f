//! What of outside text may be printed back to a terminal or put in an error message: anything
//! shaped like a Salesforce token hidden, terminal control characters escaped (so input cannot
//! move the cursor, recolour or retitle the terminal), and long input shortened.

/// What a token-shaped word becomes.
pub const REDACTED: &str = "[redacted]";

/// Longest piece of someone's input quoted back in a message, in characters.
pub const MAX_QUOTED: usize = 120;

/// True for a word shaped like a Salesforce session token (`00D…!…`: an org Id, `!`, the
/// secret) or a refresh token (`5Aep…`, long).
pub fn looks_like_token(word: &str) -> bool {
    if let Some((org, rest)) = word.split_once('!') {
        return org.len() >= 15
            && org.chars().all(|c| c.is_ascii_alphanumeric())
            && rest.len() >= 10;
    }
    word.starts_with("5Aep")
        && word.len() >= 40
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'))
}

/// Characters a token is made of: a token-shaped word is a maximal run of these.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '!' | '.' | '_')
}

/// `text` with every token-shaped word replaced by [`REDACTED`].
pub fn scrub_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if looks_like_token(word) {
            out.push_str(REDACTED);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `text` with control characters written as escapes (`\u{1b}`); line breaks and tabs stay.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A whole message for the terminal: tokens hidden, control characters escaped.
pub fn for_terminal(text: &str) -> String {
    escape_controls(&scrub_tokens(text))
}

/// Someone's input quoted in a message: tokens hidden, every control character (line breaks
/// too) escaped, at most [`MAX_QUOTED`] characters.
pub fn quoted(input: &str) -> String {
    let scrubbed = scrub_tokens(input);
    let mut out = String::new();
    for (count, c) in scrubbed.chars().enumerate() {
        if count == MAX_QUOTED {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: &str = "00D5g000000AbCdE!AQ4AQFakeToken.value_1";

    #[test]
    fn access_and_refresh_tokens_are_hidden_wherever_they_stand() {
        let refresh = format!("5Aep861{}", "x".repeat(60));
        let text =
            format!("unexpected argument '{ACCESS}' found; --access-token={ACCESS} {refresh}");
        let scrubbed = scrub_tokens(&text);
        assert_eq!(
            scrubbed,
            "unexpected argument '[redacted]' found; --access-token=[redacted] [redacted]"
        );
        assert_eq!(
            scrub_tokens("00Dxx!short 5Aep short"),
            "00Dxx!short 5Aep short"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a\u{1b}[2Jb\r\n"), "a\\u{1b}[2Jb\\r\n");
        assert_eq!(quoted("x\u{7}\ny"), "x\\u{7}\\ny");
        assert_eq!(
            for_terminal(&format!("\u{1b}]0;{ACCESS}\u{7}")),
            "\\u{1b}]0;[redacted]\\u{7}"
        );
    }

    #[test]
    fn quoted_input_is_cut_at_its_bound() {
        let at_bound = "a".repeat(MAX_QUOTED);
        assert_eq!(quoted(&at_bound), at_bound);
        let past = "a".repeat(MAX_QUOTED + 1);
        assert_eq!(quoted(&past), format!("{at_bound}…"));
    }
}
