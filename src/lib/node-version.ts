/**
 * The Node.js versions Herald runs on: the maintained LTS lines. `package.json` `engines` says the
 * same (a test keeps the two equal); `.node-version` names the one we develop and benchmark on.
 */
export const SUPPORTED_NODE = '^22.12.0 || >=24.0.0';

/** Null when this Node.js version is supported, else one line saying what was found and needed. */
export function unsupportedNode(version: string): string | null {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const supported = (major === 22 && minor >= 12) || major >= 24;
  if (supported) return null;
  return `Node.js ${version.replace(/^v/, '')} is not supported; Herald needs Node.js ${SUPPORTED_NODE} (run it through npm, which uses the Node 26 that npm install put in node_modules/.bin, or install Node 26 LTS)`;
}
