//! Promises over the core's futures: each call runs on napi-rs's tokio runtime and
//! settles on the JavaScript thread, with the core's error as the kind's error class and
//! an `AbortSignal` that drops the request.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use napi::bindgen_prelude::{
    FnArgs, FromNapiValue, Function, FunctionRef, JsObjectValue, Object, ObjectRef, PromiseRaw,
    ToNapiValue, TypeName, Unknown, ValidateNapiValue,
};
use napi::{Env, JsError, ValueType, sys};
use tokio::sync::watch;

/// What a call came to: the core's answer, or the caller's abort.
enum Outcome<T> {
    Done(ironsecrets::Result<T>),
    Aborted,
}

/// `signal.addEventListener` / `removeEventListener` for the abort listener.
type ListenerMethod<'env> = Function<'env, FnArgs<(&'static str, Function<'env, (), ()>)>, ()>;

/// An `AbortSignal` a call was given: aborting it drops the request and rejects the
/// promise with `signal.reason`, as `fetch` does.
pub struct Signal {
    aborted: watch::Receiver<bool>,
    signal: ObjectRef<false>,
    listener: Option<FunctionRef<(), ()>>,
}

impl TypeName for Signal {
    fn type_name() -> &'static str {
        "AbortSignal"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for Signal {}

impl FromNapiValue for Signal {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let object = unsafe { Object::from_napi_value(env, value)? };
        let env = Env::from_raw(env);
        let (flag, aborted) = watch::channel(object.get_named_property::<bool>("aborted")?);
        let signal = object.create_ref::<false>()?;
        if *aborted.borrow() {
            return Ok(Signal {
                aborted,
                signal,
                listener: None,
            });
        }
        let on_abort = env.create_function_from_closure("onAbort", move |_| {
            flag.send_replace(true);
            Ok(())
        })?;
        let add: ListenerMethod = object.get_named_property("addEventListener")?;
        add.apply(object, FnArgs::from(("abort", on_abort)))?;
        Ok(Signal {
            aborted,
            signal,
            listener: Some(on_abort.create_ref()?),
        })
    }
}

impl Signal {
    /// Removes the listener and returns `signal.reason` if the signal aborted, on the
    /// JavaScript thread.
    fn release<'env>(self, env: &'env Env) -> napi::Result<Option<Unknown<'env>>> {
        let object = self.signal.get_value(env)?;
        let aborted = object.get_named_property::<bool>("aborted")?;
        if let Some(listener) = self.listener {
            let remove: ListenerMethod = object.get_named_property("removeEventListener")?;
            remove.apply(object, FnArgs::from(("abort", listener.borrow_back(env)?)))?;
        }
        let reason = object.get_named_property::<Unknown>("reason")?;
        self.signal.unref(env)?;
        Ok(aborted.then_some(reason))
    }
}

/// The promise of a core call: resolves with its answer, rejects with the kind's error
/// class, or with the signal's reason when `signal` aborted before the promise settled
/// (a request still under way is dropped; one that already reached the backend may have
/// taken effect, as with `fetch`).
///
/// The call is polled once on the JavaScript thread (inside the runtime): an answer that
/// is ready at once (a cache hit, an argument the core refuses) settles the promise
/// there, without a round trip through a runtime thread. Otherwise the runtime drives
/// the rest and the promise settles on the JavaScript thread when it is done.
pub fn promise<'env, T, F>(
    env: &'env Env,
    signal: Option<Signal>,
    call: F,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = ironsecrets::Result<T>> + Send + 'static,
{
    let aborted = signal.as_ref().map(|signal| signal.aborted.clone());
    let mut run = Box::pin(async move {
        let Some(mut aborted) = aborted else {
            return Ok(Outcome::Done(call.await));
        };
        tokio::select! {
            biased;
            _ = aborted.wait_for(|aborted| *aborted) => Ok(Outcome::Aborted),
            answer = call => Ok(Outcome::Done(answer)),
        }
    });
    let first = within_runtime(|| run.as_mut().poll(&mut Context::from_waker(Waker::noop())));
    match first {
        Poll::Ready(outcome) => match settle(env, signal, outcome?) {
            Ok(value) => PromiseRaw::resolve(env, value),
            Err(error) => PromiseRaw::reject(env, JsError::from(error)),
        },
        Poll::Pending => {
            env.spawn_future_with_callback(run, move |env, outcome| settle(env, signal, outcome))
        }
    }
}

/// What the promise settles with, on the JavaScript thread.
fn settle<T>(env: &Env, signal: Option<Signal>, outcome: Outcome<T>) -> napi::Result<T> {
    let reason = signal
        .map(|signal| signal.release(env))
        .transpose()?
        .flatten();
    match (outcome, reason) {
        (_, Some(reason)) => Err(napi::Error::from(reason)),
        (Outcome::Done(Ok(value)), None) => Ok(value),
        (Outcome::Done(Err(error)), None) => Err(crate::errors::to_js(env, error)),
        (Outcome::Aborted, None) => Err(napi::Error::new(
            napi::Status::Cancelled,
            "the operation was aborted",
        )),
    }
}

/// Runs `f` inside the runtime, for core constructors that spawn tasks.
pub fn within_runtime<T>(f: impl FnOnce() -> T) -> T {
    napi::bindgen_prelude::within_runtime_if_available(f)
}
