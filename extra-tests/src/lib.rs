//! Nothing here: the tests are in `tests/`. They need crates (async-signal, futures) that the
//! facade's examples should not build, so they live in this unpublished workspace member.
