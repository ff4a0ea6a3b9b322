//! Parsing the function the attribute sits on: its signature only, the body stays tokens.
//!
//! Parsing every statement of every test body with `syn` would cost compile time for nothing:
//! the body is copied into the expansion untouched. So are the parameters, which are only ever
//! an error: the signature is parsed here rather than with `syn`'s `full` feature, which would
//! add about two seconds to every clean build of a program that uses the attributes.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::token::{Brace, Paren};
use syn::{
    braced, parenthesized, Abi, AttrStyle, Attribute, Generics, Ident, Meta, ReturnType, Token,
    Visibility, WhereClause,
};

use crate::args::Kind;

/// An `async fn` with its body as tokens.
pub(crate) struct ItemFn {
    /// Outer attributes, then the body's inner attributes (`#![...]`) turned into outer ones.
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) brace: Brace,
    pub(crate) body: TokenStream,
}

impl Parse for ItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let content;
        let brace = braced!(content in input);
        for mut attr in content.call(Attribute::parse_inner)? {
            // Blocks take no inner attributes; on the function they mean the same.
            attr.style = AttrStyle::Outer;
            attrs.push(attr);
        }
        let body: TokenStream = content.parse()?;
        Ok(ItemFn {
            attrs,
            vis,
            sig,
            brace,
            body,
        })
    }
}

/// A function's signature: `const async unsafe extern "C" fn name<T>(..) -> Output where ..`.
pub(crate) struct Signature {
    pub(crate) constness: Option<Token![const]>,
    pub(crate) asyncness: Option<Token![async]>,
    pub(crate) unsafety: Option<Token![unsafe]>,
    pub(crate) abi: Option<Abi>,
    pub(crate) fn_token: Token![fn],
    pub(crate) ident: Ident,
    pub(crate) generics: Generics,
    pub(crate) paren: Paren,
    /// The parameters, as tokens.
    pub(crate) inputs: TokenStream,
    pub(crate) output: ReturnType,
}

impl Parse for Signature {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let constness = input.parse()?;
        let asyncness = input.parse()?;
        let unsafety = input.parse()?;
        let abi = input.parse()?;
        let fn_token = input.parse()?;
        let ident = input.parse()?;
        let mut generics: Generics = input.parse()?;
        let content;
        let paren = parenthesized!(content in input);
        let inputs = content.parse()?;
        let output = input.parse()?;
        generics.where_clause = input.parse::<Option<WhereClause>>()?;
        Ok(Signature {
            constness,
            asyncness,
            unsafety,
            abi,
            fn_token,
            ident,
            generics,
            paren,
            inputs,
            output,
        })
    }
}

impl ToTokens for Signature {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.constness.to_tokens(tokens);
        self.asyncness.to_tokens(tokens);
        self.unsafety.to_tokens(tokens);
        self.abi.to_tokens(tokens);
        self.fn_token.to_tokens(tokens);
        self.ident.to_tokens(tokens);
        self.generics.to_tokens(tokens);
        self.paren
            .surround(tokens, |tokens| self.inputs.to_tokens(tokens));
        self.output.to_tokens(tokens);
        self.generics.where_clause.to_tokens(tokens);
    }
}

impl ItemFn {
    /// Checks what the attribute needs of the function; returns one error per mistake.
    pub(crate) fn check(&self, kind: Kind) -> Vec<syn::Error> {
        let mut errors = Vec::new();
        let attribute = kind.attribute();
        if self.sig.asyncness.is_none() {
            errors.push(syn::Error::new_spanned(
                &self.sig.fn_token,
                format!("missing `async`: {attribute} expects an `async fn`"),
            ));
        }
        if !self.sig.inputs.is_empty() {
            let hint = match kind {
                Kind::Main => "",
                Kind::Test => {
                    "; to run a test with arguments, put a macro such as `#[test_case(..)]` or \
                     `#[rstest]` above #[runner::test]"
                }
            };
            errors.push(syn::Error::new_spanned(
                &self.sig.inputs,
                format!("{attribute} functions take no parameters{hint}"),
            ));
        }
        if kind == Kind::Test {
            if let Some(attr) = self.test_attribute() {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "a second test attribute: #[runner::test] adds `#[test]` itself, remove this \
                     `#[test]`",
                ));
            }
        }
        errors
    }

    /// A `#[test]` (or `#[core::prelude::v1::test]`, ...) the user wrote.
    pub(crate) fn test_attribute(&self) -> Option<&Attribute> {
        self.attrs.iter().find(|attr| is_test_attribute(attr))
    }
}

/// `#[test]`, `#[core::prelude::*::test]` or `#[std::prelude::*::test]`, with or without `::`.
fn is_test_attribute(attr: &Attribute) -> bool {
    let Meta::Path(path) = &attr.meta else {
        return false;
    };
    if path.segments.iter().any(|s| !s.arguments.is_none()) {
        return false;
    }
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match names.as_slice() {
        [test] => path.leading_colon.is_none() && test == "test",
        [root, prelude, _, test] => {
            (root == "core" || root == "std") && prelude == "prelude" && test == "test"
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn item(tokens: TokenStream) -> ItemFn {
        syn::parse2(tokens).expect("a function")
    }

    #[test]
    fn keeps_the_body_as_tokens_and_lifts_inner_attributes() {
        let f = item(quote! {
            /// Docs.
            pub async fn f() -> u8 { #![allow(unused)] let x = 1; x }
        });
        assert_eq!(f.attrs.len(), 2);
        assert!(matches!(f.attrs[1].style, AttrStyle::Outer));
        assert_eq!(f.body.to_string(), quote!(let x = 1; x).to_string());
    }

    #[test]
    fn signatures_round_trip() {
        for sig in [
            quote!(async fn f()),
            quote!(fn f() -> Result<(), Box<dyn std::error::Error>>),
            quote!(const async unsafe extern "C" fn f<'a, T: Clone>(x: &'a T, _: u8) -> u8
                where T: Copy),
        ] {
            let f = item(quote!(pub(crate) #sig {}));
            // Compared without spaces: `>>` prints as `> >` once parsed.
            let text = |tokens: TokenStream| tokens.to_string().replace(' ', "");
            assert_eq!(text(f.sig.to_token_stream()), text(sig));
        }
    }

    #[test]
    fn finds_test_attributes() {
        for attr in [
            quote!(#[test]),
            quote!(#[::core::prelude::v1::test]),
            quote!(#[std::prelude::rust_2021::test]),
        ] {
            let f = item(quote!(#attr async fn f() {}));
            assert!(f.test_attribute().is_some(), "{attr}");
        }
        for attr in [
            quote!(#[tests]),
            quote!(#[my::test]),
            quote!(#[test_case(1)]),
        ] {
            let f = item(quote!(#attr async fn f() {}));
            assert!(f.test_attribute().is_none(), "{attr}");
        }
    }

    #[test]
    fn reports_each_mistake() {
        let f = item(quote!(
            #[test]
            fn f(x: u8) {}
        ));
        assert_eq!(f.check(Kind::Test).len(), 3);
        assert_eq!(f.check(Kind::Main).len(), 2);
        assert!(item(quote!(
            async fn f() {}
        ))
        .check(Kind::Test)
        .is_empty());
    }
}
