// The Rust conformance suite (crates/testkit), mirrored through the Node API (a port of
// bindings/python/tests/test_conformance.py). The checks and their list are in
// conformance_checks.mjs; this file runs them.
//
// Each check runs in the Rust order against two backends: the embedded store (`local`,
// a fresh store per check) and OpenBao (KV v2 and transit, `openbao`). A check whose
// requirement the backend's declared capabilities lack is skipped naming the
// capability, as the Rust runner records it.
//
// `test_check_names_match_rust` keeps the two lists the same: it asks the test kit's
// `ironsecrets-testkit-serve checks` for the Rust list (names and requirements, in order,
// as Rust spells them) and compares. Requirements are snake_case (`store.empty_values`);
// the capabilities the binding returns are camelCase (`store.emptyValues`).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { Client } from 'ironsecrets'
import { CHECKS, key_name, tamper } from './conformance_checks.mjs'
import { localOptions, rustChecks, services, tempDir } from './services.mjs'

/** A Rust (snake_case) capability name as the binding's capabilities spell it (camelCase). */
function camelCase(name) {
  return name.replace(/_([a-z0-9])/g, (_, ch) => ch.toUpperCase())
}

/**
 * Whether `capabilities` (camelCase, as `client.capabilities()` returns them) has
 * `requirement` (snake_case, as Rust spells it: `store.x`, `transit`, `transit.x`).
 */
function requirementHolds(capabilities, requirement) {
  const dot = requirement.indexOf('.')
  const engine = camelCase(dot < 0 ? requirement : requirement.slice(0, dot))
  const field = dot < 0 ? '' : camelCase(requirement.slice(dot + 1))
  const part = Object.hasOwn(capabilities, engine) ? capabilities[engine] : undefined
  if (!field) return part !== undefined && part !== null && part !== false
  if (part === null || typeof part !== 'object' || Array.isArray(part)) return false
  return Boolean(part[field])
}

// ---------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------

/** One prefix per test run, as `run_checks` makes one per run. */
const RUN_PREFIX = `conformance-node-${randomBytes(8).toString('hex')}/`

/** Where this run's embedded stores live (one fresh store file per check). */
const STORES = tempDir()
let storeCount = 0

/** A client on a fresh embedded store (cheap key derivation: it is a test). */
async function localClient() {
  storeCount += 1
  return Client.fromUri('local://' + join(STORES, `store-${storeCount}.db`), localOptions())
}

/** A client on the test OpenBao's KV v2 mount and transit mount. */
async function openbaoClient() {
  const { openbao } = await services()
  return Client.open('vault', {
    address: openbao.address,
    token: openbao.token,
    mount: openbao.kv_mount ?? 'secret',
    transit: openbao.transit_mount ?? 'transit',
  })
}

const BACKENDS = { local: localClient, openbao: openbaoClient }

describe('conformance', () => {
  for (const [backend, open] of Object.entries(BACKENDS)) {
    describe(backend, () => {
      for (const { name, requires, body } of CHECKS) {
        // Runs one check against one backend, skipping it without its capability.
        test(name, async (t) => {
          const client = await open()
          if (requires !== null && !requirementHolds(client.capabilities(), requires)) {
            t.skip(`capabilities.${requires} is not declared`)
            return
          }
          await body(client, `${RUN_PREFIX}${backend}/${name}/`)
        })
      }
    })
  }
})

test('test_check_names_match_rust', () => {
  // The Node checks are the Rust checks: same names, same order, same requirements.
  const rust = rustChecks().map(({ name, requires }) => ({ name, requires }))
  const node = CHECKS.map(({ name, requires }) => ({ name, requires }))
  assert.deepEqual(node, rust)
  // Each check's function carries the Rust name, as in the test kit.
  assert.ok(CHECKS.every((c) => c.body.name === c.name))
})

test('test_requirements_are_read_from_capabilities', () => {
  // How a (snake_case) requirement string is read from (camelCase) capabilities.
  const caps = {
    store: { emptyValues: true, versions: false },
    transit: { hmac: true, import: false },
    leases: false,
  }
  assert.ok(requirementHolds(caps, 'store.empty_values'))
  assert.ok(!requirementHolds(caps, 'store.versions'))
  assert.ok(requirementHolds(caps, 'transit'))
  assert.ok(requirementHolds(caps, 'transit.hmac'))
  assert.ok(!requirementHolds(caps, 'transit.import'))
  assert.ok(!requirementHolds({ store: {}, transit: null }, 'transit'))
  assert.ok(!requirementHolds({ store: {}, transit: null }, 'transit.hmac'))
  // Multi-word names on both levels map to the binding's camelCase keys.
  assert.ok(requirementHolds({ transit: { minDecryptionVersion: true } }, 'transit.min_decryption_version'))
  assert.ok(!requirementHolds({ transit: { min_decryption_version: true } }, 'transit.min_decryption_version'))
  assert.ok(requirementHolds({ dynamicCredentials: true }, 'dynamic_credentials'))
  assert.ok(!requirementHolds({ leases: false }, 'leases'))
})

test('test_tamper_changes_one_payload_character', () => {
  // `tamper` keeps the prefix, the version and the length (as the Rust unit test).
  const original = 'vault:v3:QUJDREVGR0hJSktMTU5PUA=='
  const tampered = tamper(original)
  assert.ok(tampered.startsWith('vault:v3:'))
  const a = original.split(':').slice(2).join(':')
  const b = tampered.split(':').slice(2).join(':')
  assert.equal(a.length, b.length)
  assert.equal([...a].filter((ch, i) => ch !== b[i]).length, 1)
  assert.equal(key_name('conformance-0a/transit_hmac/', 'aes'), 'conformance-0a-transit_hmac-aes')
})

test('test_metadata_timestamps_are_dates', async () => {
  // The timestamps the checks compare are valid Dates.
  const client = await localClient()
  const path = `${RUN_PREFIX}types/timed`
  await client.put(path, 'x')
  const meta = await client.metadata(path)
  for (const time of [meta.createdAt, meta.updatedAt, ...meta.versions.map((v) => v.createdAt)]) {
    assert.ok(time instanceof Date)
    assert.ok(!Number.isNaN(time.getTime()))
  }
})
