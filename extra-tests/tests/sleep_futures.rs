//! `Sleep` with the `futures` crate's extension traits in scope.
//!
//! Here, not in the facade's tests, so that `cargo run --example ...` does not build `futures`.

/// The reason `Sleep` exists: `Timer` is a Future and a Stream, so `timer.fuse()` is ambiguous
/// (E0034) with both extension traits in scope. `Sleep` is a Future only.
mod fuse_is_unambiguous {
    use futures::future::FusedFuture;
    use futures::{FutureExt, StreamExt};
    use std::time::Duration;

    #[test]
    fn sleep_fuse_compiles_with_future_ext_and_stream_ext_in_scope() {
        runner::run(async {
            let mut sleep = runner::sleep(Duration::from_millis(1)).fuse();
            assert!(!sleep.is_terminated());
            (&mut sleep).await;
            assert!(sleep.is_terminated());
            // StreamExt is in use too, on the stream that interval is.
            let ticks: Vec<_> = runner::time::interval(Duration::from_millis(1))
                .take(2)
                .collect()
                .await;
            assert_eq!(ticks.len(), 2);
        })
        .unwrap();
    }

    #[test]
    fn sleeps_select_without_pinning() {
        runner::run(async {
            // `select` takes Unpin futures: a Sleep is one.
            let quick = runner::sleep(Duration::from_millis(1));
            let slow = runner::sleep(Duration::from_secs(3600));
            let first = futures::future::select(slow, quick).await;
            assert!(matches!(first, futures::future::Either::Right(((), _))));
        })
        .unwrap();
    }
}
