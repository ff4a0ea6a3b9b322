//! A task's name in one word: its number and its spawn site, the site by a number of its own.
//!
//! async-task's header holds the metadata after four words of its own (its state, the awaiter's
//! two-word waker, its vtable) and before a flag, so that a metadata of two words takes 56 bytes
//! of header and one of one word 48. A spawn site is a `&'static Location`, one of a fixed set
//! in a binary (the `#[track_caller]` calls of `spawn`, `spawn_local` and `spawn_blocking`):
//! numbered the first time the process sees it, it fits beside the task's number. Each thread
//! remembers the two sites it used last, so a spawn in a loop, or two alternating ones, looks
//! nothing up.

use std::cell::Cell;
use std::collections::HashMap;
use std::num::NonZeroU64;
use std::panic::Location;
use std::sync::Mutex;

use crate::debug::diagnostic::TaskInfo;
use crate::sync;

/// Bits of a site's number: 65 534 sites and the stand-in, far more than a binary has calls of
/// `spawn`.
/// (`usize` to `u32` and back below cannot lose bits: a number is below 2^16.)
const SITE_BITS: u32 = 16;
const SITE_MASK: u64 = (1 << SITE_BITS) - 1;
/// Bits of a task's number: numbers start again from 1 after 2^40 - 1 tasks in one runner
/// (12 days at a million spawns a second); 0 stays the main future's.
const ID_BITS: u32 = 40;
const ID_MASK: u64 = (1 << ID_BITS) - 1;

/// A task's number and spawn site, packed in the low [`PackedInfo::BITS`] bits of a word: the
/// number above the site's number (from 1). The top byte stays free, so that the handle of an
/// `async-executor` task keeps a name and a byte of its own in one word (`task/handle.rs`).
#[derive(Clone, Copy)]
pub(crate) struct PackedInfo(NonZeroU64);

impl PackedInfo {
    /// The bits a packed name uses, from the lowest.
    pub(crate) const BITS: u32 = ID_BITS + SITE_BITS;

    #[inline]
    pub(crate) fn pack(info: TaskInfo) -> PackedInfo {
        let site = u64::from(site_number(info.spawned_at));
        match NonZeroU64::new(wrapped_id(info.id) << SITE_BITS | site) {
            Some(packed) => PackedInfo(packed),
            None => unreachable!("site numbers start at 1"),
        }
    }

    /// The task's number, without looking its site up.
    #[inline]
    pub(crate) fn id(self) -> u64 {
        self.0.get() >> SITE_BITS
    }

    /// The packed word, below 2^[`BITS`](PackedInfo::BITS).
    #[inline]
    pub(crate) fn bits(self) -> u64 {
        self.0.get()
    }

    /// A name from [`bits`](PackedInfo::bits).
    #[inline]
    pub(crate) fn from_bits(bits: u64) -> PackedInfo {
        match NonZeroU64::new(bits) {
            Some(packed) => PackedInfo(packed),
            None => unreachable!("a packed name is never 0: site numbers start at 1"),
        }
    }

    pub(crate) fn unpack(self) -> TaskInfo {
        let packed = self.0.get();
        TaskInfo::new(packed >> SITE_BITS, site((packed & SITE_MASK) as u32))
    }
}

/// Task number `id` as it is kept: past 2^40 - 1, numbers start again from 1.
#[inline]
pub(crate) fn wrapped_id(id: u64) -> u64 {
    if id > ID_MASK {
        (id - 1) % ID_MASK + 1
    } else {
        id
    }
}

/// The sites seen so far, both ways.
#[derive(Default)]
struct Sites {
    numbers: HashMap<usize, u32>,
    /// By number, from 1.
    sites: Vec<&'static Location<'static>>,
}

static SITES: Mutex<Option<Sites>> = Mutex::new(None);

thread_local! {
    /// The two sites this thread numbered last, the latest first: (address, number).
    static RECENT: [Cell<(usize, u32)>; 2] = const { [Cell::new((0, 0)), Cell::new((0, 0))] };
}

/// The number of `site`, from 1; the first time, a new one (or, past 65 534 sites,
/// [`STAND_IN`]).
#[inline]
fn site_number(site: &'static Location<'static>) -> u32 {
    let address = site as *const Location<'static> as usize;
    RECENT
        .try_with(|[latest, before]| {
            let (seen, number) = latest.get();
            if seen == address {
                return number;
            }
            let earlier = before.get();
            let number = if earlier.0 == address {
                earlier.1
            } else {
                look_up(site, address)
            };
            before.set(latest.get());
            latest.set((address, number));
            number
        })
        .unwrap_or_else(|_| look_up(site, address))
}

#[cold]
fn look_up(site: &'static Location<'static>, address: usize) -> u32 {
    let mut sites = sync::lock(&SITES);
    let sites = sites.get_or_insert_with(Sites::default);
    if let Some(&number) = sites.numbers.get(&address) {
        return number;
    }
    let Some(number) = new_number(sites.sites.len()) else {
        return STAND_IN as u32;
    };
    sites.sites.push(site);
    sites.numbers.insert(address, number);
    number
}

/// The number of the next site when `taken` sites have theirs; `None` once only the stand-in's
/// is left.
fn new_number(taken: usize) -> Option<u32> {
    let number = taken as u64 + 1;
    (number < STAND_IN).then_some(number as u32)
}

/// The number of every site once the others are taken, 65 534 of them: its tasks are named with
/// a place in this file, and the rest of their name (the number) stays right.
const STAND_IN: u64 = SITE_MASK;

/// The site of number `number`.
fn site(number: u32) -> &'static Location<'static> {
    let sites = sync::lock(&SITES);
    let sites = sites.as_ref();
    match sites.and_then(|s| s.sites.get(number as usize - 1)) {
        Some(site) => site,
        None => Location::caller(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_comes_back_whole() {
        let here = Location::caller();
        for id in [0, 1, 7, ID_MASK] {
            let info = TaskInfo::new(id, here);
            let packed = PackedInfo::pack(info);
            assert_eq!(packed.unpack(), info);
            assert!(packed.bits() < 1 << PackedInfo::BITS);
            assert_eq!(PackedInfo::from_bits(packed.bits()).unpack(), info);
        }
        assert_eq!(PackedInfo::BITS, 56);
    }

    #[test]
    fn numbers_start_again_from_1_past_40_bits() {
        let here = Location::caller();
        let wrapped = |id| PackedInfo::pack(TaskInfo::new(id, here)).unpack().id;
        assert_eq!(wrapped(ID_MASK), ID_MASK);
        assert_eq!(wrapped(ID_MASK + 1), 1);
        assert_eq!(wrapped(ID_MASK + 5), 5);
        assert_eq!(wrapped(u64::MAX), (u64::MAX - 1) % ID_MASK + 1);
        assert_ne!(wrapped(u64::MAX), 0, "0 names the main future only");
    }

    #[test]
    fn the_last_number_is_kept_for_the_stand_in() {
        assert_eq!(new_number(0), Some(1));
        assert_eq!(
            new_number(SITE_MASK as usize - 2),
            Some(SITE_MASK as u32 - 1)
        );
        assert_eq!(new_number(SITE_MASK as usize - 1), None);
        // No site has the stand-in's number: it names a place in this file.
        assert_eq!(site(STAND_IN as u32).file(), file!());
    }

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    #[test]
    fn alternating_and_new_sites_keep_their_numbers() {
        let (a, b) = (here(), here());
        let (c, d, e) = (
            here(), // one line each, to be three sites
            here(),
            here(),
        );
        let first = [site_number(a), site_number(b)];
        assert_ne!(first[0], first[1]);
        for _ in 0..3 {
            assert_eq!([site_number(a), site_number(b)], first);
        }
        for s in [c, d, e, a, b] {
            assert_eq!(site(site_number(s)), s);
        }
        assert_eq!([site_number(a), site_number(b)], first);
    }
}
