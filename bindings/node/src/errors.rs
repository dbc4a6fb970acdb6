//! Core errors as JavaScript errors: `index.js` makes `IronsecretsError` and one subclass
//! per `ErrorKind` from [`error_kinds`], and registers the function that builds them.

use std::cell::RefCell;

use ironsecrets::{Error as CoreError, ErrorKind};
use napi::bindgen_prelude::{Function, FunctionRef, Unknown};
use napi::{Env, Status};
use napi_derive::napi;

/// What a core error carries, handed to the error factory (never a secret).
#[napi(object, object_from_js = false)]
pub struct ErrorInfo {
    /// The kind's name (`'NotFound'`, ...), the error's `code`.
    pub kind: String,
    /// What went wrong.
    pub message: String,
    /// Whether retrying the same call may succeed.
    pub retryable: bool,
    /// Seconds the backend asked to wait.
    pub retry_after: Option<f64>,
    /// The backend that failed, when known.
    pub backend: Option<String>,
    /// The operation that failed, when known.
    pub operation: Option<String>,
    /// The secret path involved, when known.
    pub path: Option<String>,
}

type Factory = FunctionRef<ErrorInfo, Unknown<'static>>;

thread_local! {
    /// The factory `index.js` registered, per JavaScript thread (main or worker).
    static FACTORY: RefCell<Option<Factory>> = const { RefCell::new(None) };
}

/// Every error kind's name, in the core's order.
#[napi]
pub fn error_kinds() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|kind| kind.name()).collect()
}

/// Registers the function that turns an `ErrorInfo` into an error object.
#[napi(ts_args_type = "factory: (info: ErrorInfo) => Error")]
pub fn set_error_factory(factory: Function<ErrorInfo, Unknown<'static>>) -> napi::Result<()> {
    let factory = factory.create_ref()?;
    FACTORY.with(|slot| *slot.borrow_mut() = Some(factory));
    Ok(())
}

fn info(error: &CoreError) -> ErrorInfo {
    ErrorInfo {
        kind: error.kind().name().to_owned(),
        message: error.to_string(),
        retryable: error.is_retryable(),
        retry_after: error.retry_after().map(|wait| wait.as_secs_f64()),
        backend: error.backend().map(str::to_owned),
        operation: error.operation().map(|op| op.name().to_owned()),
        path: error.path().map(str::to_owned),
    }
}

/// The JavaScript error for a core error: its kind's class, made by the factory.
pub fn to_js(env: &Env, error: CoreError) -> napi::Error {
    let made = FACTORY.with(|slot| match slot.borrow().as_ref() {
        Some(factory) => factory
            .borrow_back(env)
            .and_then(|factory| factory.call(info(&error)))
            .map(napi::Error::from),
        None => Ok(napi::Error::new(Status::GenericFailure, error.to_string())),
    });
    made.unwrap_or_else(|failed| failed)
}

/// A core error of `kind` for a mistake in the arguments.
pub fn invalid(env: &Env, message: impl Into<String>) -> napi::Error {
    to_js(env, CoreError::invalid_input(message.into()))
}
