//! Parsing the attribute's arguments: `debug = true, threads = 2, timeout = "5s", ...`.
//!
//! Every mistake becomes one `syn::Error` at the offending tokens; the arguments that were valid
//! are kept, so that the expansion stays close to what the user meant.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Path, Token};

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute as users write it, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[runner::main]",
            Kind::Test => "#[runner::test]",
        }
    }

    /// The arguments this attribute accepts, in the order the docs list them.
    fn accepted(self) -> &'static [&'static str] {
        match self {
            Kind::Main => &[
                "debug",
                "threads",
                "start_paused",
                "ctrl_c",
                "sigterm",
                "crate",
            ],
            Kind::Test => &["debug", "threads", "start_paused", "timeout", "crate"],
        }
    }

    fn expected_one_of(self) -> String {
        let names: Vec<String> = self.accepted().iter().map(|n| format!("`{n}`")).collect();
        format!("expected one of: {}", names.join(", "))
    }
}

/// A test timeout, in milliseconds.
pub(crate) struct Timeout {
    pub(crate) millis: u64,
}

/// The arguments given; `None` for those left out.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) debug: Option<bool>,
    pub(crate) threads: Option<usize>,
    pub(crate) start_paused: Option<bool>,
    pub(crate) ctrl_c: Option<bool>,
    pub(crate) sigterm: Option<bool>,
    pub(crate) timeout: Option<Timeout>,
    pub(crate) krate: Option<Path>,
}

/// Parses the arguments of `kind`: the valid ones, and the mistakes as one combined error.
pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> (Args, Option<syn::Error>) {
    let mut args = Args::default();
    let mut errors = Errors::default();
    let parsed =
        (|input: ParseStream<'_>| parse_list(input, kind, &mut args, &mut errors)).parse2(tokens);
    if let Err(error) = parsed {
        errors.push(error);
    }
    (args, errors.0)
}

/// Several errors reported together.
#[derive(Default)]
pub(crate) struct Errors(pub(crate) Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }
}

fn parse_list(
    input: ParseStream<'_>,
    kind: Kind,
    args: &mut Args,
    errors: &mut Errors,
) -> syn::Result<()> {
    let mut seen: Vec<String> = Vec::new();
    // Where `start_paused = true` was written, for the error when `threads` asks for more.
    let mut paused_at = None;
    while !input.is_empty() {
        if !input.peek(Ident::peek_any) {
            let names: Vec<String> = kind.accepted().iter().map(|n| format!("`{n}`")).collect();
            return Err(input.error(format!(
                "expected arguments such as `debug = true`, named one of: {}",
                names.join(", ")
            )));
        }
        let name = input.call(Ident::parse_any)?;
        let key = name.to_string();
        if !input.peek(Token![=]) {
            let message = match example(&key) {
                Some(example) if kind.accepted().contains(&key.as_str()) => {
                    format!("expected `=` and a value after `{key}`, e.g. `{example}`")
                }
                _ => unknown_with_hint(kind, &key, None),
            };
            return Err(syn::Error::new(name.span(), message));
        }
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        if seen.contains(&key) {
            errors.push(syn::Error::new(
                name.span(),
                format!("duplicate argument `{key}`: give it once"),
            ));
        } else {
            seen.push(key.clone());
            if let Err(error) = set(kind, args, &name, &key, &value) {
                errors.push(error);
            }
            if key == "start_paused" {
                paused_at = Some(name.span());
            }
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    if let (Some(span), Some(true), Some(threads @ 2..)) =
        (paused_at, args.start_paused, args.threads)
    {
        errors.push(syn::Error::new(
            span,
            format!(
                "`start_paused = true` cannot be combined with `threads = {threads}`: paused \
                 time needs one thread; remove `threads` (a paused runner runs on one thread)"
            ),
        ));
    }
    Ok(())
}

/// An example of a valid argument, for messages.
fn example(key: &str) -> Option<&'static str> {
    Some(match key {
        "debug" => "debug = true",
        "threads" => "threads = 4",
        "ctrl_c" => "ctrl_c = false",
        "sigterm" => "sigterm = true",
        "timeout" => "timeout = \"5s\"",
        "crate" => "crate = \"my_runner\"",
        _ => return None,
    })
}

fn unknown(kind: Kind, key: &str) -> String {
    match (kind, key) {
        (Kind::Main, "timeout") => format!(
            "`timeout` applies to #[runner::test] only, {}",
            kind.expected_one_of()
        ),
        (Kind::Test, "ctrl_c") => format!(
            "`ctrl_c` applies to #[runner::main] only: tests never handle Ctrl-C, so that it \
             stops `cargo test` as usual; {}",
            kind.expected_one_of()
        ),
        (Kind::Test, "sigterm") => format!(
            "`sigterm` applies to #[runner::main] only: tests never handle SIGTERM, so that it \
             stops `cargo test` as usual; {}",
            kind.expected_one_of()
        ),
        _ => format!("unknown argument `{key}`, {}", kind.expected_one_of()),
    }
}

/// The message for an argument `kind` does not take: what to write instead when it is tokio's
/// or a near miss of a valid one, else [`unknown`].
fn unknown_with_hint(kind: Kind, key: &str, value: Option<&Expr>) -> String {
    if let Some(message) = tokio_argument(key, value) {
        return message;
    }
    let known = |k: Kind| k.accepted().contains(&key);
    if !known(Kind::Main) && !known(Kind::Test) {
        if let Some(name) = did_you_mean(kind, key) {
            return format!("unknown argument `{key}`: did you mean `{name}`?");
        }
    }
    unknown(kind, key)
}

/// The arguments of `#[tokio::main]` and `#[tokio::test]` that runner has no counterpart of
/// under the same name, and what to write instead.
fn tokio_argument(key: &str, value: Option<&Expr>) -> Option<String> {
    let tokio = "is an argument of tokio's macros";
    Some(match key {
        "flavor" => match value.and_then(literal) {
            Some(Lit::Str(s)) if s.value() == "current_thread" => format!(
                "`flavor` {tokio}: runner has one flavor, and running on the current thread is \
                 its default (`threads = 1`); remove `flavor = \"current_thread\"`"
            ),
            _ => format!(
                "`flavor` {tokio}: runner has one flavor; for more threads write `threads = N`, \
                 e.g. `threads = 4` (the thread that calls the function counts as one)"
            ),
        },
        "worker_threads" => {
            let n = match value.and_then(literal) {
                Some(Lit::Int(int)) => int.base10_digits().to_owned(),
                _ => "N".to_owned(),
            };
            format!(
                "`worker_threads` {tokio}: write `threads = {n}` (the thread that calls the \
                 function counts as one)"
            )
        }
        _ => return None,
    })
}

/// The argument of `kind` closest to `key`, if `key` looks like a misspelling of it: at most one
/// edit for every three characters, as rustc's own suggestions.
fn did_you_mean(kind: Kind, key: &str) -> Option<&'static str> {
    let limit = key.chars().count().max(3) / 3;
    kind.accepted()
        .iter()
        .map(|name| (edit_distance(key, name), *name))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance, case-insensitive: insertions, deletions and substitutions.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

fn set(kind: Kind, args: &mut Args, name: &Ident, key: &str, value: &Expr) -> syn::Result<()> {
    if !kind.accepted().contains(&key) {
        let message = unknown_with_hint(kind, key, Some(value));
        return Err(syn::Error::new(name.span(), message));
    }
    match key {
        "debug" => args.debug = Some(boolean(key, value)?),
        "ctrl_c" => args.ctrl_c = Some(boolean(key, value)?),
        "sigterm" => args.sigterm = Some(boolean(key, value)?),
        "threads" => args.threads = Some(threads(value)?),
        "start_paused" => args.start_paused = Some(boolean(key, value)?),
        "timeout" => args.timeout = Some(timeout(value)?),
        _ => args.krate = Some(krate(value)?),
    }
    Ok(())
}

fn literal(value: &Expr) -> Option<&Lit> {
    match value {
        Expr::Lit(ExprLit { lit, attrs }) if attrs.is_empty() => Some(lit),
        _ => None,
    }
}

fn boolean(key: &str, value: &Expr) -> syn::Result<bool> {
    match literal(value) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("`{key}` expects `true` or `false`"),
        )),
    }
}

fn threads(value: &Expr) -> syn::Result<usize> {
    let wrong = || {
        syn::Error::new_spanned(
            value,
            "`threads` expects a whole number of at least 1, e.g. `threads = 4`",
        )
    };
    let Some(Lit::Int(int)) = literal(value) else {
        return Err(wrong());
    };
    match int.base10_parse::<usize>() {
        Ok(0) => Err(syn::Error::new_spanned(
            value,
            "`threads` must be at least 1: the thread that calls the function counts as one",
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(wrong()),
    }
}

fn string<'a>(key: &str, value: &'a Expr, what: &str) -> syn::Result<&'a LitStr> {
    match literal(value) {
        Some(Lit::Str(s)) => Ok(s),
        _ => Err(syn::Error::new_spanned(
            value,
            format!(
                "`{key}` expects {what} in a string, e.g. `{}`",
                example(key).unwrap_or("")
            ),
        )),
    }
}

fn timeout(value: &Expr) -> syn::Result<Timeout> {
    let lit = string("timeout", value, "a duration")?;
    let text = lit.value();
    match parse_duration(&text) {
        Some(0) => Err(syn::Error::new(
            lit.span(),
            "`timeout` must be longer than zero, e.g. `timeout = \"5s\"`",
        )),
        Some(millis) => Ok(Timeout { millis }),
        None => Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid timeout {text:?}: expected a whole number followed by `ms`, `s` or `m`, \
                 e.g. \"250ms\", \"5s\" or \"1m\""
            ),
        )),
    }
}

/// `"250ms"`, `"5s"`, `"1m"` in milliseconds; `None` for anything else or an overflow.
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let scale = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(scale)
}

fn krate(value: &Expr) -> syn::Result<Path> {
    let lit = string("crate", value, "a path")?;
    lit.parse_with(Path::parse_mod_style).map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!(
                "invalid crate path {:?}: expected a path such as \"runner\" or \
                 \"my_crate::runner\"",
                lit.value()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(250));
        assert_eq!(parse_duration("5s"), Some(5_000));
        assert_eq!(parse_duration("1m"), Some(60_000));
        assert_eq!(parse_duration("0s"), Some(0));
        for bad in [
            "",
            "5",
            "ms",
            "5 s",
            "5sec",
            "1.5s",
            "-1s",
            "5S",
            "99999999999999999999m",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    fn error(kind: Kind, tokens: TokenStream) -> String {
        parse(kind, tokens).1.expect("an error").to_string()
    }

    #[test]
    fn valid_arguments() {
        let (args, error) = parse(
            Kind::Test,
            quote!(debug = false, threads = 2, timeout = "1m", crate = "my::rt"),
        );
        assert!(error.is_none());
        assert_eq!(args.debug, Some(false));
        assert_eq!(args.threads, Some(2));
        assert_eq!(args.timeout.map(|t| t.millis), Some(60_000));
        assert!(args.krate.is_some());
        let (args, error) = parse(Kind::Main, quote!(ctrl_c = false, sigterm = true,));
        assert!(error.is_none());
        assert_eq!(args.ctrl_c, Some(false));
        assert_eq!(args.sigterm, Some(true));
    }

    #[test]
    fn mistakes() {
        assert_eq!(
            error(Kind::Main, quote!(speed = "x")),
            "unknown argument `speed`, expected one of: `debug`, `threads`, `start_paused`, \
             `ctrl_c`, `sigterm`, `crate`"
        );
        assert!(error(Kind::Main, quote!(timeout = "1s")).starts_with("`timeout` applies"));
        assert!(error(Kind::Test, quote!(ctrl_c = true)).starts_with("`ctrl_c` applies"));
        assert!(error(Kind::Test, quote!(sigterm = true)).starts_with("`sigterm` applies"));
        assert_eq!(
            error(Kind::Test, quote!(debug = true, debug = false)),
            "duplicate argument `debug`: give it once"
        );
        assert!(error(Kind::Test, quote!(threads = 0)).contains("at least 1"));
        assert!(error(Kind::Test, quote!(debug)).contains("`debug = true`"));
    }

    #[test]
    fn hints() {
        assert!(error(Kind::Main, quote!(flavor = "current_thread")).contains("remove `flavor"));
        assert!(error(Kind::Main, quote!(flavor = "multi_thread")).contains("`threads = N`"));
        assert!(error(Kind::Main, quote!(flavor)).contains("`threads = N`"));
        assert!(error(Kind::Test, quote!(worker_threads = 3)).contains("write `threads = 3`"));
        assert!(error(Kind::Test, quote!(start_paused = 1)).contains("`start_paused` expects"));
        let both = error(Kind::Main, quote!(threads = 2, start_paused = true));
        assert!(both.contains("`start_paused = true`") && both.contains("`threads = 2`"));
        assert!(parse(Kind::Test, quote!(start_paused = true, threads = 1))
            .1
            .is_none());
        for (kind, typo, meant) in [
            (Kind::Main, quote!(debg = true), "debug"),
            (Kind::Main, quote!(Debug = true), "debug"),
            (Kind::Main, quote!(thread = 2), "threads"),
            (Kind::Main, quote!(ctrlc = false), "ctrl_c"),
            (Kind::Test, quote!(timout = "1s"), "timeout"),
            (Kind::Test, quote!(krate = "rt"), "crate"),
            (Kind::Test, quote!(debg), "debug"),
        ] {
            let message = error(kind, typo);
            assert!(
                message.ends_with(&format!("did you mean `{meant}`?")),
                "{message}"
            );
        }
        // Too far from any argument, or valid for the other attribute: no guess.
        assert!(!error(Kind::Main, quote!(dbg = true)).contains("did you mean"));
        assert!(!error(Kind::Main, quote!(timeout = "1s")).contains("did you mean"));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("debug", "debug"), 0);
        assert_eq!(edit_distance("debg", "debug"), 1);
        assert_eq!(edit_distance("dbeug", "debug"), 2);
        assert_eq!(edit_distance("", "crate"), 5);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn valid_arguments_survive_mistakes() {
        let (args, error) = parse(Kind::Test, quote!(debug = 1, threads = 3, nope = 2));
        assert_eq!(args.threads, Some(3));
        assert_eq!(args.debug, None);
        let error = error.expect("errors");
        assert_eq!(error.into_iter().count(), 2);
    }
}
