/**
 * ironsecrets: one secrets SDK over HashiCorp Vault / OpenBao, AWS Secrets Manager + KMS,
 * Azure Key Vault, GCP Secret Manager and an embedded encrypted store. Every operation
 * returns a Promise and takes an optional `{ signal }`; durations are seconds.
 *
 * @example
 * const client = await Client.fromUri('local:///var/lib/app/secrets.db', { master_key })
 * await client.put('app/db/password', 'hunter2')
 * const secret = await client.get('app/db/password')
 * secret.value.revealString() // 'hunter2'; secret.value prints as [REDACTED]
 */
import { EventEmitter } from 'node:events'
import type * as native from './native'

export {
  Client,
  Transit,
  Leases,
  Credentials,
  Vault,
  SecretValue,
  ManagedLease,
  LeaseEvents,
  Generations,
  Ticket,
} from './native'
export type {
  SecretInput,
  OptionValue,
  Capabilities,
  StoreCapabilities,
  TransitCapabilities,
  CallOptions,
  GetOptions,
  PutArgs,
  MetadataArgs,
  StatusArgs,
  RetryArgs,
  CacheArgs,
  CreateKeyArgs,
  CryptArgs,
  DataKeyArgs,
  RenewArgs,
  LoginArgs,
  JwtLoginArgs,
  KubernetesLoginArgs,
  CertLoginArgs,
  PkiSignArgs,
  LeaseManagerOptions,
  StopOptions,
  GenerationsOptions,
  Secret,
  VersionInfo,
  SecretMetadata,
  RotationEntry,
  KeyInfo,
  DataKey,
  Lease,
  LeasedCredential,
  TokenLease,
  TokenInfo,
  Health,
  SignedCertificate,
  LeaseEvent,
  Generation,
  Drained,
  RotationStats,
} from './native'

/** The package version. */
export declare const version: string
/** Every error kind's name, in the core's order (one error class each). */
export declare const ERROR_KINDS: readonly ErrorCode[]
/** Every operation's name, as errors report it in `operation`. */
export declare const OPERATIONS: readonly string[]

/** The name of an error kind: an error's `code`. */
export type ErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'InvalidInput'
  | 'Unsupported'
  | 'Unavailable'
  | 'RateLimited'
  | 'LeaseExpired'
  | 'Integrity'
  | 'Config'
  | 'Unexpected'

/** Every ironsecrets error: `code` names its kind; never carries a secret. */
export declare class IronsecretsError extends Error {
  /** The error kind's name (`'NotFound'`, ...). */
  readonly code: ErrorCode
  /** Whether trying again may succeed. */
  readonly retryable: boolean
  /** Seconds the backend asked to wait before trying again. */
  readonly retryAfter: number | null
  /** The backend's short name (`'vault'`, `'local'`, ...). */
  readonly backend: string | null
  /** The operation that failed (`'get'`, `'put'`, ...). */
  readonly operation: string | null
  /** The secret path or key name involved. */
  readonly path: string | null
}
/** The secret, version, key or lease does not exist (or is deleted). */
export declare class NotFoundError extends IronsecretsError {}
/** Something with that name exists already. */
export declare class AlreadyExistsError extends IronsecretsError {}
/** A check-and-set or concurrent change conflicted. */
export declare class ConflictError extends IronsecretsError {}
/** The caller is known but not allowed to do this. */
export declare class PermissionDeniedError extends IronsecretsError {}
/** The caller could not be identified (missing or expired token). */
export declare class UnauthenticatedError extends IronsecretsError {}
/** The request itself is malformed (bad path, bad option). */
export declare class InvalidInputError extends IronsecretsError {}
/** The backend does not support this operation. */
export declare class UnsupportedError extends IronsecretsError {}
/** The backend is down, sealed, on standby or unreachable. */
export declare class UnavailableError extends IronsecretsError {}
/** The backend asked us to slow down. */
export declare class RateLimitedError extends IronsecretsError {}
/** The lease has expired or was revoked. */
export declare class LeaseExpiredError extends IronsecretsError {}
/** Data was tampered with, or a wrong key was used. */
export declare class IntegrityError extends IronsecretsError {}
/** The client is misconfigured (URI, environment, master key). */
export declare class ConfigError extends IronsecretsError {}
/** Anything else. */
export declare class UnexpectedError extends IronsecretsError {}

/** How often a secret must change, and how long before that to remind (seconds). */
export interface RotationPolicy extends native.RotationPolicy {}
/** Rotation policies in whole days. */
export declare const RotationPolicy: {
  /** `period` days, reminding `remindBefore` days ahead (default 14). */
  days(period: number, remindBefore?: number): RotationPolicy
}

/** What dynamic credential to issue (`kind` and the fields that kind takes). */
export interface CredentialRequest extends native.CredentialRequest {}
/** Builders for each kind of credential request. */
export declare const CredentialRequest: {
  /** A database secrets engine dynamic role. */
  database(mount: string, role: string): CredentialRequest
  /** A database secrets engine static role. */
  databaseStatic(mount: string, role: string): CredentialRequest
  /** An SSH one-time password for the host at `ip`. */
  sshOtp(mount: string, role: string, ip: string, options?: { username?: string }): CredentialRequest
  /** An SSH certificate for `publicKey`. */
  sshSignedKey(
    mount: string,
    role: string,
    publicKey: string,
    options?: { validPrincipals?: string[]; host?: boolean; ttl?: number },
  ): CredentialRequest
  /** An X.509 certificate and its private key. */
  pkiCertificate(
    mount: string,
    role: string,
    commonName: string,
    options?: { altNames?: string[]; ttl?: number },
  ): CredentialRequest
  /** Cloud credentials (a Vault cloud secrets engine, AWS STS). */
  cloud(mount: string, role: string, options?: { ttl?: number }): CredentialRequest
}

/** The events a `LeaseManager` emits; each also as `'event'`. */
export interface LeaseManagerEvents {
  /** Every event, whatever its kind. */
  event: [native.LeaseEvent]
  /** A lease was renewed (`lease`: the renewed lease). */
  renewed: [native.LeaseEvent]
  /** New credentials replaced the old ones (`lease`: the new lease). */
  rotated: [native.LeaseEvent]
  /** A renewal, issue or revocation failed (`errorKind`, `message`, `retryIn`). */
  failed: [native.LeaseEvent]
  /** The current lease ran out before it could be renewed or replaced. */
  expired: [native.LeaseEvent]
  /** A lease was revoked (`leaseId`): an old one after a rotation, or any at shutdown. */
  revoked: [native.LeaseEvent]
}

/**
 * Keeps leases alive (renewal ahead of expiry, re-issue before the max TTL) from one
 * background task and emits their events. It never keeps the process alive.
 */
export declare class LeaseManager extends EventEmitter<LeaseManagerEvents> {
  /** A manager issuing through `client`. */
  constructor(client: native.Client, options?: native.LeaseManagerOptions)
  /** Issues the credential and keeps it alive. */
  manage(
    name: string,
    request: CredentialRequest,
    options?: native.CallOptions,
  ): Promise<native.ManagedLease>
  /** Stops every lease, revoking them unless `{ revoke: false }`. */
  shutdown(options?: native.StopOptions): Promise<void>
  /** Every managed lease's events from now on. */
  events(): native.LeaseEvents
}

declare module './native' {
  /** `for await (const event of events)`: pulls `next()` until the stream ends. */
  interface LeaseEvents extends AsyncIterable<LeaseEvent> {}
}
