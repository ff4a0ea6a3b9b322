//! Writing the expansion: a plain function that runs the `async` body on a fresh runner.
//!
//! ```text
//! #[runner::test(timeout = "5s")]          #[::core::prelude::v1::test]
//! async fn works() -> Result<(), E> {  =>  fn works() -> Result<(), E> {
//!     body                                     ::runner::__private::test(
//! }                                                ::runner::__private::Test::new(module_path!(), "works")
//!                                                      .timeout_ms(5000),
//!                                                  ::runner::__private::Builder::new(),
//!                                                  async move { let out: Result<(), E> = { body }; out },
//!                                              )
//!                                          }
//! ```
//!
//! The runtime side (`__private` in `runner-core/src/entry.rs`) does the work; the expansion only
//! hands it the arguments and the future.

use proc_macro2::{Ident, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::{ReturnType, Type};

use crate::args::{self, Args, Errors, Kind};
use crate::item::ItemFn;

/// Expands `#[runner::main]` or `#[runner::test]`: the function, plus the errors if any.
///
/// On a mistake the function is still emitted, as close to the intended expansion as the
/// mistake allows, so that users see one error and their IDE keeps working.
pub(crate) fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let error = syn::Error::new(
                error.span(),
                format!("{} goes on an `async fn`", kind.attribute()),
            );
            return with_error(item, Some(error));
        }
    };
    let (args, args_error) = args::parse(kind, args);
    let mut errors = Errors(args_error);
    for error in function.check(kind) {
        errors.push(error);
    }
    with_error(expand(kind, &args, function), errors.0)
}

fn with_error(mut tokens: TokenStream, error: Option<syn::Error>) -> TokenStream {
    if let Some(error) = error {
        tokens.extend(error.into_compile_error());
    }
    tokens
}

fn expand(kind: Kind, args: &Args, function: ItemFn) -> TokenStream {
    // A user's own `#[test]` is an error (see `ItemFn::check`); keep only one.
    let add_test = kind == Kind::Test && function.test_attribute().is_none();
    let ItemFn {
        attrs,
        vis,
        mut sig,
        brace,
        body,
    } = function;
    sig.asyncness = None;

    // The call carries the span of the function's name: `run` is `#[track_caller]`, so the main
    // future's site in diagnostics is the user's function, and type errors point there too.
    let span = sig.ident.span();
    // Without `crate = ".."`, `runner` carries the attribute's span: under a renamed dependency,
    // "could not find `runner`" then points at `#[rt::main]`, where `crate = "rt"` goes.
    let private = match &args.krate {
        Some(path) => quote!(#path::__private),
        None => {
            let runner = Ident::new("runner", Span::call_site());
            quote_spanned!(span=> ::#runner::__private)
        }
    };

    // The runner's settings go to the public `Builder`, as a user would write them.
    let mut builder = quote_spanned!(span=> #private::Builder::new());
    if let Some(debug) = args.debug {
        builder.extend(quote_spanned!(span=> .debug(#debug)));
    }
    if let Some(threads) = args.threads {
        let threads = Literal::usize_unsuffixed(threads);
        builder.extend(quote_spanned!(span=> .threads(#threads)));
    }
    if let Some(paused) = args.start_paused {
        builder.extend(quote_spanned!(span=> .start_paused(#paused)));
    }
    if let Some(ctrl_c) = args.ctrl_c {
        builder.extend(quote_spanned!(span=> .handle_ctrl_c(#ctrl_c)));
    }
    if let Some(sigterm) = args.sigterm {
        builder.extend(quote_spanned!(span=> .handle_sigterm(#sigterm)));
    }
    let config = match kind {
        Kind::Main => builder,
        Kind::Test => {
            let name = sig.ident.to_string();
            let mut test =
                quote_spanned!(span=> #private::Test::new(::core::module_path!(), #name));
            if let Some(timeout) = &args.timeout {
                let millis = Literal::u64_unsuffixed(timeout.millis);
                test.extend(quote_spanned!(span=> .timeout_ms(#millis)));
            }
            quote_spanned!(span=> #test, #builder)
        }
    };

    let mut block = TokenStream::new();
    brace.surround(&mut block, |tokens| body.to_tokens(tokens));
    let future = future(&sig.output, block, &private, span);
    let run = match kind {
        Kind::Main => quote_spanned!(span=> #private::main(#config, #future)),
        Kind::Test => quote_spanned!(span=> #private::test(#config, #future)),
    };
    // A unit call ends with `;`, as clippy's pedantic `semicolon_if_nothing_returned` wants.
    let statement = if returns_unit(&sig.output) {
        quote_spanned!(span=> #run;)
    } else {
        run
    };
    if !sig.inputs.is_empty() {
        // An error already says that parameters are not allowed (`ItemFn::check`). Keep them, so
        // that the body still compiles, but not where they would cause a second error: not as a
        // test, and not as the program's entry point (the function moves inside a `main`).
        let function = quote! {
            #(#attrs)*
            #[allow(dead_code)]
            #vis #sig {
                #statement
            }
        };
        return if kind == Kind::Main && sig.ident == "main" {
            quote!(fn main() { #function })
        } else {
            function
        };
    }
    let test = add_test.then(|| quote!(#[::core::prelude::v1::test]));
    quote! {
        #(#attrs)*
        #test
        #vis #sig {
            #statement
        }
    }
}

/// The body as a future whose output is checked against the declared return type, so that a
/// mismatch points at the user's body and return type rather than at the expansion.
///
/// The `async` block itself carries `span` (the function's name), so that rustc's notes about
/// it (such as "this function should return `Result`" for a `?`) point there.
fn future(
    output: &ReturnType,
    block: TokenStream,
    private: &TokenStream,
    span: Span,
) -> TokenStream {
    let out = Ident::new("__runner_output", Span::mixed_site());
    let ty = match output {
        ReturnType::Default => quote!(()),
        // `impl Trait` cannot be named in a `let`: leave it to inference.
        ReturnType::Type(_, ty) if contains_impl(ty.to_token_stream()) => {
            return quote_spanned!(span=> async move #block);
        }
        // `!` cannot be named outside a return type on stable Rust; `fn() -> !` can.
        ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => {
            quote!(<fn() -> #ty as #private::FnOutput>::Output)
        }
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    };
    // Clippy's `diverging_sub_expression` would see a `let` initialised by a body that always
    // panics, such as a `#[should_panic]` test's.
    let statements = quote! {
        #[allow(clippy::diverging_sub_expression)]
        let #out: #ty = #block;
        // A body that always panics (a `#[should_panic]` test) leaves the rest unreachable.
        #[allow(unreachable_code)]
        let #out = #out;
        #out
    };
    quote_spanned!(span=> async move { #statements })
}

fn returns_unit(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()),
    }
}

fn contains_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => contains_impl(group.stream()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        entry(kind, args, item).to_string()
    }

    #[test]
    fn renamed_crate_is_the_only_path_to_the_runtime() {
        let out = expand_str(
            Kind::Test,
            quote!(crate = "my_rt", timeout = "1s"),
            quote!(
                async fn t() {}
            ),
        );
        assert!(out.contains("my_rt :: __private :: test"), "{out}");
        assert!(out.contains("timeout_ms (1000)"), "{out}");
        assert!(!out.contains(":: runner"), "{out}");
    }

    #[test]
    fn test_attribute_comes_last_and_paths_are_absolute() {
        let out = expand_str(
            Kind::Test,
            quote!(),
            quote!(
                #[should_panic]
                async fn t() {}
            ),
        );
        let should_panic = out.find("should_panic").unwrap();
        let test = out.find("# [:: core :: prelude :: v1 :: test]").unwrap();
        assert!(should_panic < test, "{out}");
        assert!(out.contains(":: runner :: __private :: test"), "{out}");
        assert!(out.contains(":: core :: module_path ! ()"), "{out}");
    }

    #[test]
    fn errors_still_emit_the_function() {
        let out = expand_str(
            Kind::Main,
            quote!(nope = 1),
            quote!(
                async fn main() {}
            ),
        );
        assert!(out.contains("fn main ()"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert!(out.starts_with("struct S ;"), "{out}");
        assert!(out.contains("goes on an `async fn`"), "{out}");
    }

    #[test]
    fn never_and_impl_returns() {
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                async fn main() -> ! {
                    loop {}
                }
            ),
        );
        assert!(out.contains("FnOutput"), "{out}");
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                async fn f() -> impl Clone {
                    1
                }
            ),
        );
        assert!(!out.contains("__runner_output"), "{out}");
    }
}
