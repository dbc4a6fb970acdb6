//! One method list, two classes: every client class exists as a blocking one
//! (`Client`, `Transit`, ...) and an asyncio one (`AsyncClient`, `AsyncTransit`, ...).
//! [`both_flavors!`] writes a `#[pymethods]` block once and expands it for each class
//! with `flavor` naming [`blocking`] or [`asyncio`]: `flavor::run` turns a core future
//! into the call's result, `flavor::Transit` is the class of the same flavor.

/// The blocking flavor: calls block with the GIL released.
pub mod blocking {
    pub use crate::runtime::block as run;
    pub type Transit = crate::engines::PyTransit;
    pub type Leases = crate::engines::PyLeases;
    pub type Credentials = crate::engines::PyCredentials;
    pub type Vault = crate::vault::PyVault;
}

/// The asyncio flavor: calls return awaitables.
pub mod asyncio {
    pub use crate::runtime::awaitable as run;
    pub type Transit = crate::engines::PyAsyncTransit;
    pub type Leases = crate::engines::PyAsyncLeases;
    pub type Credentials = crate::engines::PyAsyncCredentials;
    pub type Vault = crate::vault::PyAsyncVault;
}

/// `both_flavors!(Blocking / Async, { methods })`: the methods as `#[pymethods]` of both
/// classes; in them `flavor::` is [`blocking`] for the first and [`asyncio`] for the
/// second.
macro_rules! both_flavors {
    ($blocking:ident / $asyncio:ident, { $($methods:tt)* }) => {
        const _: () = {
            use $crate::flavor::blocking as flavor;
            #[pyo3::pymethods]
            impl $blocking { $($methods)* }
        };
        const _: () = {
            use $crate::flavor::asyncio as flavor;
            #[pyo3::pymethods]
            impl $asyncio { $($methods)* }
        };
    };
}

pub(crate) use both_flavors;

/// A class holding a core handle made in this process: `Self::from(handle)`, and the
/// handle back (refused after a fork).
macro_rules! handle_class {
    ($(#[doc = $doc:literal])* $class:ident($handle:ty), $name:literal) => {
        $(#[doc = $doc])*
        #[pyo3::pyclass(frozen, name = $name, module = "ironsecrets")]
        pub struct $class($crate::runtime::Forked<$handle>);

        impl From<$handle> for $class {
            fn from(handle: $handle) -> Self {
                $class($crate::runtime::Forked::new(handle))
            }
        }

        impl $class {
            /// The handle; ConfigError in a child forked after it was made.
            pub fn handle(&self) -> pyo3::PyResult<&$handle> {
                self.0.get()
            }
        }
    };
}

pub(crate) use handle_class;
