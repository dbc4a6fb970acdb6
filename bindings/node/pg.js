'use strict'
/**
 * `ironsecrets/pg`: a `pg.Pool` face over a managed lease's credential generations.
 * New connections log in as the newest credential (user and password: dynamic roles
 * change both); when the credential rotates, the pool of the old generation stops
 * taking work, closes its idle clients and each returned one, and its lease is revoked
 * once the last of them is closed (the core's `Generations` decides when).
 */
const { EventEmitter } = require('node:events')
const { Generations } = require('./index.js')

/** The `pg` module, loaded on first use (a peer dependency). */
function pg() {
  return require('pg')
}

/** A `pg.Pool` whose credential follows a `ManagedLease`. */
class RotatingPool extends EventEmitter {
  #config
  #generations
  /** `{ number, pool, ticket }` of the generation new work goes to. */
  #current
  #ended = false

  /**
   * @param lease the managed lease of a database role (`username` / `password` fields)
   * @param config `pg.Pool` options without `user` / `password`
   * @param options `Generations` options (`revokeMargin`, `unleasedDrain`, seconds)
   */
  constructor(lease, config = {}, options = {}) {
    super()
    if ('user' in config || 'password' in config) {
      throw new TypeError('the lease supplies user and password: leave them out of the pool config')
    }
    this.#config = config
    this.#generations = new Generations(lease, options)
    this.#follow()
    const pool = new WeakRef(this)
    this.#generations.onChange(() => pool.deref()?.#follow())
  }

  /** Moves new work to the current generation's pool and retires the old one. */
  #follow() {
    if (this.#ended || this.#current?.number === this.#generations.generation) return
    const { number, credential } = this.#generations.current()
    let ticket
    try {
      ticket = this.#generations.open(number)
    } catch (error) {
      if (error.code === 'Conflict') return this.#follow()
      throw error
    }
    const pool = new (pg().Pool)({
      ...this.#config,
      user: credential.data.username.revealString(),
      password: credential.data.password.revealString(),
    })
    pool.on('error', (error, client) => this.emit('error', error, client))
    pool.on('connect', (client) => this.emit('connect', client))
    const old = this.#current
    this.#current = { number, pool, ticket }
    if (old) retire(old)
    this.emit('rotate', number)
  }

  /** The pool new work goes to, after catching up with a rotation. */
  #pool() {
    if (this.#ended) throw new Error('Cannot use a pool after calling end on the pool')
    this.#follow()
    return this.#current.pool
  }

  /** `pg.Pool#query`: runs one query on a client of the current generation. */
  query(...args) {
    return this.#pool().query(...args)
  }

  /** `pg.Pool#connect`: a client of the current generation (release it when done). */
  connect(callback) {
    return this.#pool().connect(callback)
  }

  /** Ends every generation's pool and stops following the lease (which stays managed). */
  async end() {
    if (this.#ended) return
    this.#ended = true
    this.#generations.close()
    const current = this.#current
    await current.pool.end()
    current.ticket.close()
  }

  /** The current generation number. */
  get generation() {
    return this.#current.number
  }

  /** What the generations have done (rotations, revocations). */
  stats() {
    return this.#generations.stats()
  }

  /** The current generation's `pg.Pool` counts. */
  get totalCount() {
    return this.#current.pool.totalCount
  }

  get idleCount() {
    return this.#current.pool.idleCount
  }

  get waitingCount() {
    return this.#current.pool.waitingCount
  }
}

/**
 * Ends an old generation's pool once nobody waits on it (pg-pool serves no waiter after
 * `end()`): idle clients close now, checked-out ones when released; then its ticket
 * closes, which lets the core revoke its lease.
 */
function retire({ pool, ticket }) {
  const tryEnd = () => {
    if (pool.ending || pool.waitingCount > 0) return
    pool.off('release', onRelease)
    pool.end().finally(() => ticket.close())
  }
  // 'release' fires before the released client serves a waiter: look once it has.
  const onRelease = () => setImmediate(tryEnd)
  pool.on('release', onRelease)
  tryEnd()
}

/** A rotating pool over `lease` (see `RotatingPool`). */
function createPool(lease, config, options) {
  return new RotatingPool(lease, config, options)
}

module.exports = { RotatingPool, createPool }
