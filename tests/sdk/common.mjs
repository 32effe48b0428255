// What the SDK tests share: loading the packages scripts/setup installed (or skipping), starting
// `gcsim serve --clock manual --port 0` and reading its address, the control plane's clock, and
// bounded waits. Every wait is for a condition, never for a fixed time.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

export const SKIP = 77;
const DEADLINE_MS = 120_000;  // for a whole test, so that it never hangs

export function skip(why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(SKIP);
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

// The arguments every SDK test gets: GCSIM_BINARY MODULES_DIR WORLD.json.
export function readArgs(usage) {
  const [gcsimBinary, modulesDir, world] = process.argv.slice(2);
  if (!gcsimBinary || !modulesDir || !world) {
    console.error(`usage: node ${usage} GCSIM_BINARY MODULES_DIR WORLD.json`);
    process.exit(2);
  }
  return { gcsimBinary, modulesDir, world };
}

// A package from MODULES_DIR/node_modules, or a skip that says how to get it.
export function load(modulesDir, name) {
  try {
    return createRequire(path.join(path.resolve(modulesDir), 'node_modules', 'x.js'))(name);
  } catch {
    return skip(`${name} is not installed in ${modulesDir}/node_modules (scripts/setup installs it)`);
  }
}

// Runs `body(server)` against a fresh `gcsim serve`; exits 0 when it resolves, 1 when it throws
// or the deadline passes, stopping the server either way.
export async function withServer({ gcsimBinary, world }, body) {
  let child;
  const cleanUp = () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
  };
  const timer = setTimeout(() => {
    console.error(`FAILED: not done after ${DEADLINE_MS / 1000}s`);
    cleanUp();
    process.exit(1);
  }, DEADLINE_MS);
  try {
    const base = await new Promise((resolve, reject) => {
      child = spawn(gcsimBinary, ['serve', '--clock', 'manual', '--port', '0', '--world', world],
                    { stdio: ['ignore', 'pipe', 'inherit'] });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`gcsim serve exited with ${code} before listening`)));
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^listening on (http:\/\/\S+)$/.exec(line);
        if (match) resolve(match[1]);
      });
    });
    const url = new URL(base);
    await body({
      base,
      // Where the SDK is pointed: its gateway setting (protocol, host, port) replaces the region.
      gateway: { protocol: 'http', host: url.hostname, port: Number(url.port) },
      advance: async (by) => {
        const response = await fetch(`${base}/sim/v1/clock/advance`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ by }) });
        check(response.status === 200, `clock advance: HTTP ${response.status}`);
      },
    });
    clearTimeout(timer);
    cleanUp();
    console.log('PASSED');
    process.exit(0);
  } catch (error) {
    console.error(`FAILED: ${error.stack || JSON.stringify(error)}`);
    clearTimeout(timer);
    cleanUp();
    process.exit(1);
  }
}

// The SDK's ApiClient, pointed at gcsim and logged in with client credentials.
export async function login(platformClient, gateway, clientId = 'demo-client', secret = 'demo-secret') {
  const client = platformClient.ApiClient.instance;
  client.setGateway(gateway);
  await client.loginClientCredentialsGrant(clientId, secret);
  return client;
}
