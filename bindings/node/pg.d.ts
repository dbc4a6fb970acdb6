/**
 * `ironsecrets/pg`: a `pg.Pool` whose credential follows a managed lease of a database
 * role. New connections log in as the newest credential; an old generation's clients
 * close as they come back, and its lease is revoked once the last one has.
 */
import { EventEmitter } from 'node:events'
import type { Pool, PoolClient, PoolConfig, QueryConfig, QueryResult, QueryResultRow } from 'pg'
import type { GenerationsOptions, ManagedLease, RotationStats } from './index'

/** `pg.Pool` options without `user` and `password` (the lease supplies them). */
export type RotatingPoolConfig = Omit<PoolConfig, 'user' | 'password'>

/** The events a rotating pool emits. */
export interface RotatingPoolEvents {
  /** An idle client of some generation failed (as `pg.Pool`'s `'error'`). */
  error: [Error, PoolClient]
  /** A new client connected. */
  connect: [PoolClient]
  /** New work now goes to generation `number`. */
  rotate: [number]
}

/** A `pg.Pool` whose credential follows a `ManagedLease`. */
export declare class RotatingPool extends EventEmitter<RotatingPoolEvents> {
  /**
   * A pool following `lease` (a database role's, with `username` / `password` fields);
   * `options` are the `Generations` options (seconds).
   */
  constructor(lease: ManagedLease, config?: RotatingPoolConfig, options?: GenerationsOptions)
  /** Runs one query on a client of the current generation. */
  query<R extends QueryResultRow = any, I extends any[] = any[]>(
    text: string | QueryConfig<I>,
    values?: I,
  ): Promise<QueryResult<R>>
  /** A client of the current generation; `release()` it when done. */
  connect(): Promise<PoolClient>
  /** Ends every generation's pool and stops following the lease. */
  end(): Promise<void>
  /** The current generation number. */
  readonly generation: number
  /** What the generations have done (rotations, revocations). */
  stats(): RotationStats
  /** The current generation's pool: its clients, busy or idle. */
  readonly totalCount: Pool['totalCount']
  /** The current generation's pool: its idle clients. */
  readonly idleCount: Pool['idleCount']
  /** The current generation's pool: requests waiting for a client. */
  readonly waitingCount: Pool['waitingCount']
}

/** A rotating pool over `lease`. */
export declare function createPool(
  lease: ManagedLease,
  config?: RotatingPoolConfig,
  options?: GenerationsOptions,
): RotatingPool
