// The Rust conformance checks (crates/testkit), as Node functions over the Node API (a
// port of bindings/python/tests/test_conformance.py), and their list: `CHECKS`, in the
// Rust order, `[{ name, requires, body }]`. Importing this module runs nothing; the
// tests are in conformance.test.mjs, and tests/cross_language.test.mjs at the repository
// root compares this list with the Rust and Python ones.
//
// One function per Rust check, with the same name and the same assertions. `requires`
// is the capability a check needs, spelled as Rust spells it (snake_case:
// `store.empty_values`); `body(client, prefix)` runs the check under `prefix`.
//
// Like the Rust checks, failure messages name the step and never show a secret value:
// values are compared, and a mismatch is reported by length.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { format, inspect, isDeepStrictEqual } from 'node:util'

import {
  AlreadyExistsError,
  ConflictError,
  CredentialRequest,
  IntegrityError,
  InvalidInputError,
  IronsecretsError,
  NotFoundError,
  RotationPolicy,
  SecretValue,
  UnsupportedError,
} from 'ironsecrets'

/** `ironsecrets_core::MAX_PATH_LEN`: the longest path, in bytes. */
const MAX_PATH_LEN = 512

/** Every key type the core knows, by the name Vault (and `createKey`) uses. */
const KEY_TYPES = ['aes256-gcm96', 'chacha20-poly1305', 'ed25519', 'ecdsa-p256', 'rsa-2048']
const SIGNING_KEY_TYPES = new Set(['ed25519', 'ecdsa-p256', 'rsa-2048'])

const PLAINTEXT = Buffer.concat([
  Buffer.from('conformance plaintext ', 'utf8'),
  Buffer.from([0x00, 0x01, 0xfe, 0xff]),
])
const CONTEXT = Buffer.from('tenant-a', 'utf8')

const bytes = (text) => Buffer.from(text, 'utf8')

// ---------------------------------------------------------------------------------
// What a check may use (crates/testkit/src/check.rs).
// ---------------------------------------------------------------------------------

/** The backend behaved differently from the contract. */
class CheckFailed extends assert.AssertionError {
  constructor(message) {
    super({ message })
    this.name = 'CheckFailed'
  }
}

/** Fails the check with `message` unless `condition` holds. */
function ensure(condition, message) {
  if (!condition) throw new CheckFailed(message)
}

/** The error of `call`, which must reject (or throw) with `error`. */
async function fails_with(step, call, error) {
  try {
    await call()
  } catch (e) {
    if (e instanceof error) return e
    if (e instanceof IronsecretsError) {
      throw new CheckFailed(`${step}: expected ${error.name}, got ${e.name}: ${e.message}`)
    }
    throw e
  }
  throw new CheckFailed(`${step}: succeeded, expected ${error.name}`)
}

/** Compares bytes without showing either side. */
function same_bytes(step, actual, expected) {
  ensure(
    Buffer.compare(actual, expected) === 0,
    `${step}: value differs (len ${actual.length} vs ${expected.length} expected)`,
  )
}

/** Fails if `shown` (something printed) contains `canary`. */
function free_of(what, shown, canary) {
  ensure(!shown.includes(canary), `${what} shows the planted value`)
}

/** `prefix` ending with exactly one `/`. */
function folder(prefix) {
  return prefix.replace(/\/+$/, '') + '/'
}

/** `rest` inside the folder `prefix`. */
function under(prefix, rest) {
  return folder(prefix) + rest
}

/** A value no other run writes. */
function unique(label) {
  return `${label}-${randomBytes(8).toString('hex')}`
}

/** Python's `repr` of a string, near enough for messages (paths, never values). */
const show = (value) => JSON.stringify(value)

/** Orders strings as Rust and Python do: by code point (the UTF-8 bytes' order). */
function byCodePoint(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** The client's declared capabilities. */
function caps_of(client) {
  return client.capabilities()
}

/** The store's declared capabilities. */
function store_caps(client) {
  return caps_of(client).store
}

/** The transit engine's declared capabilities (empty without one). */
function transit_caps(client) {
  return caps_of(client).transit ?? {}
}

function canonicalKeyType(name) {
  return name.replace(/[-_]/g, '').toLowerCase()
}

/** The key types the transit engine declares, by their `createKey` names. */
function declared_key_types(client) {
  const declared = new Set((transit_caps(client).keyTypes ?? []).map((k) => canonicalKeyType(String(k))))
  return KEY_TYPES.filter((k) => declared.has(canonicalKeyType(k)))
}

// ---------------------------------------------------------------------------------
// secrets.rs
// ---------------------------------------------------------------------------------

/** Writes `value` at `path`, reads it back, compares bytes, path and version. */
async function put_and_read_back(client, path, value) {
  const written = await client.put(path, value)
  const secret = await client.get(path)
  same_bytes('get after put', secret.value.reveal(), value)
  ensure(secret.path === path, `get returned path ${show(secret.path)}, expected ${show(path)}`)
  ensure(
    secret.version === written.version,
    `get returned version ${secret.version}, but put wrote version ${written.version}`,
  )
}

/** A short UTF-8 text value round-trips. */
async function round_trip_text(client, prefix) {
  await put_and_read_back(client, under(prefix, 'text'), bytes('correct horse battery staple'))
}

/** An empty value is stored and read back empty. */
async function round_trip_empty(client, prefix) {
  await put_and_read_back(client, under(prefix, 'empty'), Buffer.alloc(0))
}

/** A value holding every byte value 0..=255 round-trips. */
async function round_trip_binary(client, prefix) {
  await put_and_read_back(
    client,
    under(prefix, 'binary'),
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  )
}

/** A 1 MiB value (or the backend's documented limit) round-trips untruncated. */
async function round_trip_large(client, prefix) {
  const limit = store_caps(client).maxValueBytes
  const size = limit == null ? 1 << 20 : Math.min(Number(limit), 1 << 20)
  const value = Buffer.alloc(size)
  for (let i = 0; i < size; i++) value[i] = 0x61 + ((i * 7 + Math.floor(i / 4096)) % 26)
  await put_and_read_back(client, under(prefix, 'large'), value)
}

/** Unicode path segments and value round-trip; `list` returns the path as written. */
async function round_trip_unicode(client, prefix) {
  const path = under(prefix, 'ünïcode/ключ/秘密')
  await put_and_read_back(client, path, bytes('pä55 — 秘密 🔑 ключ'))
  const listed = await client.list(folder(prefix))
  ensure(
    isDeepStrictEqual(listed, [path]),
    `list returned ${show(listed)}, expected [${show(path)}]`,
  )
}

/** A mapping written by `put` reads back through `fields()` as the same map. */
async function round_trip_map(client, prefix) {
  const fields = {
    username: 'app',
    password: 'pä55 wörd "quoted" \\ slash',
    ключ: 'значение',
    empty: '',
  }
  const path = under(prefix, 'map')
  await client.put(path, fields)
  const back = (await client.get(path)).value.fields()
  const revealed = Object.fromEntries(
    Object.entries(back).map(([name, value]) => [name, value.revealString()]),
  )
  const sameMap =
    Object.keys(revealed).length === Object.keys(fields).length &&
    Object.entries(fields).every(([name, value]) => Object.hasOwn(revealed, name) && revealed[name] === value)
  ensure(
    sameMap,
    `map differs (fields ${show(Object.keys(revealed).sort(byCodePoint))} vs ` +
      `${show(Object.keys(fields).sort(byCodePoint))} expected)`,
  )
}

// ---------------------------------------------------------------------------------
// versions.rs
// ---------------------------------------------------------------------------------

/** Writes each value as a new version; the versions, oldest first. */
async function put_all(client, path, values) {
  const versions = []
  for (const value of values) versions.push((await client.put(path, value)).version)
  return versions
}

/** Reads `version` of `path` and compares it with `expected`. */
async function read_version(client, path, version, expected) {
  const step = `get version ${version}`
  const secret = await client.get(path, { version })
  same_bytes(step, secret.value.reveal(), bytes(expected))
  ensure(secret.version === version, `${step}: returned version ${secret.version}`)
}

/**
 * Three puts give three distinct, increasing versions, each readable; metadata lists
 * them oldest first with the newest current.
 */
async function versions_in_order(client, prefix) {
  const path = under(prefix, 'versioned')
  const values = ['first', 'second', 'third']
  const written = await put_all(client, path, values)
  ensure(
    new Set(written).size === written.length,
    `three puts returned versions ${show(written)}; they must differ`,
  )
  if (written.every((v) => /^[0-9]+$/.test(v))) {
    const numbers = written.map((v) => BigInt(v))
    ensure(
      numbers.every((n, i) => i === 0 || numbers[i - 1] < n),
      `numbered versions must increase with each put; got ${show(written)}`,
    )
  }
  for (const [i, version] of written.entries()) await read_version(client, path, version, values[i])
  const latest = await client.get(path)
  ensure(
    latest.version === written[2],
    `get Latest returned version ${latest.version}, expected ${written[2]}`,
  )
  const meta = await client.metadata(path)
  const listed = meta.versions.map((v) => v.version)
  ensure(
    isDeepStrictEqual(listed, written),
    `metadata lists versions ${show(listed)}, expected ${show(written)} oldest first`,
  )
  ensure(
    meta.currentVersion === written[2],
    `metadata current_version is ${meta.currentVersion}, expected the newest, ${written[2]}`,
  )
}

/** With `maxVersions: 2` the next put leaves the two newest versions only. */
async function max_versions_trims(client, prefix) {
  const path = under(prefix, 'trimmed')
  const written = await put_all(client, path, ['v1', 'v2', 'v3'])
  const meta = await client.updateMetadata(path, { maxVersions: 2 })
  ensure(
    meta.maxVersions === 2,
    `update_metadata returned max_versions ${meta.maxVersions}, expected 2`,
  )
  written.push(...(await put_all(client, path, ['v4'])))
  const listed = (await client.metadata(path)).versions.map((v) => v.version)
  ensure(
    isDeepStrictEqual(listed, written.slice(2)),
    `with max_versions = 2 metadata lists ${show(listed)}, expected ${show(written.slice(2))}`,
  )
  for (const old of written.slice(0, 2)) {
    await fails_with(`get trimmed version ${old}`, () => client.get(path, { version: old }), NotFoundError)
  }
  await read_version(client, path, written[2], 'v3')
  await read_version(client, path, written[3], 'v4')
}

// ---------------------------------------------------------------------------------
// cas.rs
// ---------------------------------------------------------------------------------

/** The newest version of `path` is `version` holding `expected`. */
async function latest_is(client, path, version, expected) {
  const secret = await client.get(path)
  same_bytes('get', secret.value.reveal(), bytes(expected))
  ensure(secret.version === version, `get returned version ${secret.version}, expected ${version}`)
}

/** `cas: 0` creates a new secret; on an existing one it is Conflict, value kept. */
async function cas_must_not_exist(client, prefix) {
  const path = under(prefix, 'created-once')
  const first = await client.put(path, 'original', { cas: 0 })
  await fails_with(
    'put with MustNotExist on an existing path',
    () => client.put(path, 'replacement', { cas: 0 }),
    ConflictError,
  )
  await latest_is(client, path, first.version, 'original')
}

/** A stale `cas` version is Conflict, value unchanged; the current one writes. */
async function cas_current_version(client, prefix) {
  const path = under(prefix, 'guarded')
  const one = await client.put(path, 'one')
  const two = await client.put(path, 'two')
  await fails_with(
    'put with a stale CurrentVersion',
    () => client.put(path, 'three', { cas: one.version }),
    ConflictError,
  )
  await latest_is(client, path, two.version, 'two')
  const three = await client.put(path, 'three', { cas: two.version })
  await latest_is(client, path, three.version, 'three')
}

// ---------------------------------------------------------------------------------
// list.rs
// ---------------------------------------------------------------------------------

/** Lists `prefix` and compares with `expected` (sorted here). */
async function lists_exactly(client, prefix, expected) {
  const listed = await client.list(prefix)
  const want = [...expected].sort(byCodePoint)
  ensure(
    isDeepStrictEqual(listed, want),
    `list(${show(prefix)}) returned ${show(listed)}, expected ${show(want)}`,
  )
  return listed
}

/**
 * `list` of a folder: exactly the paths under it, nested included, sorted, not a
 * sibling sharing its first characters; never a value.
 */
async function list_by_prefix(client, prefix) {
  const inside = folder(under(prefix, 'a'))
  const one = inside + 'one'
  const nested = inside + 'nested/deep/two'
  const sibling = under(prefix, 'ab/sibling')
  const planted = unique('planted')
  for (const path of [one, nested, sibling]) await client.put(path, planted)
  const seen = await lists_exactly(client, inside, [one, nested])
  seen.push(...(await lists_exactly(client, folder(prefix), [one, nested, sibling])))
  ensure(
    seen.every((p) => !p.includes(planted)),
    'list returned a stored value among the paths',
  )
}

/** A soft-deleted secret is still listed; after `purge` it is not. */
async function list_after_delete_and_purge(client, prefix) {
  const kept = under(prefix, 'kept')
  const gone = under(prefix, 'gone')
  for (const path of [kept, gone]) await client.put(path, 'value')
  await client.delete(gone)
  await lists_exactly(client, folder(prefix), [kept, gone])
  await client.purge(gone)
  await lists_exactly(client, folder(prefix), [kept])
}

// ---------------------------------------------------------------------------------
// lifecycle.rs
// ---------------------------------------------------------------------------------

/** The state metadata gives `version`. */
function state(meta, version) {
  for (const info of meta.versions) {
    if (info.version === version) return info.state
  }
  throw new CheckFailed(`metadata does not list version ${version}`)
}

/** `get` of `version` (the newest when not given) is NotFound. */
async function unreadable(client, path, version) {
  const step = `get ${version !== undefined ? version : 'Latest'}`
  await fails_with(step, () => client.get(path, { version }), NotFoundError)
}

/** Deleting the only version makes `get` NotFound; metadata shows it deleted. */
async function delete_latest(client, prefix) {
  const path = under(prefix, 'deleted')
  const written = await put_all(client, path, ['value'])
  await client.delete(path)
  await unreadable(client, path)
  const shown = state(await client.metadata(path), written[0])
  ensure(shown === 'deleted', `metadata shows the deleted version as ${shown}, expected deleted`)
}

/** `undelete` restores a soft-deleted version. */
async function undelete_restores(client, prefix) {
  const path = under(prefix, 'restored')
  const written = await put_all(client, path, ['value'])
  await client.delete(path)
  await client.undelete(path, written)
  await read_version(client, path, written[0], 'value')
  const shown = state(await client.metadata(path), written[0])
  ensure(shown === 'active', `metadata shows the undeleted version as ${shown}, expected active`)
}

/**
 * `destroy` of one version is for good; the others stay readable; metadata shows it
 * destroyed.
 */
async function destroy_is_permanent(client, prefix) {
  const path = under(prefix, 'destroyed')
  const [old, newer] = await put_all(client, path, ['old', 'new'])
  await client.destroy(path, [old])
  await unreadable(client, path, old)
  if (store_caps(client).undelete) {
    try {
      await client.undelete(path, [old])
    } catch (e) {
      // Refusing is as good as a no-op: the value must stay gone.
      if (!(e instanceof IronsecretsError)) throw e
    }
    await unreadable(client, path, old)
  }
  await read_version(client, path, newer, 'new')
  const shown = state(await client.metadata(path), old)
  ensure(shown === 'destroyed', `metadata shows the destroyed version as ${shown}, expected destroyed`)
}

/** `purge` removes a secret with all its versions. */
async function purge_removes_everything(client, prefix) {
  const path = under(prefix, 'purged')
  await put_all(client, path, ['one', 'two'])
  await client.purge(path)
  await unreadable(client, path)
  await fails_with('metadata after purge', () => client.metadata(path), NotFoundError)
  const listed = await client.list(folder(prefix))
  ensure(listed.length === 0, `list after purge returned ${show(listed)}, expected nothing`)
}

// ---------------------------------------------------------------------------------
// metadata.rs
// ---------------------------------------------------------------------------------

const policyText = (policy) => (policy == null ? 'none' : `(${policy.period}, ${policy.remindBefore})`)

/** `meta` carries exactly these tags and this rotation policy. */
function carries(step, meta, tags, rotation) {
  ensure(
    isDeepStrictEqual({ ...meta.tags }, tags),
    `${step}: tags are ${show(meta.tags)}, expected ${show(tags)}`,
  )
  if (rotation == null) {
    ensure(meta.rotation == null, `${step}: rotation policy is set, expected none`)
  } else {
    const got = meta.rotation
    ensure(
      got != null && got.period === rotation.period && got.remindBefore === rotation.remindBefore,
      `${step}: rotation policy is ${policyText(got)}, expected ${policyText(rotation)}`,
    )
  }
}

/** Tags and a rotation policy given to `put` are in the metadata. */
async function metadata_on_put(client, prefix) {
  const path = under(prefix, 'tagged')
  const tags = { owner: 'team-a', env: 'prod', note: 'ünïcode' }
  const policy = RotationPolicy.days(30, 7)
  await client.put(path, 'value', { tags, rotation: policy })
  carries('metadata after put', await client.metadata(path), tags, policy)
}

/**
 * `updateMetadata` sets tags and a policy without a new version, replaces all tags on
 * the next update, and `clearRotation` clears the policy.
 */
async function metadata_update(client, prefix) {
  const path = under(prefix, 'updated')
  const written = await put_all(client, path, ['value'])
  const firstTags = { owner: 'team-a', env: 'prod' }
  const policy = RotationPolicy.days(60, 10)
  const returned = await client.updateMetadata(path, { tags: firstTags, rotation: policy })
  carries("update_metadata's answer", returned, firstTags, policy)
  const meta = await client.metadata(path)
  carries('metadata after update', meta, firstTags, policy)
  ensure(
    meta.currentVersion === written[0],
    `update_metadata changed current_version from ${written[0]} to ${meta.currentVersion}`,
  )
  const secondTags = { owner: 'team-b' }
  await client.updateMetadata(path, { tags: secondTags, clearRotation: true })
  carries('metadata after the second update', await client.metadata(path), secondTags, null)
}

const iso = (date) => (date instanceof Date ? date.toISOString() : String(date))

/**
 * `createdAt <= updatedAt`; a second put keeps `createdAt` and does not move
 * `updatedAt` back; versions' times do not decrease; `path` is the secret's.
 */
async function metadata_timestamps(client, prefix) {
  const path = under(prefix, 'timed')
  await put_all(client, path, ['one'])
  const first = await client.metadata(path)
  await put_all(client, path, ['two'])
  const second = await client.metadata(path)
  for (const meta of [first, second]) {
    ensure(meta.path === path, `metadata path is ${show(meta.path)}, expected ${show(path)}`)
    ensure(
      meta.createdAt.getTime() <= meta.updatedAt.getTime(),
      `created_at ${iso(meta.createdAt)} is after updated_at ${iso(meta.updatedAt)}`,
    )
    const times = meta.versions.map((v) => v.createdAt)
    ensure(
      times.every((t, i) => i === 0 || times[i - 1].getTime() <= t.getTime()),
      `versions' created_at decrease: ${show(times.map(iso))}`,
    )
  }
  ensure(
    second.createdAt.getTime() === first.createdAt.getTime(),
    `a second put moved created_at from ${iso(first.createdAt)} to ${iso(second.createdAt)}`,
  )
  ensure(
    second.updatedAt.getTime() >= first.updatedAt.getTime(),
    `a second put moved updated_at back from ${iso(first.updatedAt)} to ${iso(second.updatedAt)}`,
  )
}

/** `get` and `metadata` of a path never written are NotFound. */
async function missing_is_not_found(client, prefix) {
  const path = under(prefix, 'never-written')
  await fails_with('get of a missing path', () => client.get(path), NotFoundError)
  await fails_with('metadata of a missing path', () => client.metadata(path), NotFoundError)
}

// ---------------------------------------------------------------------------------
// invalid_input.rs
// ---------------------------------------------------------------------------------

/** Each malformed path, described, rooted under `prefix` where the flaw allows. */
function bad_paths(prefix) {
  const base = folder(prefix)
  const tooLong = base + 'x'.repeat(Math.max(MAX_PATH_LEN + 1 - Buffer.byteLength(base, 'utf8'), 0))
  return [
    ['an empty path', ''],
    ['an empty segment', `${base}a//b`],
    ["a '..' segment", `${base}a/../b`],
    ["a '.' segment", `${base}a/./b`],
    ["a leading '/'", `/${base}a`],
    ["a trailing '/'", `${base}a/`],
    ['a NUL byte', `${base}a\0b`],
    ['a control character', `${base}a\x07b`],
    ['more than MAX_PATH_LEN bytes', tooLong],
  ]
}

/** `get`, `put` and `delete` of each malformed path are InvalidInput. */
async function invalid_paths_rejected(client, prefix) {
  const failures = []
  for (const [flaw, path] of bad_paths(prefix)) {
    const calls = [
      [`get of a path with ${flaw}`, () => client.get(path)],
      [`put of a path with ${flaw}`, () => client.put(path, 'value')],
      [`delete of a path with ${flaw}`, () => client.delete(path)],
    ]
    for (const [step, call] of calls) {
      try {
        await fails_with(step, call, InvalidInputError)
      } catch (failure) {
        if (!(failure instanceof CheckFailed)) throw failure
        failures.push(failure.message)
      }
    }
  }
  ensure(failures.length === 0, failures.join('; '))
}

/** `list` of a prefix with a `..` or an empty segment is InvalidInput. */
async function invalid_list_prefix_rejected(client, prefix) {
  for (const bad of ['../', folder(prefix) + '/']) {
    await fails_with(`list(${show(bad)})`, () => client.list(bad), InvalidInputError)
  }
}

// ---------------------------------------------------------------------------------
// errors.rs
// ---------------------------------------------------------------------------------

/** The error names `backend`, `operation` and `path`. */
function names_backend_and_path(step, err, backend, operation, path) {
  ensure(
    err.operation === operation,
    `${step}: the error names operation ${show(err.operation)}, expected ${show(operation)}`,
  )
  ensure(
    err.backend === backend,
    `${step}: the error names backend ${show(err.backend)}, expected ${show(backend)}`,
  )
  ensure(err.path === path, `${step}: the error names path ${show(err.path)}, expected ${show(path)}`)
}

/** The NotFound errors of `get` and `metadata` name backend, operation, path. */
async function errors_carry_context(client, prefix) {
  const path = under(prefix, 'missing')
  let step = 'get of a missing path'
  let err = await fails_with(step, () => client.get(path), NotFoundError)
  names_backend_and_path(step, err, client.name, 'get', path)
  step = 'metadata of a missing path'
  err = await fails_with(step, () => client.metadata(path), NotFoundError)
  names_backend_and_path(step, err, client.name, 'metadata', path)
}

// ---------------------------------------------------------------------------------
// redaction.rs
// ---------------------------------------------------------------------------------

/** What printing `value` can show: inspect (also with hidden fields), String, template, %s, JSON. */
function shown_forms(value) {
  return [
    inspect(value),
    inspect(value, { showHidden: true, depth: Infinity, getters: true }),
    String(value),
    `${value}`,
    format('%s', value),
    format('%o', value),
    JSON.stringify(value),
  ]
}

/** Everything an error can show: String, inspect, message, stack, JSON, and its causes'. */
function error_texts(err) {
  const texts = []
  let seen = err
  while (seen != null) {
    texts.push(String(seen), inspect(seen), inspect(seen, { showHidden: true }))
    if (seen instanceof Error) texts.push(seen.message, String(seen.stack), JSON.stringify(seen))
    seen = seen instanceof Error ? seen.cause : undefined
  }
  return texts
}

/**
 * A planted canary is absent from what the put's VersionInfo, the Secret read back, its
 * value and the SecretMetadata show.
 */
async function canary_not_in_debug(client, prefix) {
  const path = under(prefix, 'canary')
  const canary = unique('canary')
  const written = await client.put(path, canary)
  for (const text of shown_forms(written)) free_of("put's VersionInfo", text, canary)
  const secret = await client.get(path)
  for (const text of shown_forms(secret)) free_of('the Secret', text, canary)
  for (const text of shown_forms(secret.value)) free_of('the SecretValue', text, canary)
  if (store_caps(client).metadata) {
    for (const text of shown_forms(await client.metadata(path))) free_of('the SecretMetadata', text, canary)
  }
}

/** A put refused by check-and-set does not echo its value in the error. */
async function canary_not_in_cas_error(client, prefix) {
  const path = under(prefix, 'canary')
  const canary = unique('canary')
  const first = await client.put(path, canary)
  await client.put(path, canary)
  const cases = [
    ['put with MustNotExist', 0],
    ['put with a stale CurrentVersion', first.version],
  ]
  for (const [step, condition] of cases) {
    const err = await fails_with(step, () => client.put(path, canary, { cas: condition }), ConflictError)
    for (const text of error_texts(err)) free_of(`the error of ${step}`, text, canary)
  }
}

// ---------------------------------------------------------------------------------
// declared.rs
// ---------------------------------------------------------------------------------

const UNSUPPORTED = [UnsupportedError]
const CANNOT_HOLD = [UnsupportedError, InvalidInputError]

/** `call` is refused with one of `kinds`. */
async function refused(step, call, kinds) {
  try {
    await call()
  } catch (e) {
    if (kinds.some((kind) => e instanceof kind)) return
    if (e instanceof IronsecretsError) {
      throw new CheckFailed(
        `${step}: expected ${show(kinds.map((k) => k.name))} for an undeclared capability, ` +
          `got ${e.name}: ${e.message}`,
      )
    }
    throw e
  }
  throw new CheckFailed(`${step}: succeeded although the capability is not declared`)
}

/** The refusals that need nothing stored (or work on `path` as it is). */
async function refuses_version_and_cas_operations(client, path, latest) {
  const declared = store_caps(client)
  if (!declared.versions) {
    const other = latest === '1' ? '2' : '1'
    await refused('get of an older version', () => client.get(path, { version: other }), UNSUPPORTED)
  }
  if (!declared.checkAndSet) {
    await refused('put with check-and-set', () => client.put(path, 'v2', { cas: latest }), UNSUPPORTED)
  }
  if (!declared.maxVersions) {
    await refused(
      'update_metadata with max_versions',
      () => client.updateMetadata(path, { maxVersions: 2 }),
      UNSUPPORTED,
    )
  }
  if (!declared.undelete) {
    await refused('undelete', () => client.undelete(path), UNSUPPORTED)
  }
  if (!declared.destroy) {
    await refused('destroy', () => client.destroy(path, [latest]), UNSUPPORTED)
  }
}

/**
 * Every store operation whose capability is false is refused, and the secret it was
 * tried on still reads as written; a hard delete removes the path from `list`.
 */
async function undeclared_store_operations_are_refused(client, prefix) {
  const declared = store_caps(client)
  const path = under(prefix, 'declared')
  const written = await client.put(path, 'v1')
  await refuses_version_and_cas_operations(client, path, written.version)
  if (!declared.metadata) {
    await refused('metadata', () => client.metadata(path), UNSUPPORTED)
  }
  if (!declared.tags) {
    await refused(
      'update_metadata with tags',
      () => client.updateMetadata(path, { tags: { owner: 'checks' }, rotation: RotationPolicy.days(30, 7) }),
      UNSUPPORTED,
    )
  }
  for (const [step, undeclared, value] of [
    ['put of an empty value', !declared.emptyValues, Buffer.alloc(0)],
    ['put of a binary value', !declared.binaryValues, Buffer.from([0xff, 0x00])],
  ]) {
    if (undeclared) {
      const other = under(prefix, 'value')
      await refused(step, () => client.put(other, new SecretValue(value)), CANNOT_HOLD)
    }
  }
  const read = await client.get(path)
  same_bytes('get after the refused operations', read.value.reveal(), bytes('v1'))
  if (!declared.softDelete) {
    await client.delete(path)
    const listed = await client.list(prefix)
    ensure(!listed.includes(path), 'without soft_delete, a deleted path must leave list; it is still listed')
  }
}

/** The error kind an engine call (getter access included) throws or rejects with, if any. */
async function engineKind(call) {
  try {
    await call()
  } catch (e) {
    if (e instanceof IronsecretsError) return e.code
    throw e
  }
  return null
}

/** An engine the backend does not have is Unsupported. */
async function undeclared_engines_are_unsupported(client, prefix) {
  const declared = caps_of(client)
  const unsupported = (step, kind) =>
    ensure(
      kind === 'Unsupported',
      `${step}: expected Unsupported for an engine the backend does not declare, got ${kind}`,
    )
  if (declared.transit == null) {
    unsupported('transit', await engineKind(() => client.transit.listKeys()))
  }
  if (!declared.leases) {
    unsupported('leases', await engineKind(() => client.leases.lookup('no-such-lease')))
  }
  if (!declared.dynamicCredentials) {
    const request = CredentialRequest.database('database', 'no-such-role')
    unsupported('credentials', await engineKind(() => client.credentials.issue(request)))
  }
}

/** A flat key name derived from the check's prefix. */
function key_name(prefix, suffix) {
  return prefix.replace(/\/+$/, '').replaceAll('/', '-') + '-' + suffix
}

/** Every transit feature the engine does not declare is refused. */
async function undeclared_transit_features_are_refused(client, prefix) {
  const declared = transit_caps(client)
  const creates = declared_key_types(client)
  const t = client.transit
  for (const keyType of KEY_TYPES.filter((k) => !creates.includes(k))) {
    await refused(
      `create_key(${keyType})`,
      () => t.createKey(key_name(prefix, keyType), { keyType }),
      UNSUPPORTED,
    )
  }
  const aes = key_name(prefix, 'aes')
  await t.createKey(aes)
  if (!declared.hmac) {
    await refused('hmac', () => t.hmac(aes, bytes('data')), CANNOT_HOLD)
  }
  if (!declared.minDecryptionVersion) {
    await refused('set_min_decryption_version', () => t.setMinDecryptionVersion(aes, 1), UNSUPPORTED)
  }
  if (!declared.dataKeys) {
    await refused('generate_data_key', () => t.generateDataKey(aes, { bits: 256 }), UNSUPPORTED)
  }
  if (!declared.import) {
    await refused(
      'import_key',
      () => t.importKey(key_name(prefix, 'imported'), 'aes256-gcm96', randomBytes(32)),
      UNSUPPORTED,
    )
  }
  const ciphertext = await t.encrypt(aes, bytes('data'))
  same_bytes('decrypt', (await t.decrypt(aes, ciphertext)).reveal(), bytes('data'))
}

// ---------------------------------------------------------------------------------
// transit.rs
// ---------------------------------------------------------------------------------

/** `prefix:v<version>:<payload>` split (at the first two colons, as Python's split(":", 2)). */
function parts(step, ciphertext) {
  const first = ciphertext.indexOf(':')
  const second = first < 0 ? -1 : ciphertext.indexOf(':', first + 1)
  ensure(second >= 0, `${step}: malformed ciphertext: expected 'prefix:v<version>:<base64>'`)
  const prefix = ciphertext.slice(0, first)
  const version = ciphertext.slice(first + 1, second)
  const payload = ciphertext.slice(second + 1)
  ensure(
    version.startsWith('v') && /^[0-9]+$/.test(version.slice(1)) && Number(version.slice(1)) > 0,
    `${step}: malformed ciphertext: bad key version`,
  )
  return [prefix, Number(version.slice(1)), payload]
}

/** `ciphertext` carries key version `expected`. */
function made_by(step, ciphertext, expected) {
  const version = parts(step, ciphertext)[1]
  ensure(version === expected, `${step}: the ciphertext carries key version ${version}, expected ${expected}`)
}

/** Creates an aes256-gcm96 key and checks what `createKey` says about it. */
async function new_aes_key(t, name) {
  const info = await t.createKey(name, { keyType: 'aes256-gcm96' })
  ensure(
    info.name === name && info.keyType === 'aes256-gcm96' && info.latestVersion === 1,
    `create_key returned ${show(info.name)} ${info.keyType} v${info.latestVersion}, ` +
      `expected key ${show(name)}, aes256-gcm96, latest_version 1`,
  )
  return info
}

/** Encrypt / decrypt options with `context` (none when null). */
const withContext = (context) => (context == null ? undefined : { context })

/** Decrypts and compares with `expected`. */
async function decrypts_to(t, step, name, ciphertext, context, expected) {
  same_bytes(step, (await t.decrypt(name, ciphertext, withContext(context))).reveal(), expected)
}

/** The same ciphertext with one base64 character in the middle of its payload changed. */
function tamper(ciphertext) {
  const [prefix, version, payload] = parts('parsing the ciphertext', ciphertext)
  ensure(
    payload.length >= 8 && /^[\x00-\x7f]*$/.test(payload),
    `the ciphertext payload is not base64 (${payload.length} bytes)`,
  )
  const middle = Math.floor(payload.length / 2)
  const replacement = payload[middle] === 'A' ? 'B' : 'A'
  const changed = payload.slice(0, middle) + replacement + payload.slice(middle + 1)
  return `${prefix}:v${version}:${changed}`
}

/**
 * An aes256-gcm96 key encrypts and decrypts, with and without a context; ciphertexts
 * carry version 1; two encryptions differ.
 */
async function transit_round_trip(client, prefix) {
  const t = client.transit
  const name = key_name(prefix, 'aes')
  await new_aes_key(t, name)
  const first = await t.encrypt(name, PLAINTEXT)
  made_by('encrypt', first, 1)
  const second = await t.encrypt(name, PLAINTEXT)
  ensure(
    first !== second,
    'encrypting the same plaintext twice gave the same ciphertext; nonces must be fresh',
  )
  await decrypts_to(t, 'decrypt', name, first, null, PLAINTEXT)
  await decrypts_to(t, 'decrypt', name, second, null, PLAINTEXT)
  const bound = await t.encrypt(name, PLAINTEXT, withContext(CONTEXT))
  await decrypts_to(t, 'decrypt with the same context', name, bound, CONTEXT, PLAINTEXT)
}

/** A tampered ciphertext, a wrong or a missing context is Integrity. */
async function transit_integrity(client, prefix) {
  const t = client.transit
  const name = key_name(prefix, 'aes')
  await new_aes_key(t, name)
  const ciphertext = await t.encrypt(name, PLAINTEXT, withContext(CONTEXT))
  const tampered = tamper(ciphertext)
  await fails_with(
    'decrypt of a tampered ciphertext',
    () => t.decrypt(name, tampered, withContext(CONTEXT)),
    IntegrityError,
  )
  await fails_with(
    'decrypt with a wrong context',
    () => t.decrypt(name, ciphertext, withContext(bytes('tenant-b'))),
    IntegrityError,
  )
  await fails_with(
    'decrypt without the context',
    () => t.decrypt(name, ciphertext, withContext(null)),
    IntegrityError,
  )
}

/** Creates a key, encrypts, rotates: the v1 ciphertext. */
async function encrypt_then_rotate(t, name) {
  await new_aes_key(t, name)
  const v1 = await t.encrypt(name, PLAINTEXT)
  const rotated = await t.rotateKey(name)
  ensure(
    rotated.latestVersion === 2,
    `rotate_key returned latest_version ${rotated.latestVersion}, expected 2`,
  )
  return v1
}

/**
 * After `rotateKey` new ciphertexts carry version 2, v1 ones still decrypt, and `rewrap`
 * turns a v1 ciphertext into a v2 one.
 */
async function transit_rotation(client, prefix) {
  const t = client.transit
  const name = key_name(prefix, 'aes')
  const v1 = await encrypt_then_rotate(t, name)
  const v2 = await t.encrypt(name, PLAINTEXT)
  made_by('encrypt after rotation', v2, 2)
  await decrypts_to(t, 'decrypt of a v1 ciphertext', name, v1, null, PLAINTEXT)
  const rewrapped = await t.rewrap(name, v1)
  made_by('rewrap of a v1 ciphertext', rewrapped, 2)
  await decrypts_to(t, 'decrypt of a rewrapped ciphertext', name, rewrapped, null, PLAINTEXT)
}

/** Below `minDecryptionVersion` decryption is InvalidInput; v2 still decrypts. */
async function transit_min_decryption_version(client, prefix) {
  const t = client.transit
  const name = key_name(prefix, 'aes')
  const v1 = await encrypt_then_rotate(t, name)
  const v2 = await t.encrypt(name, PLAINTEXT)
  const info = await t.setMinDecryptionVersion(name, 2)
  ensure(
    info.minDecryptionVersion === 2,
    `set_min_decryption_version(2) returned min_decryption_version ${info.minDecryptionVersion}`,
  )
  await fails_with(
    'decrypt of a v1 ciphertext below min_decryption_version',
    () => t.decrypt(name, v1),
    InvalidInputError,
  )
  await decrypts_to(t, 'decrypt of a v2 ciphertext', name, v2, null, PLAINTEXT)
}

/** An HMAC verifies for its data and not for other data. */
async function transit_hmac(client, prefix) {
  const t = client.transit
  const name = key_name(prefix, 'aes')
  await new_aes_key(t, name)
  const mac = await t.hmac(name, PLAINTEXT)
  ensure((await t.verifyHmac(name, PLAINTEXT, mac)) === true, 'verify_hmac of the same data returned false')
  ensure((await t.verifyHmac(name, bytes('other data'), mac)) === false, 'verify_hmac of other data returned true')
}

/** A key of `keyType` signs; the signature verifies for the data only. */
async function sign_and_verify(t, name, keyType) {
  await t.createKey(name, { keyType })
  const signature = await t.sign(name, PLAINTEXT)
  ensure((await t.verify(name, PLAINTEXT, signature)) === true, `${keyType}: verify of the signed data returned false`)
  ensure(
    (await t.verify(name, bytes('altered data'), signature)) === false,
    `${keyType}: verify of altered data returned true`,
  )
}

/**
 * Each declared signing key type signs and verifies; without one, signing with an
 * encryption key is refused.
 */
async function transit_sign_verify(client, prefix) {
  const t = client.transit
  const declared = declared_key_types(client)
  const signing = declared.filter((k) => SIGNING_KEY_TYPES.has(k))
  for (const keyType of signing) await sign_and_verify(t, key_name(prefix, keyType), keyType)
  if (signing.length === 0) {
    const name = key_name(prefix, 'aes')
    await new_aes_key(t, name)
    try {
      await t.sign(name, PLAINTEXT)
    } catch (e) {
      if (e instanceof IronsecretsError) return
      throw e
    }
    throw new CheckFailed('sign with an aes256-gcm96 key succeeded')
  }
}

/** `generateDataKey({ bits: 256 })`: 32 plaintext bytes whose v1 ciphertext decrypts to them. */
async function transit_data_key(client, prefix) {
  const t = client.transit
  const name = key_name(prefix, 'aes')
  await new_aes_key(t, name)
  const key = await t.generateDataKey(name, { bits: 256 })
  ensure(
    key.plaintext.length === 32,
    `generate_data_key(256) gave ${key.plaintext.length} plaintext bytes, expected 32`,
  )
  made_by('generate_data_key(256)', key.ciphertext, 1)
  await decrypts_to(t, "decrypt of the data key's ciphertext", name, key.ciphertext, null, key.plaintext.reveal())
}

function keyFields(info) {
  return [info.name, info.keyType, info.latestVersion, info.minDecryptionVersion, iso(info.createdAt), info.exportable]
}

/**
 * Creating an existing key is AlreadyExists; `readKey` describes it as created and is
 * NotFound for a missing one; `listKeys` is sorted and has the created key only.
 */
async function transit_key_management(client, prefix) {
  const t = client.transit
  const name = key_name(prefix, 'aes')
  const missing = key_name(prefix, 'missing')
  const created = await new_aes_key(t, name)
  await fails_with('create_key of an existing name', () => t.createKey(name), AlreadyExistsError)
  const read = await t.readKey(name)
  ensure(
    isDeepStrictEqual(keyFields(read), keyFields(created)),
    `read_key returned ${show(keyFields(read))}, expected what create_key returned: ${show(keyFields(created))}`,
  )
  await fails_with('read_key of a missing key', () => t.readKey(missing), NotFoundError)
  const names = await t.listKeys()
  ensure(names.includes(name), `list_keys does not contain the created key ${show(name)}`)
  ensure(!names.includes(missing), `list_keys contains ${show(missing)}, which was never created`)
  ensure(isDeepStrictEqual(names, [...names].sort(byCodePoint)), 'list_keys is not sorted')
}

/** `importKey` of 32 random bytes as aes256-gcm96 makes a v1 key that works. */
async function transit_import_key(client, prefix) {
  const t = client.transit
  const name = key_name(prefix, 'imported')
  const info = await t.importKey(name, 'aes256-gcm96', randomBytes(32))
  ensure(
    info.keyType === 'aes256-gcm96' && info.latestVersion === 1,
    `import_key returned ${info.keyType} v${info.latestVersion}, expected aes256-gcm96 at latest_version 1`,
  )
  const ciphertext = await t.encrypt(name, PLAINTEXT)
  made_by('encrypt with the imported key', ciphertext, 1)
  await decrypts_to(t, 'decrypt with the imported key', name, ciphertext, null, PLAINTEXT)
}

// ---------------------------------------------------------------------------------
// The list (crates/testkit/src/suite.rs, `checks!{...}`), in the Rust order.
// Requirements are spelled as Rust spells them (snake_case).
// ---------------------------------------------------------------------------------

/** One check: its name (its function's), the capability it needs, its body. */
const check = (body, requires = null) => ({ name: body.name, requires, body })

export const CHECKS = [
  check(round_trip_text),
  check(round_trip_empty, 'store.empty_values'),
  check(round_trip_binary, 'store.binary_values'),
  check(round_trip_large),
  check(round_trip_unicode),
  check(round_trip_map),
  check(versions_in_order, 'store.versions'),
  check(max_versions_trims, 'store.max_versions'),
  check(cas_must_not_exist, 'store.check_and_set'),
  check(cas_current_version, 'store.check_and_set'),
  check(list_by_prefix),
  check(list_after_delete_and_purge, 'store.soft_delete'),
  check(delete_latest, 'store.soft_delete'),
  check(undelete_restores, 'store.undelete'),
  check(destroy_is_permanent, 'store.destroy'),
  check(purge_removes_everything),
  check(metadata_on_put, 'store.tags'),
  check(metadata_update, 'store.tags'),
  check(metadata_timestamps, 'store.metadata'),
  check(missing_is_not_found),
  check(invalid_paths_rejected),
  check(invalid_list_prefix_rejected),
  check(errors_carry_context),
  check(canary_not_in_debug),
  check(canary_not_in_cas_error, 'store.check_and_set'),
  check(undeclared_store_operations_are_refused),
  check(undeclared_engines_are_unsupported),
  check(undeclared_transit_features_are_refused, 'transit'),
  check(transit_round_trip, 'transit'),
  check(transit_integrity, 'transit'),
  check(transit_rotation, 'transit.versioned_ciphertexts'),
  check(transit_min_decryption_version, 'transit.min_decryption_version'),
  check(transit_hmac, 'transit.hmac'),
  check(transit_sign_verify, 'transit'),
  check(transit_data_key, 'transit.data_keys'),
  check(transit_key_management, 'transit'),
  check(transit_import_key, 'transit.import'),
]

// Helpers the conformance tests check on their own.
export { key_name, tamper }
