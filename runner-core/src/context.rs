//! Context variables: asyncio's `contextvars`, carried by every task.
//!
//! Every thread has a current context: a slot holding `None` (the empty context, made real on
//! the first `set`) or a [`Context`]. A task owns its own context and moves it into the slot for
//! the duration of each poll, then moves it back: no reference counting, no locking, no
//! allocation per poll. A context is a shared handle to a copy-on-write list of values: copying
//! one (at a spawn where some variable is set) allocates a handle and clones one `Arc`, and a
//! `set` clones the list only while a copy still shares it. Where no variable is set, a spawn
//! copies nothing and its task's context is `None`.
//!
//! A task holds its context in one word: the task wrapper's size is spawn cost (see
//! bench/README.md, "Design notes"), so measure before growing it.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::sync;

/// A variable's value, as a context stores it.
type Value = Arc<dyn Any + Send + Sync>;

/// The values of one context, sorted by variable id. Shared by copies until one of them writes.
type Vars = Vec<(usize, Value)>;

thread_local! {
    /// The current context of this thread: `None` is the empty context.
    static CURRENT: Slot = const { Slot(Cell::new(ManuallyDrop::new(None))) };
    /// Drops what a thread leaves in `CURRENT` when it exits; see `Slot`.
    static CLEANUP: Cleanup = const { Cleanup };
}

/// The cell behind `CURRENT`. It holds its context in a `ManuallyDrop` so that the thread-local
/// needs no destructor: the compiler then reaches it with no "is it alive yet/still" check, which
/// every poll would pay twice. Instead, a `set` that creates a context registers `CLEANUP`, which
/// drops whatever its thread leaves in the slot when the thread exits.
struct Slot(Cell<ManuallyDrop<Option<Context>>>);

impl Slot {
    #[inline]
    fn replace(&self, context: Option<Context>) -> Option<Context> {
        ManuallyDrop::into_inner(self.0.replace(ManuallyDrop::new(context)))
    }

    #[inline]
    fn take(&self) -> Option<Context> {
        self.replace(None)
    }
}

struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        // Taken first: the values' destructors may use context variables.
        let left = CURRENT.with(Slot::take);
        drop(left);
    }
}

/// The id the next variable gets on its first use; 0 means "not assigned yet".
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// A context variable: asyncio's `contextvars.ContextVar`, declared in a `static`.
///
/// Its value lives in the current [`Context`], not in the variable: every task has its own
/// context, copied from the code that spawned it, so a value [`set`](ContextVar::set) in a task
/// is seen by the tasks it spawns afterwards and never by its parent or its siblings. Values
/// follow their task across `.await` points and across worker threads.
///
/// # Examples
///
/// ```
/// use runner::context::ContextVar;
///
/// static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
///
/// let seen = runner::run(async {
///     REQUEST_ID.set(7);
///     // The child starts with a copy of the parent's context ...
///     let child = runner::spawn(async {
///         let inherited = REQUEST_ID.get();
///         REQUEST_ID.set(8); // ... and its own sets stay in its copy.
///         inherited
///     });
///     (child.await, REQUEST_ID.get())
/// });
/// assert_eq!(seen, Ok((Some(7), Some(7))));
/// ```
///
/// The value type must be shareable between threads, as tasks move between them:
///
/// ```compile_fail
/// use std::rc::Rc;
/// static NOT_SEND: runner::context::ContextVar<Rc<u8>> = runner::context::ContextVar::new("rc");
/// NOT_SEND.set(Rc::new(1));
/// ```
///
/// A variable is declared in a `static` (its methods take `&'static self`; tokens refer to it):
///
/// ```compile_fail
/// let local = runner::context::ContextVar::<u8>::new("local");
/// local.get();
/// ```
pub struct ContextVar<T> {
    name: &'static str,
    id: AtomicUsize,
    _value: PhantomData<fn() -> T>,
}

impl<T: Clone + Send + Sync + 'static> ContextVar<T> {
    /// A variable named `name` (the name is for messages and `Debug` only).
    ///
    /// # Examples
    ///
    /// ```
    /// static USER: runner::context::ContextVar<String> = runner::context::ContextVar::new("user");
    /// assert_eq!(USER.name(), "user");
    /// assert_eq!(USER.get(), None);
    /// ```
    pub const fn new(name: &'static str) -> ContextVar<T> {
        ContextVar {
            name,
            id: AtomicUsize::new(0),
            _value: PhantomData,
        }
    }

    /// The name given to [`new`](ContextVar::new).
    ///
    /// # Examples
    ///
    /// ```
    /// static DEPTH: runner::context::ContextVar<u32> = runner::context::ContextVar::new("depth");
    /// assert_eq!(DEPTH.name(), "depth");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The variable's value in the current context (a clone), or `None` if it was never set there.
    ///
    /// # Examples
    ///
    /// ```
    /// static LEVEL: runner::context::ContextVar<u8> = runner::context::ContextVar::new("level");
    /// assert_eq!(LEVEL.get(), None);
    /// LEVEL.set(3);
    /// assert_eq!(LEVEL.get(), Some(3));
    /// ```
    pub fn get(&'static self) -> Option<T> {
        let id = self.id();
        let value = with_current(|current| current?.value(id))?;
        // Cloned outside the slot: `T::clone` may read context variables itself.
        Some(downcast::<T>(&value).clone())
    }

    /// Sets the variable's value in the current context and returns a token to undo it.
    ///
    /// Outside any task this sets the thread's own context. The previous value is dropped when
    /// the token is (or when [`reset`](ContextVar::reset) puts it back).
    ///
    /// # Examples
    ///
    /// ```
    /// static MODE: runner::context::ContextVar<&str> = runner::context::ContextVar::new("mode");
    /// let token = MODE.set("fast");
    /// assert_eq!(MODE.get(), Some("fast"));
    /// assert_eq!(token.old_value(), None);
    /// ```
    pub fn set(&'static self, value: T) -> ContextToken<T> {
        let id = self.id();
        let value: Value = Arc::new(value);
        let (context, previous) = CURRENT.with(|slot| {
            let current = slot.take().unwrap_or_else(|| {
                // `try_with`: nothing to register while the thread is being torn down.
                let _ = CLEANUP.try_with(|_| ());
                Context::new()
            });
            let previous = current.replace(id, Some(value));
            let context = current.clone();
            slot.replace(Some(current));
            (context, previous)
        });
        ContextToken {
            var: self,
            context,
            previous,
        }
    }

    /// Puts back the value the variable had before the [`set`](ContextVar::set) that returned
    /// `token` (or unsets it, if it had none).
    ///
    /// # Examples
    ///
    /// ```
    /// static COLOR: runner::context::ContextVar<&str> = runner::context::ContextVar::new("color");
    /// COLOR.set("red");
    /// let token = COLOR.set("blue");
    /// COLOR.set("green");
    /// COLOR.reset(token);
    /// assert_eq!(COLOR.get(), Some("red"));
    /// ```
    ///
    /// A token resets once: `reset` consumes it.
    ///
    /// ```compile_fail
    /// static COLOR: runner::context::ContextVar<&str> = runner::context::ContextVar::new("color");
    /// let token = COLOR.set("blue");
    /// COLOR.reset(token);
    /// COLOR.reset(token); // the token was moved into the first reset
    /// ```
    ///
    /// # Panics
    ///
    /// When `token` was returned by another variable's `set`, or by a `set` in another context
    /// (another task's, for example).
    #[track_caller]
    pub fn reset(&'static self, token: ContextToken<T>) {
        let id = self.id();
        if token.var.id() != id {
            panic!(
                "ContextVar::reset: this token was created by `{}`.set, not by `{}`.set; reset \
                 a variable with the token its own `set` returned",
                token.var.name, self.name
            );
        }
        let ContextToken {
            context, previous, ..
        } = token;
        let outcome = CURRENT.with(|slot| {
            let current = slot.take();
            let outcome = match &current {
                Some(current) if current.is(&context) => Ok(current.replace(id, previous)),
                _ => Err(previous),
            };
            slot.replace(current);
            outcome
        });
        // Values are dropped out here, where their destructors may use context variables.
        if let Err(previous) = outcome {
            drop(previous);
            panic!(
                "ContextVar::reset: the token of `{}` was created in another context; reset it \
                 in the context (the same task, or the same `Context::run`) whose `set` \
                 returned it",
                self.name
            );
        }
    }

    #[inline]
    fn id(&self) -> usize {
        match self.id.load(Ordering::Relaxed) {
            0 => self.assign_id(),
            id => id,
        }
    }

    #[cold]
    fn assign_id(&self) -> usize {
        let new = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        match self
            .id
            .compare_exchange(0, new, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => new,
            Err(assigned) => assigned,
        }
    }
}

impl<T> fmt::Debug for ContextVar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextVar")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What [`ContextVar::set`] returns: the way to undo that `set` with [`ContextVar::reset`].
///
/// It remembers the variable, the context the value was set in and the value before. Dropping it
/// undoes nothing.
///
/// # Examples
///
/// ```
/// static RETRIES: runner::context::ContextVar<u32> = runner::context::ContextVar::new("retries");
/// RETRIES.set(1);
/// let token = RETRIES.set(2);
/// assert_eq!(token.var().name(), "retries");
/// assert_eq!(token.old_value(), Some(1));
/// RETRIES.reset(token);
/// assert_eq!(RETRIES.get(), Some(1));
/// ```
pub struct ContextToken<T: 'static> {
    var: &'static ContextVar<T>,
    context: Context,
    previous: Option<Value>,
}

impl<T: Clone + Send + Sync + 'static> ContextToken<T> {
    /// The variable whose `set` returned this token.
    ///
    /// # Examples
    ///
    /// ```
    /// static NAME: runner::context::ContextVar<&str> = runner::context::ContextVar::new("name");
    /// assert!(std::ptr::eq(NAME.set("x").var(), &NAME));
    /// ```
    pub fn var(&self) -> &'static ContextVar<T> {
        self.var
    }

    /// The value the variable had before that `set` (`None`: it had none).
    ///
    /// # Examples
    ///
    /// ```
    /// static COUNT: runner::context::ContextVar<u8> = runner::context::ContextVar::new("count");
    /// assert_eq!(COUNT.set(1).old_value(), None);
    /// assert_eq!(COUNT.set(2).old_value(), Some(1));
    /// ```
    pub fn old_value(&self) -> Option<T> {
        self.previous.as_ref().map(|v| downcast::<T>(v).clone())
    }
}

impl<T> fmt::Debug for ContextToken<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextToken")
            .field("var", &self.var.name)
            .finish_non_exhaustive()
    }
}

/// A set of context variables' values: asyncio's `contextvars.Context`.
///
/// `Context` is a handle: its clones share the same values, so a `set` made inside
/// [`run`](Context::run) is seen through every clone. [`Context::current`] and
/// [`copy`](Context::copy) make independent copies instead. A context may be entered by several
/// threads at once; they then share its values.
///
/// # Examples
///
/// ```
/// use runner::context::{Context, ContextVar};
///
/// static USER: ContextVar<&str> = ContextVar::new("user");
///
/// let context = Context::new();
/// context.run(|| USER.set("ada"));
/// assert_eq!(USER.get(), None); // the set landed in `context`, not here
/// assert_eq!(context.run(|| USER.get()), Some("ada"));
/// assert_eq!(context.get(&USER), Some("ada"));
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None` until the first `set`: an empty context allocates no list.
    vars: Mutex<Option<Arc<Vars>>>,
    /// Whether `vars` holds no value, readable without the lock: a task spawned from an empty
    /// context (the runner's, usually) copies it without locking.
    empty: AtomicBool,
}

impl Context {
    /// An empty context.
    ///
    /// # Examples
    ///
    /// ```
    /// static X: runner::context::ContextVar<i32> = runner::context::ContextVar::new("x");
    /// X.set(1);
    /// let empty = runner::context::Context::new();
    /// assert_eq!(empty.run(|| X.get()), None);
    /// ```
    pub fn new() -> Context {
        Context::with_vars(None)
    }

    /// A copy of the current context (asyncio's `copy_context()`): it starts with the same values,
    /// and later `set`s in either one are not seen by the other.
    ///
    /// # Examples
    ///
    /// ```
    /// static STAGE: runner::context::ContextVar<u8> = runner::context::ContextVar::new("stage");
    /// STAGE.set(1);
    /// let copy = runner::context::Context::current();
    /// STAGE.set(2);
    /// assert_eq!(copy.get(&STAGE), Some(1));
    /// copy.run(|| STAGE.set(3));
    /// assert_eq!(STAGE.get(), Some(2));
    /// ```
    pub fn current() -> Context {
        with_current(|current| current.map_or_else(Context::new, Context::copy))
    }

    /// An independent copy of this context (asyncio's `Context.copy()`).
    ///
    /// # Examples
    ///
    /// ```
    /// static N: runner::context::ContextVar<u8> = runner::context::ContextVar::new("n");
    /// let original = runner::context::Context::new();
    /// original.run(|| N.set(1));
    /// let copy = original.copy();
    /// copy.run(|| N.set(2));
    /// assert_eq!((original.get(&N), copy.get(&N)), (Some(1), Some(2)));
    /// ```
    pub fn copy(&self) -> Context {
        Context::with_vars(self.vars())
    }

    /// Runs `f` inside this context: the variables it reads and sets are this context's. The
    /// current context is restored afterwards, also when `f` panics.
    ///
    /// # Examples
    ///
    /// ```
    /// static TRACE: runner::context::ContextVar<bool> = runner::context::ContextVar::new("trace");
    /// let traced = runner::context::Context::new();
    /// traced.run(|| TRACE.set(true));
    /// assert_eq!(traced.run(|| TRACE.get()), Some(true));
    /// assert_eq!(TRACE.get(), None);
    /// ```
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let mut context = Some(self.clone());
        let _entered = Entered::new(&mut context);
        f()
    }

    /// The value of `var` in this context (a clone), or `None` if it was never set in it.
    ///
    /// # Examples
    ///
    /// ```
    /// static PORT: runner::context::ContextVar<u16> = runner::context::ContextVar::new("port");
    /// let context = runner::context::Context::new();
    /// assert_eq!(context.get(&PORT), None);
    /// context.run(|| PORT.set(8080));
    /// assert_eq!(context.get(&PORT), Some(8080));
    /// ```
    pub fn get<T: Clone + Send + Sync + 'static>(&self, var: &'static ContextVar<T>) -> Option<T> {
        let value = self.value(var.id())?;
        Some(downcast::<T>(&value).clone())
    }

    fn with_vars(vars: Option<Arc<Vars>>) -> Context {
        Context {
            inner: Arc::new(Inner {
                empty: AtomicBool::new(vars.as_ref().map_or(true, |vars| vars.is_empty())),
                vars: Mutex::new(vars),
            }),
        }
    }

    /// The list; no code of the user's runs while it is locked, so it is never poisoned in
    /// practice (and a poisoned list is still consistent: every write is a single step).
    fn lock(&self) -> MutexGuard<'_, Option<Arc<Vars>>> {
        sync::lock(&self.inner.vars)
    }

    fn value(&self, id: usize) -> Option<Value> {
        if self.inner.empty.load(Ordering::Acquire) {
            return None;
        }
        let vars = self.lock();
        let vars = vars.as_deref()?;
        let i = vars.binary_search_by_key(&id, |(key, _)| *key).ok()?;
        Some(vars[i].1.clone())
    }

    /// Sets (or with `None` removes) a value and returns the one it replaced, for the caller to
    /// drop outside the lock.
    fn replace(&self, id: usize, value: Option<Value>) -> Option<Value> {
        let mut vars = self.lock();
        let vars = Arc::make_mut(vars.get_or_insert_with(Default::default));
        let replaced = match (vars.binary_search_by_key(&id, |(key, _)| *key), value) {
            (Ok(i), Some(value)) => Some(std::mem::replace(&mut vars[i].1, value)),
            (Ok(i), None) => Some(vars.remove(i).1),
            (Err(i), Some(value)) => {
                vars.insert(i, (id, value));
                None
            }
            (Err(_), None) => None,
        };
        self.inner.empty.store(vars.is_empty(), Ordering::Release);
        replaced
    }

    /// The values, shared (`None`: none set).
    #[inline]
    fn vars(&self) -> Option<Arc<Vars>> {
        if self.inner.empty.load(Ordering::Acquire) {
            return None;
        }
        self.lock().clone()
    }

    fn is(&self, other: &Context) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Default for Context {
    /// The same as [`Context::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// static X: runner::context::ContextVar<u8> = runner::context::ContextVar::new("x");
    /// let context = runner::context::Context::default();
    /// assert_eq!(context.get(&X), None);
    /// ```
    fn default() -> Context {
        Context::new()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.lock().as_ref().map_or(0, |vars| vars.len());
        f.debug_struct("Context")
            .field("vars", &len)
            .finish_non_exhaustive()
    }
}

/// What a new task starts with: a copy of the current context, or `None` (the empty context)
/// while no variable is set, which costs no lock and no allocation.
#[inline]
pub(crate) fn copy_current() -> Option<Context> {
    let vars = with_current(|current| current?.vars())?;
    Some(Context::with_vars(Some(vars)))
}

/// Makes a context the thread's current one until dropped: it swaps the context in `slot` with
/// the thread's, and back. Only moves, so a task can afford it on every poll.
pub(crate) struct Entered<'a> {
    slot: &'a mut Option<Context>,
}

impl<'a> Entered<'a> {
    #[inline]
    pub(crate) fn new(slot: &'a mut Option<Context>) -> Entered<'a> {
        swap(slot);
        Entered { slot }
    }
}

impl Drop for Entered<'_> {
    #[inline]
    fn drop(&mut self) {
        // A `set` that made the empty context real comes back into `slot` here.
        swap(self.slot);
    }
}

/// `Entered` for a context kept in a `Cell`: a runner's own, which its runs share.
pub(crate) struct EnteredCell<'a> {
    slot: &'a Cell<Option<Context>>,
}

impl<'a> EnteredCell<'a> {
    #[inline]
    pub(crate) fn new(slot: &'a Cell<Option<Context>>) -> EnteredCell<'a> {
        swap_cell(slot);
        EnteredCell { slot }
    }
}

impl Drop for EnteredCell<'_> {
    #[inline]
    fn drop(&mut self) {
        swap_cell(self.slot);
    }
}

#[inline]
fn swap_cell(slot: &Cell<Option<Context>>) {
    let mut context = slot.take();
    swap(&mut context);
    slot.set(context);
}

#[inline]
fn swap(slot: &mut Option<Context>) {
    *slot = CURRENT.with(|current| current.replace(slot.take()));
}

/// Runs `f` with the thread's current context. `f` must not run the user's code (it could reach
/// for the slot, which is empty meanwhile) nor panic.
#[inline]
fn with_current<R>(f: impl FnOnce(Option<&Context>) -> R) -> R {
    CURRENT.with(|slot| {
        let current = slot.take();
        let result = f(current.as_ref());
        slot.replace(current);
        result
    })
}

fn downcast<T: 'static>(value: &Value) -> &T {
    value
        .downcast_ref()
        .expect("runner: a context variable's value has another type than the variable (a bug)")
}
