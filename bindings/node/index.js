'use strict'
/**
 * The npm package `ironsecrets`: the native addon (Rust, Node-API) plus what its
 * generator cannot express — the error classes, `SecretValue`'s redaction hooks and the
 * EventEmitter face of `LeaseManager`. Every behaviour is the Rust core's.
 */
const { EventEmitter } = require('node:events')
const { inspect } = require('node:util')

const native = require(`./ironsecrets.${platformSuffix()}.node`)

/** The addon's file suffix for this platform, as `napi build --platform` names it. */
function platformSuffix() {
  const { platform, arch } = process
  if (platform !== 'linux') return `${platform}-${arch}`
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime
  return `${platform}-${arch}-${glibc ? 'gnu' : 'musl'}`
}

const REDACTED = '[REDACTED]'

/** Every ironsecrets error; `code` is the error kind's name (`'NotFound'`, ...). */
class IronsecretsError extends Error {
  constructor(message, info = {}) {
    super(message)
    this.name = new.target.name
    this.code = info.kind ?? 'Unexpected'
    this.retryable = info.retryable ?? false
    this.retryAfter = info.retryAfter ?? null
    this.backend = info.backend ?? null
    this.operation = info.operation ?? null
    this.path = info.path ?? null
  }
}

/** One subclass per core error kind, made from the core's list: `NotFoundError`, ... */
const errorClasses = Object.fromEntries(
  native.errorKinds().map((kind) => {
    const name = `${kind}Error`
    const made = {
      [name]: class extends IronsecretsError {
        constructor(message, info = {}) {
          super(message, { ...info, kind })
        }
      },
    }[name]
    return [kind, made]
  }),
)
native.setErrorFactory(
  (info) => new (errorClasses[info.kind] ?? errorClasses.Unexpected)(info.message, info),
)

const { SecretValue } = native
for (const hook of ['toString', 'toJSON', Symbol.toPrimitive, inspect.custom]) {
  Object.defineProperty(SecretValue.prototype, hook, {
    value: () => REDACTED,
    writable: false,
    enumerable: false,
  })
}

/** Rotation policies in whole days (durations are seconds elsewhere). */
const RotationPolicy = {
  days: (period, remindBefore = 14) => ({ period: period * 86400, remindBefore: remindBefore * 86400 }),
}

/** Builders for the requests `credentials.issue` and `LeaseManager.manage` take. */
const CredentialRequest = {
  database: (mount, role) => ({ kind: 'database', mount, role }),
  databaseStatic: (mount, role) => ({ kind: 'databaseStatic', mount, role }),
  sshOtp: (mount, role, ip, options = {}) => ({ kind: 'sshOtp', mount, role, ip, ...options }),
  sshSignedKey: (mount, role, publicKey, options = {}) => ({
    kind: 'sshSignedKey',
    mount,
    role,
    publicKey,
    ...options,
  }),
  pkiCertificate: (mount, role, commonName, options = {}) => ({
    kind: 'pkiCertificate',
    mount,
    role,
    commonName,
    ...options,
  }),
  cloud: (mount, role, options = {}) => ({ kind: 'cloud', mount, role, ...options }),
}

/**
 * Keeps leases alive from one background task and emits their events (`'renewed'`,
 * `'rotated'`, `'failed'`, `'expired'`, `'revoked'`, and every one as `'event'`). It
 * never keeps the process alive.
 */
class LeaseManager extends EventEmitter {
  #native

  constructor(client, options) {
    super()
    this.#native = new native.LeaseManager(client, options)
    const manager = new WeakRef(this)
    this.#native.onEvent((event) => manager.deref()?.#dispatch(event))
  }

  #dispatch(event) {
    this.emit('event', event)
    if (event.kind !== 'other') this.emit(event.kind, event)
  }

  /** Issues the credential and keeps it alive. */
  manage(name, request, options) {
    return this.#native.manage(name, request, options)
  }

  /** Stops every lease, revoking them unless `{ revoke: false }`. */
  shutdown(options) {
    return this.#native.shutdown(options)
  }

  /** Every managed lease's events from now on, as an async iterable `LeaseEvents`. */
  events() {
    return this.#native.events()
  }
}

/** `for await (const event of lease.events())`: pulls `next()` until the stream ends. */
native.LeaseEvents.prototype[Symbol.asyncIterator] = async function* events() {
  for (;;) {
    const event = await this.next()
    if (event === null) return
    yield event
  }
}

module.exports = {
  version: native.version(),
  ERROR_KINDS: native.errorKinds(),
  OPERATIONS: native.operations(),
  Client: native.Client,
  Transit: native.Transit,
  Leases: native.Leases,
  Credentials: native.Credentials,
  Vault: native.Vault,
  SecretValue,
  ManagedLease: native.ManagedLease,
  LeaseEvents: native.LeaseEvents,
  Generations: native.Generations,
  Ticket: native.Ticket,
  LeaseManager,
  RotationPolicy,
  CredentialRequest,
  IronsecretsError,
  ...Object.fromEntries(Object.values(errorClasses).map((made) => [made.name, made])),
}
